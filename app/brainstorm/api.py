"""The ideation API of the original plans: start a brainstorm, read an ideation run."""

from typing import Any

from flask import abort
from flask_babel import gettext as _

from app.api import api, api_user
from app.brainstorm.ideas import ideas_of, library
from app.brainstorm.kind import BRAINSTORM
from app.brainstorm.kind import start_brainstorm as record_brainstorm
from app.brainstorm.params import BrainstormParams
from app.errors import fail
from app.inputs import Id, Inputs, accepts
from app.jobs.access import job_for
from app.jobs.answers import api_start, started_as
from app.jobs.starting import idempotency_key, limit_starts
from app.jobs.state import error_text, load_state, progress_text, streaming_json
from app.projects.access import project_for


class StartBrainstorm(Inputs):
    project_id: Id
    params: BrainstormParams


_started = started_as("ideationRunId")


@api.post("/brainstorm/start")
@limit_starts
@accepts(body=StartBrainstorm)
def start_brainstorm(body: StartBrainstorm) -> tuple[dict[str, Any], int]:
    """202 with the new job; the same key again → the same answer; 409 while one is active."""
    project = project_for(api_user().id, body.project_id, write=True)
    key = idempotency_key()
    return api_start(
        lambda: record_brainstorm(project.id, api_user().id, body.params, key),
        _("A brainstorm is already running for this project."),
        _started,
    )


@api.get("/ideations/<id:run_id>")
def ideation(run_id: int) -> dict[str, Any]:
    """An ideation run (a brainstorm job) in full, straight from the database."""
    transform = job_for(api_user().id, run_id)
    if transform.kind != BRAINSTORM.name:
        abort(404)
    state = load_state(transform)
    return {
        "id": transform.id,
        "status": transform.status,
        "selectedPlatform": state.params["platform"],
        "genrePaths": state.params["genrePaths"],
        "genreProportions": state.params["genreProportions"],
        "userInput": state.params["requirements"],
        "numIdeas": state.params["numIdeas"],
        "referenceArtifactId": state.params.get("referenceArtifactId"),
        "ideas": [
            {
                "title": idea.data.get("title", ""),
                "body": idea.data.get("body", ""),
                "artifactId": idea.id,
                "version": idea.version,
                "latestArtifactId": latest,
            }
            for idea, latest in ideas_of(transform.id)
        ],
        "progress": transform.progress,
        "progressMessage": progress_text(transform),
        "error": error_text(transform) or None,
        "streamingData": streaming_json(transform, state.chunks),
        "job": state.to_json(),
    }


@api.get("/ideations/<id:run_id>/active-job")
def ideation_active_job(run_id: int) -> dict[str, Any]:
    """The brainstorm's job while it is pending, running or retrying; 404 otherwise."""
    transform = job_for(api_user().id, run_id)
    if transform.kind != BRAINSTORM.name:
        abort(404)
    if transform.status not in ("pending", "running", "retrying"):
        fail(404, _("This brainstorm is not running."))
    return {
        "transformId": transform.id,
        "status": transform.status,
        "retryCount": transform.retry_count,
    }


@api.get("/projects/<id:project_id>/ideas")
def project_ideas(project_id: int) -> dict[str, Any]:
    """The project's idea library: every idea's newest version, newest brainstorm first."""
    project = project_for(api_user().id, project_id)
    return {"ideas": [idea.to_json() for shelf in library(project.id) for idea in shelf.ideas]}
