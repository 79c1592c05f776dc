"""Story projects and who may see them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db

ROLES = ("owner", "collaborator", "viewer")


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Hidden from the projects list until restored; nothing else changes.
    archived_at: Mapped[datetime | None]


class ProjectMember(db.Model):
    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="owner")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def visible_projects(user_id: int, archived: bool | None = False):  # noqa: ANN201 - a Select
    """Projects the user is a member of, newest first: the current ones (archived=False), the
    archived ones (True) or all (None)."""
    query = (
        select(Project)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.user_id == user_id)
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    if archived is not None:
        query = query.where(
            Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None)
        )
    return query


def membership(project_id: int, user_id: int) -> ProjectMember | None:
    """The user's membership of the project, if any."""
    return db.session.get(ProjectMember, (project_id, user_id))
