"""Outline pages: the form that starts one from an idea version, and its exports (the job page
shows it live, like every job)."""

import uuid
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.brainstorm.catalog import platforms
from app.inputs import key_from, read_form
from app.jobs.access import job_for
from app.jobs.answers import form_start
from app.jobs.starting import Started, limit_starts
from app.outline.kind import OutlineParams
from app.outline.outlines import (
    FORMATS,
    export_response,
    outline_view,
    platform_of,
    source_for,
    start_outline,
)
from app.versions.domain import artifact_for

bp = Blueprint("outline", __name__)
FIELDS = ("platform", "episodeCount", "episodeSeconds", "paywallEpisode", "notes")


def _render(source: Any, form: Any, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return render_template(
        "outline/new.html",
        source=source,
        project=source.project_id,
        platforms=platforms(),
        default_platform=platform_of(source),
        form=form,
        errors=errors,
        key=key_from(form.get("idempotency_key")) or uuid.uuid4().hex,
    ), status


@bp.get("/artifacts/<id:artifact_id>/outline")
@login_required
def new(artifact_id: int) -> tuple[str, int]:
    """The outline form for an idea version."""
    source = artifact_for(current_user.id, artifact_id, write=True)
    source_for(source.project_id, source.id)  # 422 if it is not an idea
    return _render(source, {}, {})


@bp.post("/artifacts/<id:artifact_id>/outline")
@login_required
@limit_starts
def create(artifact_id: int) -> Response | tuple[str, int]:
    """Record the outline job and send the writer to its page at once."""
    source = artifact_for(current_user.id, artifact_id, write=True)
    values = {name: request.form.get(name, "") for name in FIELDS}
    values = {name: value for name, value in values.items() if value.strip()}
    key = key_from(request.form.get("idempotency_key"))

    def start() -> Started:
        params = read_form(OutlineParams, values)
        return start_outline(source.project_id, current_user.id, source.id, params, key)

    return form_start(
        start,
        _("An outline is already being written for this project: here it is."),
        lambda errors, status: _render(source, request.form, errors, status),
    )


@bp.get("/outlines/<id:outline_id>/export")
@login_required
def export(outline_id: int) -> Response:
    """A download (md, json) or the print page (html) of the outline's newest version."""
    view = outline_view(job_for(current_user.id, outline_id))
    format_ = request.args.get("format", "md")
    return export_response(view, format_ if format_ in FORMATS else "")
