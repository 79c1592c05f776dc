"""The page stream: HTML fragments made only of <hx-partial> elements."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import escape
from werkzeug.wrappers import Response

from app.extensions import db
from app.inputs import Filter, Id, Inputs, Text, accepts
from app.jobs.access import job_for
from app.jobs.listing import active_count, member_of, with_projects
from app.jobs.models import Transform
from app.live import cursor
from app.live.feed import Feed, Update, sse
from app.live.hub import Delta
from app.live.streams import event_stream, follow
from app.notifications.views import unseen
from app.projects.access import project_for
from app.projects.models import Project, membership
from app.projects.views import page_context

bp = Blueprint("live", __name__, url_prefix="/live")
PAGE = "jobs/show.html"
PROJECT_PAGE = "projects/show.html"
NEWS = ("completed", "failed", "needs_input")  # what raises a notice


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
    if update.partial:  # the item being written: at each flush, gone once complete
        parts.append(render_block(PAGE, "job_partial_partial", writing=update.writing))
    return sse("".join(parts), event_id=str(update.cursor))


def partial(target: str, swap: str, html: str) -> str:
    """One <hx-partial> element (html is already escaped by its template)."""
    return f'<hx-partial hx-target="{escape(target)}" hx-swap="{swap}">{html}</hx-partial>'


class UserView:
    """What the user's own channel changes on one page: the nav count, notices, Jobs rows."""

    def __init__(
        self, user_id: int, watching: int | None, rows: bool, project: int | None = None
    ) -> None:
        self.user_id, self.watching, self.rows, self.project = user_id, watching, rows, project

    def __call__(self, delta: Delta) -> str | None:
        try:
            if delta.event == "seen":
                return sse(partial(f"#notice_{delta.job}", "delete", ""))
            locale = str(get_locale())
            parts = [delta.rendered(("nav", locale), self._nav)]
            if delta.job == self.watching and delta.status in NEWS:
                parts.append(self._acknowledge(delta.job))
            if self.rows:
                parts.append(delta.rendered(("row", locale), lambda: self._row(delta.job)))
            if self.project is not None:
                project = self.project
                parts.append(delta.rendered(("project", project, locale), self._project))
            if delta.status in NEWS and delta.job != self.watching:
                parts.append(delta.rendered(("toast", locale), lambda: self._toast(delta.job)))
            return sse("".join(parts))
        finally:
            db.session.close()

    def catch_up(self) -> str:
        """The nav count and the notices as they are now (a tab reconnecting after a pause
        missed what the user's channel said meanwhile)."""
        try:
            notices = "".join(
                render_template(
                    "notifications/_notice.html", job=job, project_name=name, away=True, csrf=None
                )
                for job, name in unseen(self.user_id)
            )
            return sse(self._nav() + partial("#notices", "innerHTML", notices))
        finally:
            db.session.close()

    def _nav(self) -> str:
        html = render_template("_nav_jobs.html", active_jobs=active_count(self.user_id))
        return partial("#nav_jobs", "outerHTML", html)

    def _job(self, job_id: int, started: bool = False) -> tuple[Transform, str] | None:
        """A job of the user's projects (one the user started, for a notice)."""
        where = [Transform.id == job_id, Transform.project_id.in_(member_of(self.user_id))]
        if started:
            where.append(Transform.created_by == self.user_id)
        rows = with_projects(*where, order_by=(), limit=1)
        return rows[0] if rows else None

    def _row(self, job_id: int) -> str:
        found = self._job(job_id)
        if found is None:
            return ""
        job, name = found
        html = render_block("jobs/index.html", "job_row", job=job, project_name=name, csrf=None)
        return partial(f"#job_row_{job_id}", "outerHTML", html)

    def _project(self) -> str:
        """The project page's kind blocks and jobs as they are now (a job of it changed)."""
        project = db.session.get(Project, self.project)
        if project is None or membership(project.id, self.user_id) is None:
            return ""
        context = page_context(project, self.user_id)
        return "".join(
            partial(f"#{block}", "outerHTML", render_block(PROJECT_PAGE, block, **context))
            for block in ("project_blocks", "project_jobs")
        )

    def _toast(self, job_id: int) -> str:
        found = self._job(job_id, started=True)  # only the person who started it is told
        if found is None or found[0].seen_at is not None:
            return ""
        job, name = found
        html = render_template(
            "notifications/_notice.html", job=job, project_name=name, away=False, csrf=None
        )
        return partial("#notices", "afterbegin", html)  # newest first, like the page

    def _acknowledge(self, job_id: int) -> str:
        """The page watching the job saw it end: it says so itself (a stream the server still
        holds for a closed tab must not mark anything seen). Without JavaScript the page
        reloads, and opening a finished job marks it seen."""
        url = url_for("notifications.dismiss", job_id=job_id)
        ack = f'<span hx-post="{escape(url)}" hx-trigger="load" hx-swap="none"></span>'
        return partial("#live_ack", "innerHTML", ack)


class PageStream(Inputs):
    job: Filter(Id) = None  # present but unreadable: a 404, like an unknown job
    after: cursor.After = None
    rows: Filter(Text(1)) = None
    project: Filter(Id) = None  # the project page: its blocks follow its jobs


@bp.get("/events")
@accepts(query=PageStream)
def events(query: PageStream) -> Response:
    """The signed-in user's page stream: notices and the nav count on every page, one
    job's deltas with ?job=, the Jobs page's rows with ?rows=1."""
    if not current_user.is_authenticated:
        abort(401)
    feed = None
    if "job" in request.args:
        job = job_for(current_user.id, query.job)
        feed = Feed(job.id, cursor.from_request(query.after), partials=True)
    project = None
    if "project" in request.args:  # present but unreadable: a 404, like an unknown project
        if query.project is None:
            abort(404)
        project = project_for(current_user.id, query.project).id
    view = UserView(current_user.id, feed.job_id if feed else None, query.rows == "1", project)
    db.session.close()
    return event_stream(
        follow(feed, view.user_id, render_update, on_user=view, user_catch_up=view.catch_up)
    )
