"""The generic job API: state, cancel, retry."""

from typing import Any

from flask_babel import gettext as _

from app.api import api, api_user, fail
from app.jobs.access import job_for
from app.jobs.control import cancel_job, retry_job
from app.jobs.state import load_state


def _state(job_id: int) -> dict[str, Any]:
    state = load_state(job_for(api_user().id, job_id))
    return {
        **state.to_json(),
        "params": state.params,
        "results": state.results,
        "chunks": [{"seq": c.seq, "text": c.text} for c in state.chunks],
    }


@api.get("/jobs/<int:job_id>")
def job_state(job_id: int) -> dict[str, Any]:
    """A job's state, params, results and the current attempt's chunks."""
    return _state(job_id)


@api.post("/jobs/<int:job_id>/cancel")
def cancel_job_api(job_id: int) -> dict[str, Any]:
    """Cancel an active job: 200 with its state, 409 if it had ended."""
    if not cancel_job(job_for(api_user().id, job_id, write=True)):
        fail(409, _("This job had already ended."), **_state(job_id))
    return _state(job_id)


@api.post("/jobs/<int:job_id>/retry")
def retry_job_api(job_id: int) -> tuple[dict[str, Any], int]:
    """Retry a failed or cancelled job: 202 with its state; 409 otherwise."""
    outcome = retry_job(job_for(api_user().id, job_id, write=True))
    if outcome == "conflict":
        fail(409, _("Another job of this kind is running in the project."), **_state(job_id))
    if outcome == "not_finished":
        fail(409, _("Only a failed or cancelled job can be retried."), **_state(job_id))
    return _state(job_id), 202
