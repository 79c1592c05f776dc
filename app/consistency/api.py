"""The consistency API: start a check of an outline version's episodes, read its issues."""

from typing import Any

from flask_babel import gettext as _

from app.api import api, api_user
from app.consistency.checks import check_json, start_check, started_json
from app.inputs import accepts
from app.jobs.access import job_for
from app.jobs.answers import api_start
from app.jobs.starting import idempotency_key, limit_starts
from app.outline.outlines import FromOutline
from app.projects.access import project_for


@api.post("/consistency/start")
@limit_starts
@accepts(body=FromOutline)
def start_check_api(body: FromOutline) -> tuple[dict[str, Any], int]:
    """202 with the new job; the same key again → the same answer; 409 while one is active."""
    project = project_for(api_user().id, body.project_id, write=True)
    key = idempotency_key()
    return api_start(
        lambda: start_check(project.id, api_user().id, body.outline_artifact_id, key),
        _("A consistency check is already running for this project."),
        started_json,
    )


@api.get("/consistency/<id:check_id>")
def check_api(check_id: int) -> dict[str, Any]:
    """A check and the issues it has found so far."""
    return check_json(job_for(api_user().id, check_id))
