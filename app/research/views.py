"""Research pages: the form that starts it, the answers to its questions (plain forms, no
JavaScript needed), and its exports. The job page shows it live, like every job."""

import json
import uuid
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.artifacts.models import Artifact
from app.errors import Refused
from app.extensions import db
from app.inputs import id_from, key_from, read_form
from app.jobs.access import job_for
from app.jobs.answers import form_start
from app.jobs.starting import limit_starts
from app.language import mostly_cjk
from app.projects.access import project_for
from app.research.kind import RESEARCH, ResearchParams, estimate_seconds
from app.research.sessions import (
    CONTEXT_TYPES,
    give_answers,
    load_session,
    rendered,
    start_research,
)
from app.versions.domain import latest_ids

bp = Blueprint("research", __name__)
FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@bp.app_template_global()
def research_session(transform: Any) -> Any:
    """A research job as its templates show it (every part read from the database)."""
    return load_session(transform)


@bp.app_template_global()
def research_html(markdown: str | None) -> Any:
    return rendered(markdown)


@bp.app_template_global()
def research_estimate(mode: str) -> float | None:
    return estimate_seconds(mode)


def contexts(project_id: int) -> list[Artifact]:
    """What a writer may attach: the newest version of each idea, outline and research."""
    rows = db.session.scalars(
        select(Artifact)
        .where(Artifact.project_id == project_id, Artifact.type.in_(CONTEXT_TYPES))
        .order_by(Artifact.id.desc())
        .limit(300)
    ).all()
    latest = latest_ids([a.origin for a in rows])
    newest = {latest[a.origin][0] for a in rows if a.origin in latest}
    return [a for a in rows if a.id in newest or a.origin not in latest][:100]


def research_for(session_id: int, write: bool = False) -> Any:
    """A research job the writer may see (or change), else 404."""
    transform = job_for(current_user.id, session_id, write=write)
    if transform.kind != RESEARCH.name:
        abort(404)
    return transform


def _render(project: Any, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    return render_template(
        "research/new.html",
        project=project,
        contexts=contexts(project.id),
        form=form,
        errors=errors,
        key=key_from(form.get("idempotency_key")) or uuid.uuid4().hex,
    ), status


@bp.get("/projects/<id:project_id>/research")
@login_required
def new(project_id: int) -> Any:
    """The research form (an artifact may be preselected as its context)."""
    project = project_for(current_user.id, project_id, write=True)
    return _render(project, {"contextArtifactId": request.args.get("context", "")}, {})


@bp.post("/projects/<id:project_id>/research")
@login_required
@limit_starts
def create(project_id: int) -> Any:
    """Record the research job and send the writer to its page at once."""
    project = project_for(current_user.id, project_id, write=True)
    form = {name: request.form.get(name, "") for name in ("prompt", "mode", "contextArtifactId")}
    form["idempotency_key"] = request.form.get("idempotency_key", "")
    context_id = id_from(form["contextArtifactId"]) if form["contextArtifactId"] else None
    if form["contextArtifactId"] and context_id is None:
        return _render(project, form, {"contextArtifactId": _("Choose from the list.")}, 422)

    def start() -> Any:
        values = {"prompt": form["prompt"], "mode": form["mode"] or None}
        params = read_form(ResearchParams, values)
        key = key_from(form["idempotency_key"])
        return start_research(project.id, current_user.id, params, context_id, key)

    return form_start(
        start,
        _("Research is already running for this project."),
        lambda errors, status: _render(project, form, errors, status),
    )


@bp.get("/research/<id:session_id>/answers")
@login_required
def answers_form(session_id: int) -> Any:
    """The answers form alone (the job page fetches it when the questions arrive live), or
    the job page, where it is."""
    transform = research_for(session_id)
    g.varies_on_htmx = True
    if not request.headers.get("HX-Request"):
        return redirect(url_for("jobs.show", job_id=session_id) + "#research_answers", 303)
    return render_template("research/_answers.html", transform=transform)


@bp.post("/research/<id:session_id>/answers")
@login_required
def answers(session_id: int) -> Any:
    """The writer's answers (empty ones allowed) or a skip; back to the job's page."""
    transform = research_for(session_id, write=True)
    job_id = session_id
    session = load_session(transform)
    given = None
    if "skip" not in request.form:
        given = [request.form.get(f"answer_{i}", "") for i in range(len(session.questions))]
    try:
        answered = give_answers(transform, current_user.id, given)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message)
        return redirect(url_for("jobs.show", job_id=job_id), 303)
    if not answered:
        db.session.rollback()
        flash(_("This research is not waiting for answers."))
    return redirect(url_for("jobs.show", job_id=job_id), 303)


def export_markdown(data: dict[str, Any]) -> str:
    """The research result as Markdown: its text, then its sources if it did not list them."""
    text = data["markdown"].rstrip() + "\n"
    missing = [c for c in data.get("citations", []) if c["url"] not in text]
    if missing:
        heading = "参考来源" if mostly_cjk(text) else "Sources"
        text += f"\n## {heading}\n\n" + "".join(f"- [{c['title']}]({c['url']})\n" for c in missing)
    return text


@bp.get("/research/<id:session_id>/export")
@login_required
def export(session_id: int) -> Response:
    """The research result as Markdown, JSON or a page to print."""
    session = load_session(research_for(session_id))
    fmt = request.args.get("format", "md")
    if fmt not in FORMATS:
        raise Refused(422, _("Choose md, html or json."), field="format")
    if session.result is None:
        raise Refused(409, _("The research has no result yet: export it when it is done."))
    job_id = session_id
    data = session.result.data
    if fmt == "md":
        body = export_markdown(data)
    elif fmt == "json":
        body = json.dumps(session.to_json(), ensure_ascii=False, indent=2)
    else:
        language = "zh" if mostly_cjk(data["markdown"]) else "en"
        body = render_template(
            "research/print.html", data=data, html=rendered(data["markdown"]), language=language
        )
    response = Response(body, content_type=FORMATS[fmt])
    if fmt != "html":
        name = f"research-{job_id}.{fmt}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
