"""The diagnostics page (live through its own stream, whole without JavaScript) and an
admin's retry or cancel of any job."""

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from gevent.queue import Empty
from jinja2_fragments.flask import render_block
from werkzeug.wrappers import Response

from app import audit
from app.admin.access import admin_job, is_admin
from app.admin.diagnostics import diagnostics, job_by_id
from app.errors import Refused
from app.extensions import db
from app.inputs import Id, Inputs, accepts
from app.jobs.control import cancel_job, retry_job
from app.live.feed import sse
from app.live.hub import SHUTDOWN, hub_for
from app.live.streams import RECONNECT, event_stream, stream_ends_at
from app.live.views import partial

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = "admin/diagnostics.html"
REFRESH_SECONDS = 2.0  # how often an open page's figures are read again


@bp.before_request
@login_required
def admins_only() -> None:
    """Signed out: the sign-in page; signed in but no admin: nothing here (404)."""
    if not is_admin(current_user):
        abort(404)


class Lookup(Inputs):
    job: Id | None = None


@bp.get("/")
@accepts(query=Lookup)
def diagnostics_page(query: Lookup) -> str:
    """Queues, workers, stuck and failing jobs, provider latency; ?job=N finds any job."""
    found = job_by_id(query.job) if query.job else None
    return render_template(PAGE, report=diagnostics(), looked_up=query.job, found=found)


@bp.get("/events")
def events() -> Response:
    """The page's figures, read again every REFRESH_SECONDS (ages and slots move on); it
    ends like any live stream (STREAM_MAX_SECONDS, or the process stopping)."""

    def body() -> Iterator[str]:
        yield ": connected\n\n"
        hub = hub_for(current_app.config["REDIS_URL"])
        queue = hub.subscribe([])  # told when the process stops
        ends_at = stream_ends_at()
        try:
            while time.monotonic() < ends_at:
                html = render_block(PAGE, "diagnostics", report=shared_report())
                yield sse(partial("#diagnostics", "outerHTML", html))
                next_at = min(time.monotonic() + REFRESH_SECONDS, ends_at)
                while (left := next_at - time.monotonic()) > 0:
                    try:
                        if queue.get(timeout=left) is SHUTDOWN:
                            yield RECONNECT
                            return
                    except Empty:
                        break
            yield RECONNECT
        finally:
            hub.unsubscribe(queue)

    return event_stream(body())


def shared_report() -> dict[str, Any]:
    """The diagnostics, read at most once per REFRESH_SECONDS by this process whatever the
    number of open pages (each read is a dozen queries)."""
    global _shared
    at, report = _shared
    if time.monotonic() - at >= REFRESH_SECONDS * 0.9:
        report = diagnostics()
        db.session.remove()  # no connection held between two reads
        _shared = (time.monotonic(), report)
    return report


_shared: tuple[float, dict[str, Any]] = (float("-inf"), {})


@bp.app_template_filter("moment")
def moment(value: str | None) -> datetime | None:
    """An ISO time of the report (…Z) as the stored naive UTC the `when` filter shows."""
    return datetime.fromisoformat(value.removesuffix("Z")) if value else None


def _back() -> Response:
    return redirect(url_for("admin.diagnostics_page"), 303)


@bp.post("/jobs/<id:job_id>/cancel")
def cancel(job_id: int) -> Response:
    """Stop anyone's job; what it wrote is kept."""
    transform = admin_job(job_id)
    if cancel_job(transform):
        audit.record("admin_cancel", job=job_id)
        flash(_("Job #%(id)d was cancelled.", id=job_id))
    else:
        flash(_("This job had already ended."))
    return _back()


@bp.post("/jobs/<id:job_id>/retry")
def retry(job_id: int) -> Response:
    """Run anyone's failed or cancelled job again (within its owner's limits)."""
    transform = admin_job(job_id)
    try:
        outcome = retry_job(transform)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message)
        return _back()
    if outcome == "retried":
        audit.record("admin_retry", job=job_id)
        flash(_("Job #%(id)d will run again.", id=job_id))
    elif outcome == "conflict":
        flash(_("Another job of this kind is running in the project; retry when it ends."))
    else:
        flash(_("Only a failed or cancelled job can be retried."))
    return _back()
