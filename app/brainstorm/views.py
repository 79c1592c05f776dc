"""The brainstorm form: validated, recorded as a pending job, then a 303 to the job."""

import uuid
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.brainstorm.catalog import genre_paths, genre_tree, platforms
from app.brainstorm.kind import BRAINSTORM
from app.extensions import db, limiter
from app.jobs.control import launch
from app.jobs.kinds import ParamsError
from app.jobs.starting import KeyReused, start_job
from app.projects.access import project_for

bp = Blueprint("brainstorm", __name__)
KEY_MAX = 100


def params_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form's fields as brainstorm params (validated by the kind)."""
    paths, proportions = [], []
    for index, path in enumerate(genre_paths()):
        raw = form.get(f"genre-{index}", "").strip()
        if raw:
            paths.append(list(path))
            proportions.append(int(raw) if raw.isdigit() else -1)
    num = form.get("numIdeas", "5").strip()
    return {
        "platform": form.get("platform", ""),
        "genrePaths": paths,
        "genreProportions": proportions,
        "requirements": form.get("requirements", ""),
        "numIdeas": int(num) if num.isdigit() else -1,
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
        key=request.form.get("idempotency_key") or uuid.uuid4().hex,
    ), status


@bp.get("/projects/<int:project_id>/brainstorm")
@login_required
def new(project_id: int) -> tuple[str, int]:
    """The brainstorm form."""
    return _render(project_for(current_user.id, project_id, write=True), {})


@bp.post("/projects/<int:project_id>/brainstorm")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_JOBS"], key_func=lambda: current_user.get_id())
def create(project_id: int) -> Response | tuple[str, int]:
    """Record the job and send the writer to its page at once."""
    project = project_for(current_user.id, project_id, write=True)
    key = request.form.get("idempotency_key", "")[:KEY_MAX] or None
    try:
        params = BRAINSTORM.validate(params_from_form(request.form))
        started = start_job(BRAINSTORM, project.id, current_user.id, params, key)
    except ParamsError as error:
        return _render(project, {error.field: error.message}, 422)
    except KeyReused:
        db.session.rollback()
        return _render(project, {"form": _("This form was already sent with other values.")}, 422)
    db.session.commit()
    if started.outcome == "created":
        launch(started.transform)
    elif started.outcome == "conflict":
        flash(_("A brainstorm is already running for this project: here it is."))
    return redirect(url_for("jobs.show", job_id=started.transform.id), 303)
