"""POST /api/projects."""

from typing import Any

from app.api import api, api_user
from app.extensions import db
from app.inputs import Inputs, Text, accepts
from app.lineage import lineage
from app.projects.access import project_for
from app.projects.domain import create_project

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


@api.get("/projects/<id:project_id>/lineage")
def project_lineage(project_id: int) -> dict[str, Any]:
    """The project's lineage graph: artifacts and transforms, inputs and outputs."""
    return lineage(project_for(api_user().id, project_id).id)
