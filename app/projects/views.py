"""The projects list and a project's page."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.errors import Refused
from app.extensions import db
from app.jobs.kinds import KINDS
from app.jobs.models import IS_JOB, Transform
from app.jobs.state import results_of
from app.lineage import drawing
from app.projects.access import WRITERS, project_for
from app.projects.domain import archive, cards, create_project, delete_project, rename
from app.projects.forms import ProjectForm
from app.projects.members import add_member, change_role, members_of, remove_member
from app.projects.models import Project, membership, visible_projects

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.app_template_global()
def may_change(project_id: int) -> bool:
    """Whether the signed-in person may change the project (pages hide what they may not)."""
    member = membership(project_id, current_user.id) if current_user.is_authenticated else None
    return member is not None and member.role in WRITERS


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> str | Response | tuple[str, int]:
    """The writer's projects, and the form for a new one."""
    form = ProjectForm()
    if form.validate_on_submit():
        project = create_project(current_user, form.name.data, form.description.data or "")
        db.session.commit()
        return redirect(url_for("projects.show", project_id=project.id), 303)
    archived = request.args.get("archived") == "1"
    projects = db.session.scalars(visible_projects(current_user.id, archived=archived)).all()
    hidden = db.session.scalar(
        select(func.count()).select_from(
            visible_projects(current_user.id, archived=True).subquery()
        )
    )
    status = 422 if form.errors else 200
    return render_template(
        "projects/index.html",
        cards=cards(list(projects)),
        form=form,
        archived=archived,
        hidden=hidden,
    ), status


def page_context(project: Project, user_id: int) -> dict[str, Any]:
    """What the project page shows (its kinds' blocks and its jobs are also rendered alone,
    live, when a job of it changes: app/live/views.py)."""
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
    return {
        "project": project,
        "jobs": jobs,
        "blocks": blocks,
        "members": members_of(project.id),
        "role": membership(project.id, user_id).role,
    }


@bp.get("/<id:project_id>")
@login_required
def show(project_id: int) -> str:
    """A project: its ideas, outlines and research, members, story graph and jobs."""
    project = project_for(current_user.id, project_id)
    context = page_context(project, current_user.id)
    return render_template("projects/show.html", graph=drawing(project.id), **context)


# ---- the project itself: rename, archive, delete (plain forms; the API does the same) ------


@bp.post("/<id:project_id>/rename")
@login_required
def rename_page(project_id: int) -> Response:
    project = project_for(current_user.id, project_id, write=True)
    form = ProjectForm()
    if form.validate_on_submit():
        rename(project, form.name.data, form.description.data or "")
        db.session.commit()
        flash(_("The project is renamed."))
    else:
        flash(next(iter(form.errors.values()))[0])
    return redirect(url_for("projects.show", project_id=project.id) + "#settings", 303)


@bp.post("/<id:project_id>/archive")
@login_required
def archive_page(project_id: int) -> Response:
    project = project_for(current_user.id, project_id, write=True)
    archived = request.form.get("archived") != "0"
    archive(project, archived)
    db.session.commit()
    if archived:
        flash(_("“%(name)s” is archived: find it under “Archived”.", name=project.name))
        return redirect(url_for("projects.index"), 303)
    flash(_("“%(name)s” is back in your projects.", name=project.name))
    return redirect(url_for("projects.show", project_id=project.id), 303)


@bp.route("/<id:project_id>/delete", methods=["GET", "POST"])
@login_required
def delete_page(project_id: int) -> Response | str:
    """A confirmation page, then the deletion (refused while a job of it is active)."""
    project = project_for(current_user.id, project_id, manage=True)
    if request.method == "GET":
        return render_template("projects/delete.html", project=project, card=cards([project])[0])
    name = project.name
    try:
        delete_project(project)
        db.session.commit()
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message)
        return redirect(url_for("projects.show", project_id=project_id) + "#settings", 303)
    flash(_("“%(name)s” and everything in it are deleted.", name=name))
    return redirect(url_for("projects.index"), 303)


# ---- members (plain forms; the API does the same in JSON) -----------------------------------


def _members_action(project_id: int, act: Callable[[], object], done: str) -> Response:
    """Run a change of the members, say how it went, and go back to the project (or, for a
    member who left, to the projects list)."""
    try:
        act()
        db.session.commit()
        flash(done)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message)
    if membership(project_id, current_user.id) is None:
        return redirect(url_for("projects.index"), 303)
    return redirect(url_for("projects.show", project_id=project_id) + "#members", 303)


@bp.post("/<id:project_id>/members")
@login_required
def add_member_page(project_id: int) -> Response:
    project = project_for(current_user.id, project_id, manage=True)
    username, role = request.form.get("username", ""), request.form.get("role", "")
    return _members_action(
        project.id,
        lambda: add_member(project.id, username, role),
        _("%(name)s was added.", name=username.strip()),
    )


@bp.post("/<id:project_id>/members/<username>/role")
@login_required
def change_member_page(project_id: int, username: str) -> Response:
    project = project_for(current_user.id, project_id, manage=True)
    role = request.form.get("role", "")
    return _members_action(
        project.id,
        lambda: change_role(project.id, username, role),
        _("%(name)s's role was changed.", name=username),
    )


@bp.post("/<id:project_id>/members/<username>/remove")
@login_required
def remove_member_page(project_id: int, username: str) -> Response:
    leaving = username == current_user.username
    project = project_for(current_user.id, project_id, manage=not leaving)
    message = _("You left the project.") if leaving else _("%(name)s was removed.", name=username)
    return _members_action(project.id, lambda: remove_member(project.id, username), message)
