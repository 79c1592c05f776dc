"""The ideation API of the original plans: start a brainstorm, read an ideation run."""

from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext as _

from app.api import api, api_user, fail, json_body
from app.brainstorm.kind import BRAINSTORM
from app.extensions import db, limiter
from app.jobs.access import job_for
from app.jobs.control import launch
from app.jobs.kinds import ParamsError
from app.jobs.starting import KeyReused, start_job
from app.jobs.state import load_state
from app.projects.access import project_for


def _started(transform: Any) -> dict[str, Any]:
    return {
        "transformId": transform.id,
        "ideationRunId": transform.id,
        "status": transform.status,
        "url": url_for("jobs.show", job_id=transform.id),
    }


@api.post("/brainstorm/start")
@limiter.limit(lambda: current_app.config["RATELIMIT_JOBS"], key_func=lambda: str(api_user().id))
def start_brainstorm() -> tuple[dict[str, Any], int]:
    """202 with the new job; the same key again → the same answer; 409 while one is active."""
    body = json_body()
    project_id = body.get("projectId")
    if not isinstance(project_id, int) or isinstance(project_id, bool):
        fail(422, _("projectId must be a project's id."), field="projectId")
    project = project_for(api_user().id, project_id, write=True)
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key and len(key) > 100:
        fail(422, _("Idempotency-Key is longer than 100 characters."), field="Idempotency-Key")
    try:
        params = BRAINSTORM.validate(body.get("params"))
        started = start_job(BRAINSTORM, project.id, api_user().id, params, key)
    except ParamsError as error:
        fail(422, error.message, field=error.field)
    except KeyReused:
        db.session.rollback()
        fail(422, _("This Idempotency-Key was used with other params."), field="Idempotency-Key")
    db.session.commit()
    if started.outcome == "conflict":
        fail(
            409,
            _("A brainstorm is already running for this project."),
            **_started(started.transform),
        )
    if started.outcome == "created":
        launch(started.transform)
    return _started(started.transform), 202


@api.get("/ideations/<int:run_id>")
def ideation(run_id: int) -> dict[str, Any]:
    """An ideation run (a brainstorm job) in full, straight from the database."""
    transform = job_for(api_user().id, run_id)
    if transform.kind != BRAINSTORM.name:
        fail(404, _("Not found."))
    state = load_state(transform)
    streaming = None
    if transform.active or state.chunks:
        streaming = {
            "transformId": transform.id,
            "attempt": transform.attempt,
            "chunks": [c.text for c in state.chunks],
            "progress": transform.progress,
        }
    return {
        "id": transform.id,
        "status": transform.status,
        "selectedPlatform": state.params["platform"],
        "genrePaths": state.params["genrePaths"],
        "genreProportions": state.params["genreProportions"],
        "userInput": state.params["requirements"],
        "numIdeas": state.params["numIdeas"],
        "ideas": [{"title": i["title"], "body": i["body"]} for i in state.results],
        "progress": transform.progress,
        "progressMessage": transform.progress_message,
        "error": transform.error,
        "streamingData": streaming,
    }
