"""Versions: what a person edits forms one line of artifacts, and each edit or revert is a human
transform (who, when, what changed) from the version it revised to the version it made. The
original stays; nothing is ever overwritten."""

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.artifacts.models import Artifact, HumanTransform, TransformInput, TransformOutput
from app.clock import utcnow
from app.extensions import begin_write, db
from app.jobs.models import Transform
from app.projects.access import project_for

VERSION_ROLE = "version"  # a human transform's output: the version it made
CHAR_DIFF_MAX = 4_000_000  # characters × characters compared one by one in a changed block


class Stale(Exception):
    """The version edited is not the latest (someone edited meanwhile)."""

    def __init__(self, latest: Artifact) -> None:
        super().__init__("stale version")
        self.latest = latest


@dataclass(frozen=True)
class Editable:
    """How a type of artifact is edited: its data model, its text for comparisons, and its
    form (the template of its fields, the form's values from data and back)."""

    model: type[Any]
    text: Callable[[dict[str, Any]], str]
    fields_template: str
    to_form: Callable[[dict[str, Any]], dict[str, Any]]
    # The form's values (the version edited is given: what the form does not carry).
    from_form: Callable[[Any, dict[str, Any]], dict[str, Any]]
    # The validated edit as stored, given the version edited (derived fields, fixed ones).
    stored: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = lambda data, _old: data


EDITABLE: dict[str, Editable] = {}


def editable(type_: str, entry: Editable) -> None:
    """Register a type of artifact writers may edit (app/kinds.py does, at start)."""
    EDITABLE[type_] = entry


def artifact_for(user_id: int, artifact_id: int | None, *, write: bool = False) -> Artifact:
    """The artifact if the user may see it (or change it, when writing), else 404."""
    artifact = db.session.get(Artifact, artifact_id) if artifact_id else None
    if artifact is None:
        abort(404)
    project_for(user_id, artifact.project_id, write=write)
    return artifact


def line_of(artifact: Artifact) -> list[Artifact]:
    """Every version of the artifact's line, oldest first."""
    origin = artifact.origin
    return list(
        db.session.scalars(
            select(Artifact)
            .where(or_(Artifact.id == origin, Artifact.origin_id == origin))
            .order_by(Artifact.version)
        )
    )


def latest_of(artifact: Artifact) -> Artifact:
    """The newest version of the artifact's line."""
    origin = artifact.origin
    return db.session.scalars(
        select(Artifact)
        .where(or_(Artifact.id == origin, Artifact.origin_id == origin))
        .order_by(Artifact.version.desc())
        .limit(1)
    ).one()


def latest_ids(origins: list[int]) -> dict[int, tuple[int, int]]:
    """For each line's first version: (its newest version's id, that version's number)."""
    if not origins:
        return {}
    rows = db.session.execute(
        select(Artifact.id, Artifact.origin_id, Artifact.version).where(
            or_(Artifact.id.in_(origins), Artifact.origin_id.in_(origins))
        )
    )
    latest: dict[int, tuple[int, int]] = {}
    for artifact_id, origin_id, version in rows:
        origin = origin_id or artifact_id
        if origin not in latest or version > latest[origin][1]:
            latest[origin] = (artifact_id, version)
    return latest


def made_by(version_ids: list[int]) -> dict[int, int]:
    """The human transform that made each of these versions (first versions have none)."""
    rows = db.session.execute(
        select(TransformOutput.artifact_id, TransformOutput.transform_id).where(
            TransformOutput.artifact_id.in_(version_ids), TransformOutput.role == VERSION_ROLE
        )
    )
    return {artifact_id: transform_id for artifact_id, transform_id in rows}


def star_line(artifact: Artifact, starred: bool) -> Artifact:
    """Mark (or unmark) the artifact's whole line as chosen; its newest version. The caller
    commits."""
    begin_write()
    origin = db.session.get(Artifact, artifact.origin, populate_existing=True)
    assert origin is not None
    origin.starred = starred
    return latest_of(origin)


