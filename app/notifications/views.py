"""Notices of finished jobs: dismissing one (opening the job also counts as seeing it)."""

from flask import Blueprint, g, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.jobs.access import job_for
from app.jobs.control import mark_seen
from app.jobs.listing import with_projects
from app.jobs.models import Transform
from app.redirects import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
SHOWN = 5


def unseen(user_id: int) -> list[tuple[Transform, str]]:
    """The user's jobs with news they have not looked at (ended, or waiting for their
    answers), newest first."""
    return with_projects(
        Transform.created_by == user_id,
        # Exactly the partial index's condition (a finished_at means a final status).
        Transform.seen_at.is_(None),
        Transform.finished_at.is_not(None) | (Transform.status == "needs_input"),
        order_by=(Transform.updated_at.desc(),),
        limit=SHOWN,
    )


@bp.post("/<id:job_id>/dismiss")
@login_required
def dismiss(job_id: int) -> Response | tuple[str, int]:
    """Mark the job's outcome seen, in every tab."""
    mark_seen(job_for(current_user.id, job_id))
    if request.headers.get("HX-Request"):
        g.varies_on_htmx = True
        return "", 200  # the notice is removed by the swap
    return redirect(safe_next(request.form.get("next"), url_for("projects.index")), 303)
