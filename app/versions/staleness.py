"""Stale marks: what a job made from a version that has a newer one now is "based on an older
version". Every version of a line shares the mark of the line's first version (an edit of a
stale episode is still stale). Kinds whose results also depend on each other (an episode on
the episodes before it) add a rule of their own (`rule`)."""

from collections.abc import Callable, Iterable

from sqlalchemy import select

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.extensions import db
from app.jobs.models import RESULT_ROLE
from app.versions.domain import latest_ids

Rule = Callable[[list[Artifact]], set[int]]  # of these artifacts, the stale ones' ids
RULES: list[Rule] = []
READ_ROLES_SKIPPED = ("params",)  # what a job is asked for is not a version of anything


def rule(check: Rule) -> Rule:
    """Register a kind's own rule (app/kinds.py does, at start)."""
    if check not in RULES:
        RULES.append(check)
    return check


def stale_ids(artifacts: Iterable[Artifact]) -> set[int]:
    """The ids of those artifacts that are based on an older version of something."""
    artifacts = list(artifacts)
    found = _read_older(artifacts)
    for check in RULES:
        found |= check(artifacts)
    return found


def is_stale(artifact: Artifact) -> bool:
    return artifact.id in stale_ids([artifact])


def _read_older(artifacts: list[Artifact]) -> set[int]:
    """Artifacts whose line was made by a job that read a version with a newer one now."""
    by_origin: dict[int, list[int]] = {}
    for artifact in artifacts:
        by_origin.setdefault(artifact.origin, []).append(artifact.id)
    if not by_origin:
        return set()
    made_from = db.session.execute(
        select(TransformOutput.artifact_id, Artifact.id, Artifact.origin_id, Artifact.version)
        .join(TransformInput, TransformInput.transform_id == TransformOutput.transform_id)
        .join(Artifact, Artifact.id == TransformInput.artifact_id)
        .where(
            TransformOutput.artifact_id.in_(by_origin),
            TransformOutput.role == RESULT_ROLE,
            TransformInput.role.not_in(READ_ROLES_SKIPPED),
        )
    ).all()
    newest = latest_ids(list({origin or read for _made, read, origin, _v in made_from}))
    stale: set[int] = set()
    for made, read, origin, version in made_from:
        if newest.get(origin or read, (read, version))[1] > version:
            stale.update(by_origin[made])
    return stale
