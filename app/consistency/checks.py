"""Consistency checks of a project: starting one for an outline version (the bible and the
series it reads are fixed at the start) and reading one as the API and pages show it."""

from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from app.artifacts.edges import made_by
from app.artifacts.models import TransformInput
from app.bible.bibles import newest_bible
from app.consistency.kind import CONSISTENCY, CheckParams
from app.errors import Refused
from app.extensions import db
from app.jobs.answers import started_as
from app.jobs.models import Transform
from app.jobs.starting import Started, start_job
from app.outline.outlines import outline_for
from app.scripts.series import series


def start_check(project_id: int, user_id: int, outline_id: int, key: str | None) -> Started:
    """Record a check of the outline version's series with its newest bible."""
    outline = outline_for(project_id, outline_id)
    episodes = series(outline.id)
    if not episodes:
        raise Refused(409, _("Write some episodes first: there is nothing to check yet."))
    bible = newest_bible(outline.id)
    inputs: dict[str, int | list[int]] = {
        "outline": outline.id,
        "episode": [e.id for e in episodes],
    }
    if bible is not None:
        inputs["bible"] = bible.id
    return start_job(CONSISTENCY, project_id, user_id, CheckParams(), key, inputs=inputs)


started_json = started_as("checkId")


def report_of(transform: Transform) -> dict[str, Any] | None:
    made = made_by(transform.id)
    return made[0].data if made else None


def check_json(transform: Transform) -> dict[str, Any]:
    """`GET /api/consistency/<id>`."""
    if transform.kind != CONSISTENCY.name:
        abort(404)
    report = report_of(transform) or {}
    return {
        "id": transform.id,
        "status": transform.status,
        "issues": report.get("issues", []),
    }


def latest_check(outline_id: int) -> Transform | None:
    """The newest check of this outline version."""
    return db.session.scalars(
        select(Transform)
        .join(TransformInput, TransformInput.transform_id == Transform.id)
        .where(
            Transform.kind == CONSISTENCY.name,
            TransformInput.role == "outline",
            TransformInput.artifact_id == outline_id,
        )
        .order_by(Transform.id.desc())
    ).first()
