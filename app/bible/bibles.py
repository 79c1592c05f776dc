"""Bibles of a project: starting one from an outline version, reading one as the API and the
pages show it, and editing one (as the outline's characters are written, in Markdown)."""

from typing import Annotated, Any

from flask import abort
from flask_babel import gettext as _
from pydantic import Field
from sqlalchemy import select

from app.artifacts.edges import made_by, read_by
from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.bible.kind import BIBLE, BIBLE_TYPE, BibleParams
from app.errors import Refused
from app.extensions import db
from app.inputs import Inputs
from app.jobs.answers import started_as
from app.jobs.models import RESULT_ROLE, Transform
from app.jobs.starting import Started, start_job
from app.jobs.state import streaming_json
from app.outline.components import Character
from app.outline.export import from_markdown, to_markdown
from app.outline.outlines import outline_for
from app.versions.domain import Editable, latest_of


def start_bible(project_id: int, user_id: int, outline_id: int, key: str | None) -> Started:
    """Record a bible job reading the outline version (the caller commits, then launches)."""
    outline = outline_for(project_id, outline_id)
    return start_job(BIBLE, project_id, user_id, BibleParams(), key, inputs={"outline": outline.id})


started_json = started_as("bibleId")


def bible_json(transform: Transform) -> dict[str, Any]:
    """`GET /api/bibles/<id>`: the bible job with its newest version's characters."""
    if transform.kind != BIBLE.name:
        abort(404)
    outline = read_by(transform.id, "outline")
    written = next(iter(made_by(transform.id)), None)
    latest = latest_of(written) if written is not None else None
    return {
        "id": transform.id,
        "status": transform.status,
        "outlineArtifactId": outline.id if outline else None,
        "artifactId": written.id if written else None,
        "latestArtifactId": latest.id if latest else None,
        "version": latest.version if latest else None,
        "characters": latest.data.get("characters", []) if latest else [],
        "progress": transform.progress,
        "streamingData": streaming_json(transform),
    }


def newest_bible(outline_id: int) -> Artifact | None:
    """The newest version of the newest whole bible written from this outline version."""
    made = db.session.scalars(
        select(Artifact)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .join(TransformInput, TransformInput.transform_id == TransformOutput.transform_id)
        .join(Transform, Transform.id == TransformOutput.transform_id)
        .where(
            Artifact.type == BIBLE_TYPE,
            TransformOutput.role == RESULT_ROLE,
            TransformInput.role == "outline",
            TransformInput.artifact_id == outline_id,
            Transform.status == "completed",
        )
        .order_by(Artifact.id.desc())
    ).first()
    return latest_of(made) if made is not None else None


def bible_for(project_id: int, artifact_id: int) -> Artifact:
    """A bible version of the project (422 naming the field otherwise)."""
    bible = db.session.get(Artifact, artifact_id)
    if bible is None or bible.project_id != project_id or bible.type != BIBLE_TYPE:
        raise Refused(422, _("Choose a character bible of this project."), field="bibleArtifactId")
    return bible


# ---- editing: the characters as the outline's Markdown writes them --------------------------


def _to_text(data: dict[str, Any]) -> str:
    return to_markdown({"characters": data.get("characters", [])})


def _from_form(form: Any, _old: dict[str, Any]) -> dict[str, Any]:
    components = from_markdown(form.get("markdown", ""))
    if any(components[key] for key in ("title", "logline", "stages", "episodes")):
        raise ValueError("a character bible holds characters only")
    return {"characters": components["characters"]}


class BibleData(Inputs):
    """A bible as an edit sends it: characters, as an outline holds them, and nothing else."""

    characters: Annotated[list[Character], Field(min_length=1, max_length=40)]


BIBLE_EDITING = Editable(
    model=BibleData,
    text=_to_text,
    fields_template="bible/_fields.html",
    to_form=lambda data: {"markdown": _to_text(data)},
    from_form=_from_form,
)
