"""Reaching a job through its project's membership: everyone else gets a 404."""

from flask import abort

from app.extensions import db
from app.jobs.models import Transform
from app.projects.access import project_for


def job_for(user_id: int, job_id: int | None, *, write: bool = False) -> Transform:
    """The job if the user may see it (or change it, when writing), else 404."""
    transform = db.session.get(Transform, job_id) if job_id else None
    if transform is None or transform.type == "human":  # lineage, not a job
        abort(404)
    project_for(user_id, transform.project_id, write=write)
    return transform
