"""Reaching a project through membership: everyone else gets a 404. A member whose role does
not allow a change gets a 403 that says so."""

from flask import abort
from flask_babel import gettext as _

from app import audit
from app.errors import fail
from app.extensions import db
from app.projects.models import ROLES, Project, membership

WRITERS = ("owner", "collaborator")  # may change the project's work
MANAGERS = ("owner",)  # may manage its members and delete it


def project_for(
    user_id: int, project_id: int, *, write: bool = False, manage: bool = False
) -> Project:
    """The project if the user is a member, else 404; 403 if the member's role may not
    change it (`write`) or manage it (`manage`)."""
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    member = membership(project_id, user_id)
    if member is None or member.role not in ROLES:
        audit.record("access_refused", project=project_id, write=write)
        abort(404)
    if manage and member.role not in MANAGERS:
        audit.record("role_refused", project=project_id, role=member.role)
        fail(403, _("Only the project's owner may do that."))
    if write and member.role not in WRITERS:
        audit.record("role_refused", project=project_id, role=member.role)
        fail(403, _("You can read this project but not change it (you are a viewer)."))
    return project
