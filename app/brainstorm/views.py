"""The brainstorm form: validated, recorded as a pending job, then a 303 to the job."""

import uuid
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.brainstorm.catalog import genre_paths, genre_tree, platforms
from app.brainstorm.ideas import library
from app.brainstorm.kind import BRAINSTORM
from app.brainstorm.params import BrainstormParams
from app.inputs import key_from, read_form
from app.jobs.answers import form_start
from app.jobs.starting import Started, limit_starts, start_job
from app.projects.access import project_for

bp = Blueprint("brainstorm", __name__)


def params_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form's fields in the params' shape (numbers still text: the model reads them)."""
    paths, shares = [], []
    for index, path in enumerate(genre_paths()):
        share = form.get(f"genre-{index}", "").strip()
        if share:
            paths.append(list(path))
            shares.append(share)
    return {
        "platform": form.get("platform", ""),
        "genrePaths": paths,
        "genreProportions": shares,
        "requirements": form.get("requirements", ""),
        "numIdeas": form.get("numIdeas", "5"),
    }


def _render(project: Any, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return render_template(
        "brainstorm/new.html",
        project=project,
        platforms=platforms(),
        tree=genre_tree(),
        paths=genre_paths(),
        form=request.form,
        errors=errors,
        key=key_from(request.form.get("idempotency_key")) or uuid.uuid4().hex,
    ), status


@bp.get("/projects/<id:project_id>/brainstorm")
@login_required
def new(project_id: int) -> tuple[str, int]:
    """The brainstorm form."""
    return _render(project_for(current_user.id, project_id, write=True), {})


@bp.post("/projects/<id:project_id>/brainstorm")
@login_required
@limit_starts
def create(project_id: int) -> Response | tuple[str, int]:
    """Record the job and send the writer to its page at once."""
    project = project_for(current_user.id, project_id, write=True)
    key = key_from(request.form.get("idempotency_key"))

    def start() -> Started:
        params = read_form(BrainstormParams, params_from_form(request.form))
        return start_job(BRAINSTORM, project.id, current_user.id, params, key)

    return form_start(
        start,
        _("A brainstorm is already running for this project: here it is."),
        lambda errors, status: _render(project, errors, status),
    )


@bp.get("/projects/<id:project_id>/ideas")
@login_required
def library_fragment(project_id: int) -> str:
    """The project's idea library alone: what the project page swaps in while ideas come."""
    project = project_for(current_user.id, project_id)
    return render_template(
        "brainstorm/_library.html", project=project, context={"shelves": library(project.id)}
    )
