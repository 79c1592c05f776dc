"""The research API (seed 004's shapes): sessions of a project's outline generation, under
/api/workflows/<projectId>/outline-generation/. A session is a research job."""

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from pydantic import Field

from app.api import api, api_user
from app.errors import fail
from app.extensions import db
from app.inputs import Id, Inputs, Text, accepts
from app.jobs.answers import api_start
from app.jobs.control import cancel_job
from app.jobs.starting import idempotency_key, limit_starts
from app.projects.access import project_for
from app.research.kind import PROMPT_MAX, ResearchParams
from app.research.sessions import (
    active_session,
    give_answers,
    latest_session,
    load_session,
    session_of,
    start_research,
    started_json,
)

PREFIX = "/workflows/<id:project_id>/outline-generation"
# Long enough for an answer of ANSWER_MAX characters: each is checked against it with its
# own message, so an over-long answer is a 422 naming it.
ANSWER_TEXT = Text(PROMPT_MAX * 4)


class StartResearch(ResearchParams):
    context_artifact_id: Id | None = None


class Answers(Inputs):
    session_id: Id
    answers: list[ANSWER_TEXT] | None = Field(default=None, max_length=20)
    skip: bool = False


class SessionRef(Inputs):
    session_id: Id


def _session(project_id: int, session_id: int, write: bool = False) -> Any:
    project_for(api_user().id, project_id, write=write)
    return session_of(project_id, session_id)


# Each route finds the project first (404 for non-members), then reads the body (lazy).
Body = Callable[[], Any]


@api.post(f"{PREFIX}/start")
@limit_starts
@accepts(body=StartResearch, lazy=True)
def start_research_api(project_id: int, body: Body) -> tuple[dict[str, Any], int]:
    """202 with the new session; the same key again → the same answer; 409 while one runs."""
    project = project_for(api_user().id, project_id, write=True)
    body = body()
    key = idempotency_key()
    params = ResearchParams(prompt=body.prompt, mode=body.mode)
    return api_start(
        lambda: start_research(project.id, api_user().id, params, body.context_artifact_id, key),
        _("Research is already running for this project."),
        started_json,
    )


@api.get(f"{PREFIX}/status")
def research_status(project_id: int) -> dict[str, Any]:
    """The project's active session (404 when none is active)."""
    project_for(api_user().id, project_id)
    transform = active_session(project_id)
    if transform is None:
        fail(404, _("No research is running for this project."))
    return load_session(transform).to_json()


@api.get(f"{PREFIX}/sessions/<id:session_id>")
def research_session(project_id: int, session_id: int) -> dict[str, Any]:
    return load_session(_session(project_id, session_id)).to_json()


@api.get(f"{PREFIX}/latest")
def research_latest(project_id: int) -> dict[str, Any]:
    """The newest session in any state, or null."""
    project_for(api_user().id, project_id)
    transform = latest_session(project_id)
    return {"session": load_session(transform).to_json() if transform else None}


@api.post(f"{PREFIX}/answers")
@accepts(body=Answers, lazy=True)
def research_answers(project_id: int, body: Body) -> tuple[dict[str, Any], int]:
    """Answer the session's questions (or skip them): 202; 409 if it is not waiting."""
    project_for(api_user().id, project_id, write=True)
    body = body()
    transform = _session(project_id, body.session_id, write=True)
    if body.skip == (body.answers is not None):
        fail(422, _('Send "answers" (one per question) or "skip": true.'), field="answers")
    answers = None if body.skip else list(body.answers or [])
    if not give_answers(transform, api_user().id, answers):
        db.session.rollback()
        fail(
            409,
            _("This research is not waiting for answers."),
            **load_session(transform).to_json(),
        )
    return load_session(transform).to_json(), 202


@api.post(f"{PREFIX}/cancel")
@accepts(body=SessionRef, lazy=True)
def research_cancel(project_id: int, body: Body) -> tuple[dict[str, Any], int]:
    """200 with the session; 409 with it if it had already ended."""
    project_for(api_user().id, project_id, write=True)
    body = body()
    transform = _session(project_id, body.session_id, write=True)
    if not cancel_job(transform):
        fail(409, _("This research had already ended."), **load_session(transform).to_json())
    return load_session(transform).to_json(), 200
