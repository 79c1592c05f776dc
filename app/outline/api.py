"""The outline API: start one from an idea version, read it (live while it is written), export."""

from typing import Any

from flask_babel import gettext as _
from pydantic import Field
from werkzeug.wrappers import Response

from app.api import api, api_user
from app.inputs import Id, Inputs, accepts, one_of
from app.jobs.access import job_for
from app.jobs.answers import api_start
from app.jobs.starting import idempotency_key, limit_starts
from app.jobs.state import job_json, params_of, streaming_json
from app.outline.kind import OutlineParams
from app.outline.outlines import (
    FORMATS,
    export_response,
    outline_view,
    start_outline,
    started_json,
)
from app.projects.access import project_for


class StartOutline(Inputs):
    project_id: Id
    source_artifact_id: Id
    params: OutlineParams = Field(default_factory=OutlineParams)


@api.post("/outlines/start")
@limit_starts
@accepts(body=StartOutline)
def start_outline_api(body: StartOutline) -> tuple[dict[str, Any], int]:
    """202 with the new job; the same key again → the same answer; 409 while one is active."""
    project = project_for(api_user().id, body.project_id, write=True)
    key = idempotency_key()
    source = body.source_artifact_id
    return api_start(
        lambda: start_outline(project.id, api_user().id, source, body.params, key),
        _("An outline is already being written for this project."),
        started_json,
    )


@api.get("/outlines/<id:outline_id>")
def outline_api(outline_id: int) -> dict[str, Any]:
    """An outline job in full, straight from the database: the partial components while it
    runs, the newest version once writers edit it."""
    view = outline_view(job_for(api_user().id, outline_id))
    transform = view.transform
    return {
        "id": transform.id,
        "status": transform.status,
        "artifactId": view.written.id if view.written else None,
        "latestArtifactId": view.latest.id if view.latest else None,
        "sourceArtifact": {
            "id": view.source.id,
            "version": view.source.version,
            "data": view.source.data,
        },
        "params": params_of(transform.id),
        "components": view.components,
        "progress": transform.progress,
        "streamingData": streaming_json(transform),
        "job": job_json(transform),
    }


class ExportQuery(Inputs):
    format: one_of(FORMATS) = "md"


@api.get("/outlines/<id:outline_id>/export")
@accepts(query=ExportQuery)
def outline_export_api(outline_id: int, query: ExportQuery) -> Response:
    """The outline as Markdown, print-ready HTML or JSON (`?format=md|html|json`)."""
    return export_response(outline_view(job_for(api_user().id, outline_id)), query.format)
