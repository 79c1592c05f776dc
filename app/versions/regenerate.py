"""Regenerate: what was made from an older version is made again from the newest versions of
everything its job read, with the same params — a new branch; the old one is kept."""

from flask_babel import gettext as _
from sqlalchemy import select

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.errors import Refused
from app.extensions import db
from app.jobs.kinds import kind_of
from app.jobs.models import RESULT_ROLE, Transform
from app.jobs.starting import Started, start_job
from app.jobs.state import params_of
from app.versions.domain import latest_ids
from app.versions.staleness import READ_ROLES_SKIPPED


def regenerate(artifact: Artifact, user_id: int) -> Started:
    """Start the job that made this artifact's line again, reading the newest versions (the
    caller commits, then launches)."""
    job = db.session.scalars(
        select(Transform)
        .join(TransformOutput, TransformOutput.transform_id == Transform.id)
        .where(TransformOutput.artifact_id == artifact.origin, TransformOutput.role == RESULT_ROLE)
    ).first()
    if job is None or job.type != "llm":
        raise Refused(422, _("This was not written by a job: there is nothing to regenerate."))
    kind = kind_of(job.kind)
    rows = db.session.execute(
        select(TransformInput.role, Artifact.id, Artifact.origin_id)
        .join(Artifact, Artifact.id == TransformInput.artifact_id)
        .where(
            TransformInput.transform_id == job.id, TransformInput.role.not_in(READ_ROLES_SKIPPED)
        )
        .order_by(TransformInput.id)
    ).all()
    if not rows:
        raise Refused(
            422, _("Nothing it was made from can change: there is nothing to regenerate.")
        )
    newest = latest_ids([origin or read for _role, read, origin in rows])
    reads: dict[str, list[int]] = {}
    for role, read, origin in rows:
        reads.setdefault(role, []).append(newest[origin or read][0])
    params = params_of(job.id)
    made = db.session.get(Artifact, artifact.origin)
    assert made is not None
    started = kind.regenerate(job.project_id, user_id, made.data, params, reads)
    if started is not None:
        return started
    inputs = {role: ids[0] if len(ids) == 1 else ids for role, ids in reads.items()}
    return start_job(
        kind, job.project_id, user_id, kind.params.model_validate(params), None, inputs
    )
