"""Reaching a project through membership: everyone else gets a 404."""

from flask import abort

from app import audit
from app.extensions import db
from app.projects.models import ROLES, Project, membership

WRITERS = ("owner", "collaborator")


def project_for(user_id: int, project_id: int, *, write: bool = False) -> Project:
    """The project if the user is a member (a writer, when writing), else 404."""
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    member = membership(project_id, user_id)
    if member is None or member.role not in ROLES or (write and member.role not in WRITERS):
        audit.record("access_refused", project=project_id, write=write)
        abort(404)
    return project
