"""The diagnostics as JSON, and an admin's retry or cancel of any job, for scripts."""

from typing import Any

from flask_babel import gettext as _

from app import audit
from app.admin.access import admin_job, is_admin
from app.admin.diagnostics import diagnostics, job_by_id
from app.api import api, api_user
from app.errors import fail
from app.jobs.control import cancel_job, retry_job


def _admins_only() -> None:
    if not is_admin(api_user()):
        fail(404, _("Not found."))


def _job(job_id: int) -> dict[str, Any]:
    found = job_by_id(job_id)
    assert found is not None
    return found


@api.get("/admin/diagnostics")
def admin_diagnostics() -> dict[str, Any]:
    """What the diagnostics page shows."""
    _admins_only()
    return diagnostics()


@api.post("/admin/jobs/<id:job_id>/cancel")
def admin_cancel_job(job_id: int) -> dict[str, Any]:
    """Cancel anyone's active job: 200 with it; 409 if it had ended."""
    _admins_only()
    if not cancel_job(admin_job(job_id)):
        fail(409, _("This job had already ended."), **_job(job_id))
    audit.record("admin_cancel", job=job_id)
    return _job(job_id)


@api.post("/admin/jobs/<id:job_id>/retry")
def admin_retry_job(job_id: int) -> tuple[dict[str, Any], int]:
    """Retry anyone's failed or cancelled job: 202 with it; 409 otherwise."""
    _admins_only()
    outcome = retry_job(admin_job(job_id))
    if outcome == "conflict":
        fail(409, _("Another job of this kind is running in the project."), **_job(job_id))
    if outcome == "not_finished":
        fail(409, _("Only a failed or cancelled job can be retried."), **_job(job_id))
    audit.record("admin_retry", job=job_id)
    return _job(job_id), 202
