"""POST /api/projects."""

from typing import Any

from flask_babel import gettext as _

from app.api import api, api_user, fail, json_body
from app.extensions import db
from app.projects.domain import create_project


@api.post("/projects")
def create_project_api() -> tuple[dict[str, Any], int]:
    """Create a project: {name, description?} → 201 {projectId}."""
    body = json_body()
    name, description = body.get("name"), body.get("description", "")
    if not isinstance(name, str) or not name.strip():
        fail(422, _("name is required."), field="name")
    if len(name) > 120:
        fail(422, _("name is longer than 120 characters."), field="name")
    if not isinstance(description, str) or len(description) > 2000:
        fail(422, _("description must be text of at most 2000 characters."), field="description")
    project = create_project(api_user(), name, description)
    db.session.commit()
    return {"projectId": project.id}, 201
