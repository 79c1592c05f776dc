"""The scripts API: start episode scripts from an outline version, read them (live while they
are written), export a job's episodes or an outline's whole series."""

from typing import Any

from flask_babel import gettext as _
from pydantic import Field
from werkzeug.wrappers import Response

from app.api import api, api_user
from app.inputs import Id, Inputs, Text, accepts, one_of
from app.jobs.access import job_for
from app.jobs.answers import api_start
from app.jobs.starting import idempotency_key, limit_starts
from app.outline.outlines import FromOutline, outline_view
from app.projects.access import project_for
from app.scripts.exports import FORMATS, LAYOUTS
from app.scripts.series import script_json, script_view, series, start_scripts, started_json
from app.scripts.views import export_series


class StartScripts(FromOutline):
    episodes: Any = Field(default="all")  # "1-10" | [1, 2] | "all": read by episodes_from
    bible_artifact_id: Id | None = None


@api.post("/scripts/start")
@limit_starts
@accepts(body=StartScripts)
def start_scripts_api(body: StartScripts) -> tuple[dict[str, Any], int]:
    """202 with the new job; the same key again → the same answer; 409 while one is active."""
    project = project_for(api_user().id, body.project_id, write=True)
    key = idempotency_key()
    return api_start(
        lambda: start_scripts(
            project.id,
            api_user().id,
            body.outline_artifact_id,
            body.episodes,
            body.bible_artifact_id,
            key,
        ),
        _("Episode scripts are already being written for this project."),
        started_json,
    )


@api.get("/scripts/<id:script_id>")
def script_api(script_id: int) -> dict[str, Any]:
    """A script job and its episodes (each at its newest version, with its stale mark)."""
    return script_json(script_view(job_for(api_user().id, script_id)))


class ExportQuery(Inputs):
    format: one_of(FORMATS) = "fountain"
    layout: one_of(LAYOUTS) | None = None  # the scripts' own language's by default
    episodes: Text(200) = "all"


@api.get("/scripts/<id:script_id>/export")
@accepts(query=ExportQuery)
def script_export_api(script_id: int, query: ExportQuery) -> Response:
    """The job's episodes as Fountain, Final Draft, Word, Markdown or print-ready HTML."""
    view = script_view(job_for(api_user().id, script_id))
    return export_series(
        view.episodes, query.format, query.layout, query.episodes, f"script-{script_id}"
    )


@api.get("/outlines/<id:outline_id>/series/export")
@accepts(query=ExportQuery)
def series_export_api(outline_id: int, query: ExportQuery) -> Response:
    """The whole series of the outline's newest version, in the same formats."""
    view = outline_view(job_for(api_user().id, outline_id))
    episodes = series(view.latest.id) if view.latest is not None else []
    return export_series(
        episodes, query.format, query.layout, query.episodes, f"series-{outline_id}"
    )
