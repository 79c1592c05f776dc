"""The brainstorm form: validated, recorded as a pending job, then a 303 to the job."""

import uuid
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.brainstorm import form as brainstorm_form
from app.brainstorm.catalog import genre_groups, platforms
from app.brainstorm.ideas import library, reference_for
from app.brainstorm.kind import start_brainstorm
from app.brainstorm.params import MAX_IDEAS, MAX_PATHS, BrainstormParams
from app.errors import Refused
from app.inputs import key_from, read_form
from app.jobs.answers import form_start
from app.jobs.starting import limit_starts
from app.projects.access import project_for

bp = Blueprint("brainstorm", __name__)


def _render(
    project: Any, fields: Mapping[str, str], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    return render_template(
        "brainstorm/new.html",
        project=project,
        platforms=platforms(),
        groups=genre_groups(),
        chosen=brainstorm_form.chosen(fields),
        most=MAX_PATHS,
        max_ideas=MAX_IDEAS,
        form=fields,
        errors=errors,
        reference=brainstorm_form.reference_shown(project.id, fields),
        key=key_from(fields.get("idempotency_key")) or uuid.uuid4().hex,
    ), status


@bp.get("/projects/<id:project_id>/brainstorm")
@login_required
def new(project_id: int) -> tuple[str, int]:
    """The brainstorm form: empty, with a brainstorm's settings (`?from=`), or to vary an idea
    (`?referenceArtifactId=`)."""
    project = project_for(current_user.id, project_id, write=True)
    return _render(project, brainstorm_form.starting_fields(project.id, request.args), {})


@bp.post("/projects/<id:project_id>/brainstorm")
@login_required
@limit_starts
def create(project_id: int) -> Response | tuple[str, int]:
    """Record the job and send the writer to its page at once."""
    project = project_for(current_user.id, project_id, write=True)
    key = key_from(request.form.get("idempotency_key"))
    values, names = brainstorm_form.read(request.form)
    try:
        params = read_form(BrainstormParams, values)
        if params.reference_artifact_id is not None:
            reference_for(project.id, params.reference_artifact_id)
    except ValidationError as error:
        return _render(project, request.form, brainstorm_form.errors_of(error, names), 422)
    except Refused as refusal:
        field = refusal.extra.get("field", "form")
        return _render(project, request.form, {field: refusal.message}, refusal.code)
    return form_start(
        lambda: start_brainstorm(project.id, current_user.id, params, key),
        _("A brainstorm is already running for this project: here it is."),
        lambda errors, status: _render(project, request.form, errors, status),
    )


@bp.get("/projects/<id:project_id>/ideas")
@login_required
def library_fragment(project_id: int) -> str:
    """The project's idea library alone: what the project page swaps in while ideas come."""
    project = project_for(current_user.id, project_id)
    return render_template(
        "brainstorm/_library.html", project=project, context={"shelves": library(project.id)}
    )
