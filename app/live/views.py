"""The page stream: HTML fragments made only of <hx-partial> elements."""

from flask import Blueprint, abort, request
from flask_babel import get_locale
from flask_login import current_user
from jinja2_fragments.flask import render_block
from werkzeug.wrappers import Response

from app.extensions import db
from app.jobs.access import job_for
from app.live import cursor
from app.live.feed import Feed, Update
from app.live.streams import event_stream, follow, sse

bp = Blueprint("live", __name__, url_prefix="/live")
PAGE = "jobs/show.html"


def render_update(update: Update) -> str:
    """The update as partials into the job page's blocks, rendered once per process and locale."""
    return update.rendered(("page", str(get_locale())), _partials)


def _partials(update: Update) -> str:
    parts = []
    if update.reset:
        text = "".join(c.text for c in update.chunks)
        parts.append(render_block(PAGE, "job_raw_text", text=text, swap="innerHTML"))
    else:
        for chunk in update.chunks:
            parts.append(render_block(PAGE, "job_raw_text", text=chunk.text, swap="beforeend"))
    if update.state is not None:
        for block in ("job_status", "job_results"):
            parts.append(render_block(PAGE, f"{block}_partial", state=update.state))
    return sse("".join(parts), event_id=str(update.cursor))


@bp.get("/events")
def events() -> Response:
    """The signed-in user's page stream, following one job when ?job= is given."""
    if not current_user.is_authenticated:
        abort(401)
    job_id = request.args.get("job", type=int)
    feed = None
    if "job" in request.args:
        feed = Feed(job_for(current_user.id, job_id).id, cursor.from_request())
    user_id = current_user.id
    db.session.close()
    return event_stream(follow(feed, user_id, render_update))
