"""The generic job API: state, cancel, retry."""

from typing import Any

from flask import request
from flask_babel import gettext as _

from app.api import api, api_user, fail
from app.clock import iso
from app.jobs.access import job_for
from app.jobs.control import cancel_job, retry_job
from app.jobs.listing import (
    MAX_PAGE,
    PAGE_SIZE,
    Filters,
    finished_since,
    job_summary,
    list_jobs,
    parse_since,
)
from app.jobs.state import load_state
from app.projects.access import project_for


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


@api.get("/jobs")
def list_jobs_api() -> dict[str, Any]:
    """The user's jobs with the Jobs page's filters: ?status=&kind=&project=&before=&limit=."""
    filters = Filters.parse(request.args)
    limit = request.args.get("limit", default=PAGE_SIZE, type=int)
    page = list_jobs(api_user().id, filters, request.args.get("before"), limit)
    return {"jobs": [job_summary(t, name) for t, name in page.rows], "next": page.next_cursor}


@api.get("/background-jobs/running")
def running_jobs() -> dict[str, Any]:
    """The user's active jobs (pending, running, retrying, waiting for input)."""
    page = list_jobs(api_user().id, Filters(status="active"), limit=MAX_PAGE)
    return {"jobs": [job_summary(t, name) for t, name in page.rows]}


@api.get("/background-jobs/by-session/<int:project_id>")
def latest_job_of_project(project_id: int) -> dict[str, Any]:
    """The latest job of a project ({"job": null} when it has none)."""
    project = project_for(api_user().id, project_id)
    page = list_jobs(api_user().id, Filters(project_id=project.id), limit=1)
    job = page.rows[0] if page.rows else None
    return {"job": job_summary(*job) if job else None}


@api.get("/background-jobs/recent-completions")
def recent_completions() -> dict[str, Any]:
    """The user's jobs that ended since ?since= (ISO time; default: the last 24 hours)."""
    raw = request.args.get("since")
    try:
        since = parse_since(raw)
    except ValueError:
        fail(400, _("since must be an ISO 8601 time, e.g. 2026-11-22T10:00:00Z."), field="since")
    rows = finished_since(api_user().id, since)
    return {"jobs": [job_summary(t, name) for t, name in rows], "since": iso(since)}
