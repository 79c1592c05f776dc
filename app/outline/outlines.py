"""Outlines of a project: starting one from an idea version, reading one as the API and the
pages show it, exporting one."""

from dataclasses import dataclass
from typing import Any

from flask import Response, abort
from flask_babel import gettext as _
from sqlalchemy import select

from app.artifacts.edges import made_by, read_by
from app.artifacts.models import Artifact, TransformOutput
from app.brainstorm.ideas import IDEA_TYPE
from app.errors import Refused
from app.extensions import db
from app.inputs import Id, Inputs
from app.jobs.answers import started_as
from app.jobs.models import RESULT_ROLE, Transform
from app.jobs.starting import Started, start_job
from app.jobs.state import params_of
from app.outline import export
from app.outline.components import empty
from app.outline.kind import OUTLINE, OUTLINE_TYPE, OutlineParams
from app.research.kind import RESULT_TYPE as RESEARCH_RESULT
from app.versions.domain import latest_ids

DEFAULT_PLATFORM = "抖音"
SOURCE_TYPES = (IDEA_TYPE, RESEARCH_RESULT)
FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "json": ("application/json; charset=utf-8", "json"),
    "html": ("text/html; charset=utf-8", "html"),
}


def source_for(project_id: int, artifact_id: int) -> Artifact:
    """An idea version or a research result of the project to outline (422 naming the field
    otherwise)."""
    source = db.session.get(Artifact, artifact_id)
    if source is None or source.project_id != project_id or source.type not in SOURCE_TYPES:
        message = _("Choose an idea or a research result of this project to outline.")
        raise Refused(422, message, field="sourceArtifactId")
    return source


class FromOutline(Inputs):
    """A start that names an outline version of a project (a bible, scripts, a check)."""

    project_id: Id
    outline_artifact_id: Id


def outline_for(project_id: int, artifact_id: int, field: str = "outlineArtifactId") -> Artifact:
    """An outline version of the project (422 naming the field otherwise)."""
    outline = db.session.get(Artifact, artifact_id)
    if outline is None or outline.project_id != project_id or outline.type != OUTLINE_TYPE:
        raise Refused(422, _("Choose an outline of this project."), field=field)
    if not outline.data.get("episodes"):
        raise Refused(422, _("This outline has no episodes yet."), field=field)
    return outline


def platform_of(source: Artifact) -> str:
    """The platform of the brainstorm that wrote the idea's first version."""
    brainstorm = db.session.scalar(
        select(TransformOutput.transform_id).where(
            TransformOutput.artifact_id == source.origin, TransformOutput.role == RESULT_ROLE
        )
    )
    if brainstorm is None:
        return DEFAULT_PLATFORM
    return str(params_of(brainstorm).get("platform") or DEFAULT_PLATFORM)


def start_outline(
    project_id: int, user_id: int, source_id: int, params: OutlineParams, key: str | None
) -> Started:
    """Record an outline job reading the idea version (the caller commits, then launches)."""
    source = source_for(project_id, source_id)
    if not params.platform:
        params = params.model_copy(update={"platform": platform_of(source)})
    return start_job(OUTLINE, project_id, user_id, params, key, inputs={"source": source.id})


started_json = started_as("outlineId")


@dataclass
class OutlineView:
    """An outline job with its source and its document (the newest version of it)."""

    transform: Transform
    source: Artifact
    written: Artifact | None  # the artifact the job writes (None before its first section)
    latest: Artifact | None

    @property
    def components(self) -> dict[str, Any]:
        return {**empty(), **(self.latest.data if self.latest else {})}


def outline_view(transform: Transform) -> OutlineView:
    if transform.kind != OUTLINE.name:
        abort(404)
    source = read_by(transform.id, "source")
    assert source is not None
    written = next(iter(made_by(transform.id)), None)
    latest = written
    if written is not None:
        newest = latest_ids([written.id])[written.id][0]
        latest = written if newest == written.id else db.session.get(Artifact, newest)
    return OutlineView(transform, source, written, latest)


def export_response(view: OutlineView, format_: str) -> Response:
    """The outline (its newest version) as a download or a print page."""
    if format_ not in FORMATS:
        raise Refused(422, _("Choose md, html or json."), field="format")
    if view.latest is None:
        raise Refused(409, _("Nothing is written yet: export when the first section is in."))
    components = view.components
    if format_ == "md":
        body = export.to_markdown(components)
    elif format_ == "json":
        body = export.to_json(components)
    else:
        body = export.render_html(components)
    mimetype, extension = FORMATS[format_]
    response = Response(body, content_type=mimetype)
    if format_ != "html":
        name = f"outline-{view.transform.id}.{extension}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
