"""A job's permanent page."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.jobs.access import job_for
from app.jobs.state import load_state

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int) -> str:
    """Params, progress, the streamed text and the results, as the database holds them."""
    state = load_state(job_for(current_user.id, job_id))
    return render_template("jobs/show.html", state=state, project=state.project)
