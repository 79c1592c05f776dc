"""A project's members: the owner adds people by username as collaborators (everything but
managing members and deleting the project) or viewers (read only), changes their roles and
removes them; any member may leave, except the only owner. The caller commits."""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.models import User
from app.clock import iso
from app.errors import fail
from app.extensions import begin_write, db
from app.inputs import clean_text
from app.projects.models import ProjectMember, membership

GRANTABLE = ("collaborator", "viewer")  # "owner" is never granted


def member_json(member: ProjectMember, user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "displayName": user.name,
        "role": member.role,
        "addedAt": iso(member.created_at),
    }


def members_of(project_id: int) -> list[tuple[ProjectMember, User]]:
    """The members, owners first, then in the order they joined."""
    rows = db.session.execute(
        select(ProjectMember, User)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id)
        .order_by((ProjectMember.role != "owner"), ProjectMember.created_at, User.id)
    ).all()
    return [(member, user) for member, user in rows]


def _user(username: str) -> User:
    # A name no database can hold (NUL, a lone surrogate: a path segment may carry anything)
    # is no one's name.
    user = (
        db.session.scalar(select(User).where(User.username == username.strip()))
        if clean_text(username) and len(username) <= 200
        else None
    )
    if user is None:
        fail(404, _("There is no one called %(name)s.", name=username), field="username")
    return user


def _member(project_id: int, username: str) -> tuple[ProjectMember, User]:
    user = _user(username)
    member = membership(project_id, user.id)
    if member is None:
        fail(404, _("%(name)s is not a member of this project.", name=username))
    return member, user


def _grantable(role: str) -> str:
    if role not in GRANTABLE:
        fail(422, _("A member is a collaborator or a viewer."), field="role")
    return role


def _owners(project_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ProjectMember)
        .where(ProjectMember.project_id == project_id, ProjectMember.role == "owner")
    )


def add_member(project_id: int, username: str, role: str) -> tuple[ProjectMember, User]:
    """Add a person; 404 if no one has that name, 409 if they are a member already."""
    role = _grantable(role)
    begin_write()
    user = _user(username)
    if membership(project_id, user.id) is not None:
        fail(409, _("%(name)s is already a member.", name=user.username), field="username")
    member = ProjectMember(project_id=project_id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.flush()
    return member, user


def change_role(project_id: int, username: str, role: str) -> tuple[ProjectMember, User]:
    """Make a member a collaborator or a viewer; the only owner stays owner."""
    role = _grantable(role)
    begin_write()
    member, user = _member(project_id, username)
    if member.role == "owner" and _owners(project_id) == 1:
        fail(409, _("The project's only owner cannot be demoted."), field="role")
    member.role = role
    db.session.flush()
    return member, user


def remove_member(project_id: int, username: str) -> None:
    """Take a member off the project (the owner's act, or the member leaving); nothing to do
    if they are not one (a repeated DELETE changes nothing)."""
    begin_write()
    member = membership(project_id, _user(username).id)
    if member is None:
        return
    if member.role == "owner" and _owners(project_id) == 1:
        fail(409, _("The project's only owner cannot leave it."))
    db.session.delete(member)
    db.session.flush()
