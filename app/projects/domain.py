"""Creating projects (the caller commits)."""

from app.auth.models import User
from app.extensions import db
from app.projects.models import Project, ProjectMember


def create_project(owner: User, name: str, description: str = "") -> Project:
    """A project with its owner as first member."""
    project = Project(name=name.strip(), description=description.strip(), created_by=owner.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectMember(project_id=project.id, user_id=owner.id, role="owner"))
    return project
