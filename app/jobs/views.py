"""A job's permanent page."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.jobs.access import job_for
from app.jobs.control import cancel_job, retry_job
from app.jobs.state import load_state

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int) -> str:
    """Params, progress, the streamed text and the results, as the database holds them."""
    state = load_state(job_for(current_user.id, job_id))
    return render_template("jobs/show.html", state=state, project=state.project)


@bp.post("/<int:job_id>/cancel")
@login_required
def cancel(job_id: int) -> Response:
    """Stop the job; what it wrote so far is kept."""
    transform = job_for(current_user.id, job_id, write=True)
    if not cancel_job(transform):
        flash(_("This job had already ended."))
    return redirect(url_for("jobs.show", job_id=job_id), 303)


@bp.post("/<int:job_id>/retry")
@login_required
def retry(job_id: int) -> Response:
    """Run a failed or cancelled job again, at the same address."""
    transform = job_for(current_user.id, job_id, write=True)
    outcome = retry_job(transform)
    if outcome == "conflict":
        flash(_("Another job of this kind is running in the project; retry when it ends."))
    elif outcome == "not_finished":
        flash(_("Only a failed or cancelled job can be retried."))
    return redirect(url_for("jobs.show", job_id=job_id), 303)
