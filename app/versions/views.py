"""Pages for what writers edit: the edit form, the versions, a side-by-side comparison, revert
and star. Every one works without JavaScript (plain forms, 303 after each change)."""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.artifacts.models import Artifact, HumanTransform
from app.auth.models import User
from app.extensions import db
from app.inputs import errors_by_field, id_from, read_form
from app.jobs.answers import button_start
from app.jobs.models import Transform
from app.jobs.starting import limit_starts
from app.projects.access import project_for
from app.redirects import safe_next
from app.versions.domain import (
    EDITABLE,
    Stale,
    artifact_for,
    char_diff,
    latest_of,
    line_of,
    made_by,
    revert,
    revise,
    star_line,
    text_of,
)
from app.versions.regenerate import regenerate
from app.versions.staleness import is_stale as is_stale_artifact

bp = Blueprint("versions", __name__, url_prefix="/artifacts")
DESCRIPTION_MAX = 500


def _editable(artifact: Artifact) -> None:
    if artifact.type not in EDITABLE:
        abort(404)


def _unfinished(artifact: Artifact) -> Response | None:
    """Back to the versions, if a job is still writing the artifact (edit it when done)."""
    if artifact.streaming_status != "streaming":
        return None
    flash(_("This is still being written: edit it when its job has finished."))
    return redirect(url_for("versions.index", artifact_id=artifact.id), 303)


