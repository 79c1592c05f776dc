"""The projects list and a project's page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.jobs.kinds import KINDS
from app.jobs.models import IS_JOB, Transform
from app.jobs.state import results_of
from app.lineage import drawing
from app.projects.access import project_for
from app.projects.domain import create_project
from app.projects.forms import ProjectForm
from app.projects.models import visible_projects

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> str | Response | tuple[str, int]:
    """The writer's projects, and the form for a new one."""
    form = ProjectForm()
    if form.validate_on_submit():
        project = create_project(current_user, form.name.data, form.description.data or "")
        db.session.commit()
        return redirect(url_for("projects.show", project_id=project.id), 303)
    projects = db.session.scalars(visible_projects(current_user.id)).all()
    status = 422 if form.errors else 200
    return render_template("projects/index.html", projects=projects, form=form), status


@bp.get("/<id:project_id>")
@login_required
def show(project_id: int) -> str:
    """A project: its jobs, newest first."""
    project = project_for(current_user.id, project_id)
    jobs = db.session.scalars(
        select(Transform)
        .where(IS_JOB, Transform.project_id == project.id)
        .order_by(Transform.created_at.desc(), Transform.id.desc())
        .limit(50)
    ).all()
    blocks = []  # each kind's block, with its latest job here and that job's results
    for kind in KINDS.values():
        latest = next((job for job in jobs if job.kind == kind.name), None)
        done = latest is not None and latest.status == "completed"
        results = results_of(latest.id) if done else []
        blocks.append((kind, latest, results, kind.project_context(project.id)))
    return render_template(
        "projects/show.html", project=project, jobs=jobs, blocks=blocks, graph=drawing(project.id)
    )
