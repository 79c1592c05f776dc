"""The generic job API: state, cancel, retry."""

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _

from app.api import api, api_user
from app.clock import iso, utcnow
from app.errors import fail
from app.inputs import Inputs, Moment, accepts
from app.jobs.access import job_for
from app.jobs.control import cancel_job, retry_job
from app.jobs.listing import MAX_PAGE, Filters, JobsQuery, finished_since, list_jobs
from app.jobs.starting import limit_starts
from app.jobs.state import job_json, load_state
from app.projects.access import project_for


def _state(job_id: int) -> dict[str, Any]:
    state = load_state(job_for(api_user().id, job_id))
    return {
        **state.to_json(),
        "params": state.params,
        "results": state.results,
        "chunks": [{"seq": c.seq, "text": c.text} for c in state.chunks],
    }


@api.get("/jobs/<id:job_id>")
def job_state(job_id: int) -> dict[str, Any]:
    """A job's state, params, results and the current attempt's chunks."""
    return _state(job_id)


@api.post("/jobs/<id:job_id>/cancel")
def cancel_job_api(job_id: int) -> dict[str, Any]:
    """Cancel an active job: 200 with its state, 409 if it had ended."""
    if not cancel_job(job_for(api_user().id, job_id, write=True)):
        fail(409, _("This job had already ended."), **_state(job_id))
    return _state(job_id)


@api.post("/jobs/<id:job_id>/retry")
@limit_starts
def retry_job_api(job_id: int) -> tuple[dict[str, Any], int]:
    """Retry a failed or cancelled job: 202 with its state; 409 otherwise."""
    outcome = retry_job(job_for(api_user().id, job_id, write=True))
    if outcome == "conflict":
        fail(409, _("Another job of this kind is running in the project."), **_state(job_id))
    if outcome == "not_finished":
        fail(409, _("Only a failed or cancelled job can be retried."), **_state(job_id))
    return _state(job_id), 202


@api.get("/jobs")
@accepts(query=JobsQuery)
def list_jobs_api(query: JobsQuery) -> dict[str, Any]:
    """The user's jobs with the Jobs page's filters: ?status=&kind=&project=&before=&limit=."""
    page = list_jobs(api_user().id, query, query.before, query.page_size)
    return {"jobs": [job_json(t, name) for t, name in page.rows], "next": page.next_cursor}


@api.get("/background-jobs/running")
def running_jobs() -> dict[str, Any]:
    """The user's active jobs (pending, running, retrying, waiting for input)."""
    page = list_jobs(api_user().id, Filters(status="active"), limit=MAX_PAGE)
    return {"jobs": [job_json(t, name) for t, name in page.rows]}


@api.get("/background-jobs/by-session/<id:project_id>")
def latest_job_of_project(project_id: int) -> dict[str, Any]:
    """The latest job of a project ({"job": null} when it has none)."""
    project = project_for(api_user().id, project_id)
    page = list_jobs(api_user().id, Filters(project_id=project.id), limit=1)
    job = page.rows[0] if page.rows else None
    return {"job": job_json(*job) if job else None}


class Since(Inputs):
    since: Moment | None = None


@api.get("/background-jobs/recent-completions")
@accepts(query=Since)
def recent_completions(query: Since) -> dict[str, Any]:
    """The user's jobs that ended since ?since= (ISO time; default: the last 24 hours)."""
    since = query.since or utcnow() - timedelta(days=1)
    rows = finished_since(api_user().id, since)
    return {"jobs": [job_json(t, name) for t, name in rows], "since": iso(since)}
