"""Who is an operator, and any job by its number for one."""

from typing import Any

from flask import abort

from app.extensions import db
from app.jobs.models import Transform


def is_admin(user: Any) -> bool:
    """Whether the signed-in user (or the API's) is an admin."""
    return bool(user is not None and user.is_authenticated and user.is_admin)


def admin_job(job_id: int) -> Transform:
    """Any job, whoever's it is (404 for a number that is no job)."""
    transform = db.session.get(Transform, job_id)
    if transform is None or transform.type == "human":
        abort(404)
    return transform
