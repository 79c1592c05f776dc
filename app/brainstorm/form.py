"""The brainstorm form: its fields read as params and filled from them, each message beside
the field at fault, and what a new form starts from (a brainstorm's settings, an idea)."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from app.artifacts.models import Artifact, TransformOutput
from app.brainstorm.catalog import genre_paths, platform_id
from app.brainstorm.ideas import reference_for
from app.errors import Refused
from app.extensions import db
from app.inputs import id_from, natural, problems
from app.jobs.models import IS_JOB, RESULT_ROLE, Transform
from app.jobs.state import params_of

REFERENCE = "referenceArtifactId"


def share_field(index: int) -> str:
    """The name of a genre's share in the form (its index among the genre paths)."""
    return f"genre-{index}"


def chosen(form: Mapping[str, str]) -> list[int]:
    """The indexes of the genres given a share (an empty share or 0 leaves a genre out)."""
    shares = (form.get(share_field(index), "").strip() for index in range(len(genre_paths())))
    return [index for index, share in enumerate(shares) if share and natural(share) != 0]


def read(form: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The form's fields in the params' shape (numbers still text: the model reads them), and
    the field each share came from."""
    paths, shares, names = [], [], []
    for index in chosen(form):
        paths.append(list(genre_paths()[index]))
        shares.append(form.get(share_field(index), "").strip())
        names.append(share_field(index))
    values = {
        "platform": form.get("platform", ""),
        "genrePaths": paths,
        "genreProportions": shares,
        "requirements": form.get("requirements", ""),
        "numIdeas": form.get("numIdeas", "5"),
    }
    if REFERENCE in form:  # a ticked box: the idea to vary from
        values[REFERENCE] = form.get(REFERENCE, "")
    return values, names


def errors_of(error: ValidationError, names: list[str]) -> dict[str, str]:
    """The first message for each field: a share's own problem beside that share; the genres'
    and their total's beside the genre picker; the others beside their input."""
    errors: dict[str, str] = {}
    details = error.errors(include_url=False, include_input=False)
    for detail, (field, message) in zip(details, problems(error), strict=True):
        loc = detail["loc"]
        share = loc[1] if len(loc) == 2 and loc[0] == "genreProportions" else None
        if isinstance(share, int) and share < len(names):
            field = names[share]
        errors.setdefault(field or "form", message)
    return errors


def fill(params: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields for a brainstorm's params (to run it again, or to vary an idea)."""
    index = {path: n for n, path in enumerate(genre_paths())}
    fields = {
        "platform": platform_id(str(params.get("platform", ""))) or "",
        "requirements": str(params.get("requirements", "")),
        "numIdeas": str(params.get("numIdeas", 5)),
    }
    shares = zip(params.get("genrePaths", []), params.get("genreProportions", []), strict=False)
    for path, share in shares:
        if tuple(path) in index:
            fields[share_field(index[tuple(path)])] = str(share)
    if params.get(REFERENCE):
        fields[REFERENCE] = str(params[REFERENCE])
    return fields


def _brainstorm_of(project_id: int, transform: Transform | None) -> bool:
    return (
        transform is not None
        and transform.project_id == project_id
        and transform.kind == "brainstorm"
        and transform.type != "human"
    )


def starting_fields(project_id: int, args: Mapping[str, str]) -> dict[str, str]:
    """What a new form holds: a brainstorm of the project run again (`?from=<job>`), or an idea
    of it to vary from (`?referenceArtifactId=<idea version>`, with the settings of the
    brainstorm that wrote it); else nothing (also for an id that is not one of these)."""
    again_id = id_from(args.get("from"))
    again = db.session.get(Transform, again_id) if again_id else None
    if again is not None and _brainstorm_of(project_id, again):
        return fill(params_of(again.id))
    idea_id = id_from(args.get(REFERENCE))
    if idea_id is None:
        return {}
    try:
        idea = reference_for(project_id, idea_id)
    except Refused:
        return {}
    wrote = db.session.scalar(
        select(Transform)
        .join(TransformOutput, TransformOutput.transform_id == Transform.id)
        .where(IS_JOB, TransformOutput.artifact_id == idea.origin)
        .where(TransformOutput.role == RESULT_ROLE)
    )
    fields = fill(params_of(wrote.id)) if wrote and _brainstorm_of(project_id, wrote) else {}
    return {**fields, REFERENCE: str(idea.id)}


def reference_shown(project_id: int, fields: Mapping[str, str]) -> Artifact | None:
    """The idea the form's new ideas vary from, if it names one of the project."""
    idea_id = id_from(fields.get(REFERENCE))
    if idea_id is None:
        return None
    try:
        return reference_for(project_id, idea_id)
    except Refused:
        return None