def _render_edit(
    artifact: Artifact, form: Any, errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    return render_template(
        "versions/edit.html",
        artifact=artifact,
        project=project_for(current_user.id, artifact.project_id),
        entry=EDITABLE[artifact.type],
        form=form,
        errors=errors,
    ), status


@bp.get("/<id:artifact_id>/edit")
@login_required
def edit(artifact_id: int) -> Response | tuple[str, int]:
    """The edit form, filled with the latest version's data (edits follow the line's end)."""
    artifact = artifact_for(current_user.id, artifact_id, write=True)
    _editable(artifact)
    latest = latest_of(artifact)
    if latest.id != artifact.id:
        return redirect(url_for("versions.edit", artifact_id=latest.id), 303)
    if unfinished := _unfinished(artifact):
        return unfinished
    return _render_edit(artifact, EDITABLE[artifact.type].to_form(artifact.data), {})


@bp.post("/<id:artifact_id>/edit")
@login_required
def save(artifact_id: int) -> Response | tuple[str, int]:
    """Save a new version; the form again with messages if it is not valid or not the latest."""
    artifact = artifact_for(current_user.id, artifact_id, write=True)
    _editable(artifact)
    if unfinished := _unfinished(artifact):
        return unfinished
    entry = EDITABLE[artifact.type]
    description = request.form.get("description", "").strip()
    try:
        values = entry.from_form(request.form, artifact.data)
        data = entry.stored(read_form(entry.model, values).model_dump(by_alias=True), artifact.data)
        if len(description) > DESCRIPTION_MAX:
            errors = {"description": _("Write at most %(n)d characters.", n=DESCRIPTION_MAX)}
            return _render_edit(artifact, request.form, errors, 422)
        version, _transform = revise(artifact, data, current_user.id, description=description)
    except ValidationError as error:
        return _render_edit(artifact, request.form, errors_by_field(error), 422)
    except ValueError as unreadable:  # a form that is text to parse (an outline's Markdown)
        return _render_edit(artifact, request.form, {"form": str(unreadable)}, 422)
    except Stale as stale:
        db.session.rollback()
        message = _(
            "Someone saved version %(n)d meanwhile. Your text is below: compare it with the "
            "latest version, then save again from there.",
            n=stale.latest.version,
        )
        return _render_edit(stale.latest, request.form, {"form": message}, 409)
    db.session.commit()
    flash(_("Saved as version %(n)d.", n=version.version))
    return redirect(url_for("versions.index", artifact_id=version.id), 303)


@bp.get("/<id:artifact_id>/versions")
@login_required
def index(artifact_id: int) -> str:
    """Every version of the line, newest first, with who made each and why."""
    artifact = artifact_for(current_user.id, artifact_id)
    _editable(artifact)
    line = line_of(artifact)
    return render_template(
        "versions/index.html",
        artifact=artifact,
        project=project_for(current_user.id, artifact.project_id),
        line=list(reversed(line)),
        latest=line[-1],
        changes=_changes([v.id for v in line]),
        origin=line[0],
        text=text_of(artifact.type, line[-1].data),
    )


@bp.get("/<id:artifact_id>/compare")
@login_required
def compare(artifact_id: int) -> str:
    """Two versions of the line side by side, character by character."""
    artifact = artifact_for(current_user.id, artifact_id)
    _editable(artifact)
    line = {v.id: v for v in line_of(artifact)}
    ordered = sorted(line.values(), key=lambda v: v.version)
    older = line.get(id_from(request.args.get("a")) or 0) or (
        ordered[-2] if len(ordered) > 1 else ordered[0]
    )
    newer = line.get(id_from(request.args.get("b")) or 0) or ordered[-1]
    if older.version > newer.version:
        older, newer = newer, older
    left, right = char_diff(text_of(older.type, older.data), text_of(newer.type, newer.data))
    return render_template(
        "versions/compare.html",
        artifact=artifact,
        project=project_for(current_user.id, artifact.project_id),
        line=ordered,
        older=older,
        newer=newer,
        left=left,
        right=right,
    )


@bp.post("/<id:artifact_id>/revert")
@login_required
def revert_to(artifact_id: int) -> Response:
    """A new version equal to this one."""
    target = artifact_for(current_user.id, artifact_id, write=True)
    _editable(target)
    latest = latest_of(target)
    if latest.id == target.id:
        flash(_("This is already the latest version."))
        return redirect(url_for("versions.index", artifact_id=target.id), 303)
    try:
        version, _transform = revert(latest, target, current_user.id)
    except Stale:
        db.session.rollback()
        flash(_("Someone saved a new version meanwhile: look again, then revert."))
        return redirect(url_for("versions.index", artifact_id=target.id), 303)
    db.session.commit()
    flash(_("Version %(old)d restored as version %(n)d.", old=target.version, n=version.version))
    return redirect(url_for("versions.index", artifact_id=version.id), 303)


@bp.app_template_global()
def is_stale(artifact_id: int) -> bool:
    """Whether a job made this from a version that has a newer one now (pages' marks)."""
    artifact = db.session.get(Artifact, artifact_id)
    return artifact is not None and is_stale_artifact(artifact)


@bp.post("/<id:artifact_id>/regenerate")
@login_required
@limit_starts
def regenerate_it(artifact_id: int) -> Response:
    """Make it again from the newest versions of what it was made from: the new job's page
    (the old one is kept), or back with the reason."""
    artifact = artifact_for(current_user.id, artifact_id, write=True)
    return button_start(
        lambda: regenerate(artifact, current_user.id),
        _("A job of this kind is already running for this project: here it is."),
        url_for("versions.index", artifact_id=artifact.id),
    )


@bp.post("/<id:artifact_id>/star")
@login_required
def star(artifact_id: int) -> Response:
    """Star or unstar an idea (its whole line), then back to where the writer was."""
    artifact = artifact_for(current_user.id, artifact_id, write=True)
    star_line(artifact, request.form.get("starred") == "1")
    db.session.commit()
    back = safe_next(
        request.form.get("next"), url_for("projects.show", project_id=artifact.project_id)
    )
    return redirect(back, 303)


def _changes(version_ids: list[int]) -> dict[int, Any]:
    """The human transform behind each version (its description, who, when)."""
    made = made_by(version_ids)
    if not made:
        return {}
    rows = db.session.execute(
        select(HumanTransform, Transform, User)
        .join(Transform, Transform.id == HumanTransform.transform_id)
        .join(User, User.id == Transform.created_by)
        .where(HumanTransform.transform_id.in_(made.values()))
    ).all()
    by_transform = {h.transform_id: (h, t, u) for h, t, u in rows}
    return {version: by_transform.get(transform) for version, transform in made.items()}
