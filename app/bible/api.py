"""The bible API: start one from an outline version, read it (live while it is written)."""

from typing import Any

from flask_babel import gettext as _

from app.api import api, api_user
from app.bible.bibles import bible_json, start_bible, started_json
from app.inputs import accepts
from app.jobs.access import job_for
from app.jobs.answers import api_start
from app.jobs.starting import idempotency_key, limit_starts
from app.outline.outlines import FromOutline
from app.projects.access import project_for


@api.post("/bibles/start")
@limit_starts
@accepts(body=FromOutline)
def start_bible_api(body: FromOutline) -> tuple[dict[str, Any], int]:
    """202 with the new job; the same key again → the same answer; 409 while one is active."""
    project = project_for(api_user().id, body.project_id, write=True)
    key = idempotency_key()
    return api_start(
        lambda: start_bible(project.id, api_user().id, body.outline_artifact_id, key),
        _("A character bible is already being written for this project."),
        started_json,
    )


@api.get("/bibles/<id:bible_id>")
def bible_api(bible_id: int) -> dict[str, Any]:
    """A bible job and its newest version's characters, straight from the database."""
    return bible_json(job_for(api_user().id, bible_id))
