"""The Jobs page and a job's permanent page, with cancel and retry."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.errors import Refused
from app.extensions import db
from app.inputs import accepts
from app.jobs.access import job_for
from app.jobs.control import cancel_job, mark_seen, retry_job
from app.jobs.kinds import KINDS
from app.jobs.listing import GROUPS, JobsQuery, list_jobs
from app.jobs.models import Transform
from app.jobs.starting import limit_starts
from app.jobs.state import load_state
from app.projects.models import Project, visible_projects
from app.redirects import safe_next

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/")
@login_required
@accepts(query=JobsQuery)
def index(query: JobsQuery) -> str:
    """Every job of the writer: running, waiting, finished; filtered, newest first."""
    page = list_jobs(current_user.id, query, query.before)
    projects = db.session.scalars(visible_projects(current_user.id, archived=None)).all()
    return render_template(
        "jobs/index.html", page=page, filters=query, groups=GROUPS, kinds=KINDS, projects=projects
    )


@bp.get("/<id:job_id>")
@login_required
def show(job_id: int) -> str:
    """Params, progress, the streamed text and the results, as the database holds them."""
    transform = job_for(current_user.id, job_id)
    news = transform.finished_at is not None or transform.status == "needs_input"
    if news and transform.seen_at is None:
        mark_seen(transform, current_user.id)
    state = load_state(transform)
    return render_template("jobs/show.html", state=state, project=state.project)


def _after_action(transform: Transform) -> Response | str:
    """The row again for htmx (the Jobs page swaps it); else back where the form was."""
    if request.headers.get("HX-Request"):
        g.varies_on_htmx = True
        name = db.session.scalar(select(Project.name).where(Project.id == transform.project_id))
        db.session.refresh(transform)
        return render_block("jobs/index.html", "job_row", job=transform, project_name=name)
    fallback = url_for("jobs.show", job_id=transform.id)
    return redirect(safe_next(request.form.get("next"), fallback), 303)


@bp.post("/<id:job_id>/cancel")
@login_required
def cancel(job_id: int) -> Response | str:
    """Stop the job; what it wrote so far is kept."""
    transform = job_for(current_user.id, job_id, write=True)
    if not cancel_job(transform):
        flash(_("This job had already ended."))
    return _after_action(transform)


@bp.post("/<id:job_id>/retry")
@login_required
@limit_starts
def retry(job_id: int) -> Response | str:
    """Run a failed or cancelled job again, at the same address."""
    transform = job_for(current_user.id, job_id, write=True)
    try:
        outcome = retry_job(transform)
    except Refused as refusal:
        db.session.rollback()
        outcome = "refused"
        flash(refusal.message)
    if outcome == "conflict":
        flash(_("Another job of this kind is running in the project; retry when it ends."))
    elif outcome == "not_finished":
        flash(_("Only a failed or cancelled job can be retried."))
    return _after_action(transform)
