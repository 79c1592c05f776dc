"""Projects and their members through the API."""

from typing import Any

from app.api import api, api_user
from app.clock import iso
from app.extensions import db
from app.inputs import Inputs, Text, accepts
from app.lineage import lineage
from app.projects.access import project_for
from app.projects.domain import archive, create_project, delete_project, rename
from app.projects.members import (
    add_member,
    change_role,
    member_json,
    members_of,
    remove_member,
)
from app.projects.models import Project

NAME_MAX, DESCRIPTION_MAX = 120, 2000


class NewProject(Inputs):
    name: Text(NAME_MAX, min_length=1)
    description: Text(DESCRIPTION_MAX) = ""


@api.post("/projects")
@accepts(body=NewProject)
def create_project_api(body: NewProject) -> tuple[dict[str, Any], int]:
    """Create a project: {name, description?} → 201 {projectId}."""
    project = create_project(api_user(), body.name, body.description)
    db.session.commit()
    return {"projectId": project.id}, 201


class ProjectChange(Inputs):
    name: Text(NAME_MAX, min_length=1) | None = None
    description: Text(DESCRIPTION_MAX) | None = None
    archived: bool | None = None


def project_json(project: Project) -> dict[str, Any]:
    return {
        "projectId": project.id,
        "name": project.name,
        "description": project.description,
        "archived": project.archived_at is not None,
        "createdAt": iso(project.created_at),
    }


@api.patch("/projects/<id:project_id>")
@accepts(body=ProjectChange, lazy=True)
def change_project_api(project_id: int, body: Any) -> dict[str, Any]:
    """Rename a project or archive it (and back): 200 with the project."""
    project = project_for(api_user().id, project_id, write=True)
    change = body()
    if change.name is not None or change.description is not None:
        rename(project, change.name or project.name, change.description)
    if change.archived is not None:
        archive(project, change.archived)
    db.session.commit()
    return project_json(project)


@api.delete("/projects/<id:project_id>")
def delete_project_api(project_id: int) -> tuple[str, int]:
    """Delete a project and everything in it (its owner only): 204; 409 while a job runs."""
    delete_project(project_for(api_user().id, project_id, manage=True))
    db.session.commit()
    return "", 204


@api.get("/projects/<id:project_id>/lineage")
def project_lineage(project_id: int) -> dict[str, Any]:
    """The project's lineage graph: artifacts and transforms, inputs and outputs."""
    return lineage(project_for(api_user().id, project_id).id)


# ---- members -----------------------------------------------------------------------------


class NewMember(Inputs):
    username: Text(40, min_length=1)
    role: Text(20, min_length=1)


class RoleChange(Inputs):
    role: Text(20, min_length=1)


@api.get("/projects/<id:project_id>/members")
def list_members_api(project_id: int) -> dict[str, Any]:
    """Every member with their role."""
    project = project_for(api_user().id, project_id)
    return {"members": [member_json(m, u) for m, u in members_of(project.id)]}


@api.post("/projects/<id:project_id>/members")
@accepts(body=NewMember, lazy=True)
def add_member_api(project_id: int, body: Any) -> tuple[dict[str, Any], int]:
    """The owner adds a person by username: 201 with the member; 409 if one already."""
    project = project_for(api_user().id, project_id, manage=True)
    given = body()
    member, user = add_member(project.id, given.username, given.role)
    db.session.commit()
    return member_json(member, user), 201


@api.patch("/projects/<id:project_id>/members/<username>")
@accepts(body=RoleChange, lazy=True)
def change_member_api(project_id: int, username: str, body: Any) -> dict[str, Any]:
    """The owner changes a member's role."""
    project = project_for(api_user().id, project_id, manage=True)
    member, user = change_role(project.id, username, body().role)
    db.session.commit()
    return member_json(member, user)


@api.delete("/projects/<id:project_id>/members/<username>")
def remove_member_api(project_id: int, username: str) -> tuple[str, int]:
    """The owner removes a member, or a member leaves: 204."""
    leaving = username == api_user().username
    project = project_for(api_user().id, project_id, manage=not leaving)
    remove_member(project.id, username)
    db.session.commit()
    return "", 204
