"""Projects: creating, renaming, archiving and deleting one, and the cards of the list (the
caller commits)."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.artifacts.models import Artifact
from app.auth.models import User
from app.clock import utcnow
from app.errors import fail
from app.extensions import begin_write, db
from app.jobs.models import ACTIVE, IS_JOB, Transform
from app.projects.models import Project, ProjectMember

COUNTED = {"brainstorm_idea": "ideas", "outline": "outlines"}


def create_project(owner: User, name: str, description: str = "") -> Project:
    """A project with its owner as first member."""
    project = Project(name=name.strip(), description=description.strip(), created_by=owner.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectMember(project_id=project.id, user_id=owner.id, role="owner"))
    return project


def rename(project: Project, name: str, description: str | None = None) -> Project:
    begin_write()
    project.name = name.strip()
    if description is not None:
        project.description = description.strip()
    return project


def archive(project: Project, archived: bool) -> Project:
    """Hide the project from the list (or bring it back); its work stays as it is."""
    begin_write()
    project.archived_at = utcnow() if archived else None
    return project


def delete_project(project: Project) -> None:
    """Delete the project with all its jobs and artifacts; refused (409) while a job of it is
    pending, running, retrying or waiting for answers."""
    begin_write()
    busy = db.session.scalar(
        select(func.count())
        .select_from(Transform)
        .where(Transform.project_id == project.id, Transform.status.in_(ACTIVE))
    )
    if busy:
        fail(
            409,
            _("A job of this project is still running or waiting: cancel it or let it end first."),
        )
    # Versions point at each other: unlink them, then the database cascades the rest.
    db.session.execute(
        Artifact.__table__.update()
        .where(Artifact.project_id == project.id)
        .values(origin_id=None, revises_id=None)
    )
    db.session.execute(delete(Project).where(Project.id == project.id))


@dataclass(frozen=True)
class Card:
    """What the projects list shows of a project."""

    project: Project
    status: str  # "running", "needs_input" or "idle"
    ideas: int
    outlines: int
    last_activity: datetime


def cards(projects: list[Project]) -> list[Card]:
    """Each project with its state, its counts and when anything last happened in it."""
    ids = [p.id for p in projects]
    if not ids:
        return []
    states: dict[int, set[str]] = {}
    latest: dict[int, datetime] = {}
    for project_id, status, at in db.session.execute(
        select(Transform.project_id, Transform.status, func.max(Transform.updated_at))
        .where(IS_JOB, Transform.project_id.in_(ids))
        .group_by(Transform.project_id, Transform.status)
    ):
        states.setdefault(project_id, set()).add(status)
        latest[project_id] = max(at, latest.get(project_id, at))
    counts: dict[tuple[int, str], int] = {}
    for project_id, type_, count in db.session.execute(
        select(Artifact.project_id, Artifact.type, func.count())
        .where(
            Artifact.project_id.in_(ids),
            Artifact.type.in_(COUNTED),
            Artifact.revises_id.is_(None),  # a line of versions counts once
        )
        .group_by(Artifact.project_id, Artifact.type)
    ):
        counts[(project_id, type_)] = count
    found = []
    for project in projects:
        running = states.get(project.id, set())
        status = "needs_input" if "needs_input" in running else "idle"
        if status == "idle" and running & (set(ACTIVE) - {"needs_input"}):
            status = "running"
        last = max(project.updated_at, latest.get(project.id, project.updated_at))
        found.append(
            Card(
                project,
                status,
                counts.get((project.id, "brainstorm_idea"), 0),
                counts.get((project.id, "outline"), 0),
                last,
            )
        )
    return found