def revise(
    artifact: Artifact,
    data: dict[str, Any],
    user_id: int,
    *,
    action: str = "edit",
    description: str | None = None,
    restored: Artifact | None = None,
) -> tuple[Artifact, Transform]:
    """A new version after `artifact` (which must be the latest: Stale otherwise), made by a
    human transform; the caller commits."""
    begin_write()  # SQLite: read the latest inside the write lock
    latest = latest_of(artifact)
    if latest.id != artifact.id:
        raise Stale(latest)
    now = utcnow()
    transform = Transform.human(artifact.project_id, user_id, action, now)
    version = Artifact(
        project_id=artifact.project_id,
        type=artifact.type,
        type_version=artifact.type_version,
        data=data,
        streaming_status="completed",
        created_by=user_id,
        created_at=now,
        updated_at=now,
        version=artifact.version + 1,
        origin_id=artifact.origin,
        revises_id=artifact.id,
    )
    db.session.add_all([transform, version])
    try:
        db.session.flush()
    except IntegrityError:  # another edit of the same version won the race
        db.session.rollback()
        raise Stale(latest_of(db.session.get(Artifact, artifact.id) or artifact)) from None
    context: dict[str, Any] = {"fromVersion": artifact.version, "toVersion": version.version}
    if restored is not None:
        context["restoredVersion"] = restored.version
    db.session.add_all(
        [
            HumanTransform(
                transform_id=transform.id,
                action=action,
                context=context,
                description=description or describe_change(artifact, data, restored),
            ),
            TransformInput(transform_id=transform.id, artifact_id=artifact.id, role="source"),
            TransformOutput(
                transform_id=transform.id, artifact_id=version.id, role=VERSION_ROLE, attempt=1
            ),
        ]
    )
    if restored is not None:
        db.session.add(
            TransformInput(transform_id=transform.id, artifact_id=restored.id, role="restored")
        )
    return version, transform


def revert(latest: Artifact, target: Artifact, user_id: int) -> tuple[Artifact, Transform]:
    """A new version equal to an older one of the same line."""
    return revise(latest, dict(target.data), user_id, action="revert", restored=target)


def text_of(artifact_type: str, data: dict[str, Any]) -> str:
    """The text a comparison shows for a version."""
    entry = EDITABLE.get(artifact_type)
    return entry.text(data) if entry else ""


def describe_change(before: Artifact, after: dict[str, Any], restored: Artifact | None) -> str:
    """A readable summary of what an edit changed (the default description)."""
    if restored is not None:
        return _("Reverted to version %(n)d.", n=restored.version)
    changed = [
        key for key in sorted({*before.data, *after}) if before.data.get(key) != after.get(key)
    ]
    if not changed:
        return _("Saved without changes.")
    left, right = char_diff(text_of(before.type, before.data), text_of(before.type, after))
    return _(
        "Changed %(fields)s: %(added)d characters added, %(removed)d removed.",
        fields=", ".join(changed),
        added=sum(len(p.text) for p in right if p.op == "insert"),
        removed=sum(len(p.text) for p in left if p.op == "delete"),
    )


@dataclass(frozen=True)
class Piece:
    op: str  # "equal", "delete" (only in the older text) or "insert" (only in the newer)
    text: str


def char_diff(old: str, new: str) -> tuple[list[Piece], list[Piece]]:
    """A character-level comparison (the text is mostly Chinese: no words to split on), as the
    two sides of a side-by-side view. Lines are matched first and characters only within
    changed lines, so a long outline compares in linear time, not quadratic."""
    left: list[Piece] = []
    right: list[Piece] = []
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for op, a1, a2, b1, b2 in _matcher(old_lines, new_lines).get_opcodes():
        before, after = "".join(old_lines[a1:a2]), "".join(new_lines[b1:b2])
        if op == "equal":
            left.append(Piece("equal", before))
            right.append(Piece("equal", after))
        elif op == "replace" and len(before) * len(after) <= CHAR_DIFF_MAX:
            for cop, c1, c2, d1, d2 in _matcher(before, after).get_opcodes():
                if cop == "equal":
                    left.append(Piece("equal", before[c1:c2]))
                    right.append(Piece("equal", after[d1:d2]))
                    continue
                if c2 > c1:
                    left.append(Piece("delete", before[c1:c2]))
                if d2 > d1:
                    right.append(Piece("insert", after[d1:d2]))
        else:
            if before:
                left.append(Piece("delete", before))
            if after:
                right.append(Piece("insert", after))
    return left, right


def _matcher(old: Any, new: Any) -> difflib.SequenceMatcher[Any]:
    return difflib.SequenceMatcher(None, old, new, autojunk=False)
