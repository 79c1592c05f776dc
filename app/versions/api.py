"""The versions API: edit, list the versions of, and star what writers edit."""

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError

from app.api import api, api_user
from app.artifacts.models import Artifact
from app.clock import iso
from app.errors import Refused, fail
from app.extensions import db
from app.inputs import Inputs, Text, accepts, refusal
from app.versions.domain import (
    EDITABLE,
    Stale,
    artifact_for,
    line_of,
    made_by,
    revise,
    star_line,
)

DESCRIPTION_MAX = 500


class Edit(Inputs):
    data: dict[str, Any]
    description: Text(DESCRIPTION_MAX) = ""


class Star(Inputs):
    starred: bool


def version_json(artifact: Artifact, made_by: int | None) -> dict[str, Any]:
    """A version as every JSON answer shows it."""
    return {
        "artifactId": artifact.id,
        "version": artifact.version,
        "data": artifact.data,
        "createdAt": iso(artifact.created_at),
        "humanTransformId": made_by,
    }


def versions_json(line: list[Artifact]) -> list[dict[str, Any]]:
    made = made_by([v.id for v in line])
    return [version_json(v, made.get(v.id)) for v in line]


def edited_data(artifact: Artifact, data: dict[str, Any]) -> dict[str, Any]:
    """The edit's data, validated for the artifact's type (422 naming the field)."""
    entry = EDITABLE.get(artifact.type)
    if entry is None:
        fail(422, _("This cannot be edited."), field="data")
    if artifact.streaming_status == "streaming":
        fail(409, _("This is still being written: edit it when its job has finished."))
    try:
        valid = entry.model.model_validate(data, strict=True).model_dump(by_alias=True)
        return entry.stored(valid, artifact.data)
    except ValidationError as error:
        refused: Refused = refusal(error)
        if refused.extra.get("field") is None:
            refused.extra["field"] = "data"
        raise refused from None


def stale(latest: Artifact) -> Refused:
    return Refused(
        409,
        _("Someone saved a newer version meanwhile: edit the latest one."),
        latestArtifactId=latest.id,
        latestVersion=latest.version,
        latest=versions_json([latest])[0],
    )


@api.post("/artifacts/<id:artifact_id>/edit")
@accepts(body=Edit, lazy=True)
def edit_artifact(artifact_id: int, body: Callable[[], Edit]) -> tuple[dict[str, Any], int]:
    """A new version of an idea or an outline: 201; 409 with the latest if this one is not.
    Membership first: a stranger learns nothing from the body's errors."""
    artifact = artifact_for(api_user().id, artifact_id, write=True)
    edit = body()
    data = edited_data(artifact, edit.data)
    try:
        version, transform = revise(artifact, data, api_user().id, description=edit.description)
    except Stale as found:
        db.session.rollback()
        raise stale(found.latest) from None
    db.session.commit()
    return {
        "artifactId": version.id,
        "version": version.version,
        "previousArtifactId": artifact.id,
        "humanTransformId": transform.id,
    }, 201


@api.get("/artifacts/<id:artifact_id>/versions")
def artifact_versions(artifact_id: int) -> dict[str, Any]:
    """The whole line of versions, oldest first, whichever version is asked."""
    artifact = artifact_for(api_user().id, artifact_id)
    return {"versions": versions_json(line_of(artifact))}


@api.post("/artifacts/<id:artifact_id>/star")
@accepts(body=Star, lazy=True)
def star_artifact(artifact_id: int, body: Callable[[], Star]) -> dict[str, Any]:
    """Choose (or unchoose) an idea: the mark belongs to its whole line of versions."""
    artifact = artifact_for(api_user().id, artifact_id, write=True)
    starred = body().starred
    latest = star_line(artifact, starred)
    db.session.commit()
    return {"artifactId": artifact.id, "latestArtifactId": latest.id, "starred": starred}
