"""Notices of finished jobs: dismissing one, or all (opening the job also counts as seeing it)."""

from flask import Blueprint, g, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement
from werkzeug.wrappers import Response

from app.jobs.access import job_for
from app.jobs.control import mark_all_seen, mark_seen
from app.jobs.listing import with_projects
from app.jobs.models import Transform
from app.redirects import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
# The most a page holds: three show (one on a phone), the rest wait behind "N more".
SHOWN = 20


def news_for(user_id: int) -> tuple[ColumnElement[bool], ...]:
    """Which jobs are news to the user: theirs, ended or waiting for their answers, unseen."""
    return (
        Transform.created_by == user_id,
        # Exactly the partial index's condition (a finished_at means a final status).
        Transform.seen_at.is_(None),
        Transform.finished_at.is_not(None) | (Transform.status == "needs_input"),
    )


def unseen(user_id: int) -> list[tuple[Transform, str]]:
    """The user's jobs with news they have not looked at, newest first."""
    return with_projects(*news_for(user_id), order_by=(Transform.updated_at.desc(),), limit=SHOWN)


@bp.post("/<id:job_id>/dismiss")
@login_required
def dismiss(job_id: int) -> Response | tuple[str, int]:
    """Mark the job's outcome seen, in every tab."""
    mark_seen(job_for(current_user.id, job_id), current_user.id)
    return _dismissed()  # htmx removes the notice by its swap


@bp.post("/dismiss")
@login_required
def dismiss_all() -> Response | tuple[str, int]:
    """Mark every outcome the writer has not seen yet seen, in every tab."""
    mark_all_seen(*news_for(current_user.id))
    return _dismissed()  # htmx empties the notices by its swap


def _dismissed() -> Response | tuple[str, int]:
    """Nothing for htmx (its swap removes what was dismissed); else back where the form was."""
    if request.headers.get("HX-Request"):
        g.varies_on_htmx = True
        return "", 200
    return redirect(safe_next(request.form.get("next"), url_for("projects.index")), 303)
