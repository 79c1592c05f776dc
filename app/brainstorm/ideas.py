"""Ideas after the brainstorm: the project's idea library, and an idea as writers edit it."""

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.errors import Refused
from app.extensions import db
from app.inputs import Inputs, Text
from app.jobs.models import IS_JOB, RESULT_ROLE, Transform
from app.versions.domain import Editable, latest_ids

IDEA_TYPE = "brainstorm_idea"
TITLE_MAX, BODY_MAX = 200, 5000


class IdeaData(Inputs):
    """An idea as a writer saves it."""

    title: Text(TITLE_MAX, min_length=1)
    body: Text(BODY_MAX) = ""


def idea_text(data: dict[str, Any]) -> str:
    """An idea's text for comparing versions."""
    return f"{data.get('title', '')}\n\n{data.get('body', '')}"


IDEA_EDITING = Editable(
    model=IdeaData,
    text=idea_text,
    fields_template="brainstorm/_idea_fields.html",
    to_form=lambda data: {"title": data.get("title", ""), "body": data.get("body", "")},
    from_form=lambda form, _old: {"title": form.get("title", ""), "body": form.get("body", "")},
)


def reference_for(project_id: int, artifact_id: int) -> Artifact:
    """An idea version of the project for a brainstorm to vary from (422 naming the field
    otherwise)."""
    idea = db.session.get(Artifact, artifact_id)
    if idea is None or idea.project_id != project_id or idea.type != IDEA_TYPE:
        message = _("Choose an idea of this project for the new ideas to vary from.")
        raise Refused(422, message, field="referenceArtifactId")
    return idea


@dataclass
class Idea:
    """One idea of the library: its newest version, and where its line started."""

    origin: Artifact  # as the brainstorm wrote it
    latest: Artifact
    brainstorm_id: int
    # Jobs that read a version of it (outlines: each regeneration is a branch), newest first,
    # with the version each read.
    uses: list[tuple[Transform, int]] = field(default_factory=list)

    @property
    def starred(self) -> bool:
        return self.origin.starred

    def to_json(self) -> dict[str, Any]:
        """An idea as the JSON API shows it: `artifactId`, `version`, `title` and `body`
        describe one version (here the newest); `latestArtifactId` is always the newest."""
        return {
            "artifactId": self.latest.id,
            "latestArtifactId": self.latest.id,
            "version": self.latest.version,
            "title": self.latest.data.get("title", ""),
            "body": self.latest.data.get("body", ""),
            "starred": self.starred,
            "brainstormId": self.brainstorm_id,
        }


@dataclass
class Shelf:
    """The ideas of one brainstorm."""

    brainstorm: Transform
    ideas: list[Idea]


def library(project_id: int, limit: int = 50) -> list[Shelf]:
    """Every idea of the project's brainstorms, grouped by brainstorm, newest first."""
    brainstorms = db.session.scalars(
        select(Transform)
        .where(IS_JOB, Transform.project_id == project_id, Transform.kind == "brainstorm")
        .order_by(Transform.created_at.desc(), Transform.id.desc())
        .limit(limit)
    ).all()
    if not brainstorms:
        return []
    rows = db.session.execute(
        select(TransformOutput.transform_id, Artifact)
        .join(Artifact, Artifact.id == TransformOutput.artifact_id)
        .where(
            TransformOutput.transform_id.in_([b.id for b in brainstorms]),
            TransformOutput.role == RESULT_ROLE,
            Artifact.type == IDEA_TYPE,
        )
        .order_by(TransformOutput.transform_id, TransformOutput.position)
    ).all()
    newest = latest_ids([artifact.id for _job, artifact in rows])
    revised = {latest for latest, version in newest.values() if version > 1}
    latest = {a.id: a for a in db.session.scalars(select(Artifact).where(Artifact.id.in_(revised)))}
    shelves = {b.id: Shelf(b, []) for b in brainstorms}
    ideas: dict[int, Idea] = {}
    for job_id, artifact in rows:
        newest_id = newest.get(artifact.id, (artifact.id, 1))[0]
        idea = ideas[artifact.id] = Idea(artifact, latest.get(newest_id, artifact), job_id)
        shelves[job_id].ideas.append(idea)
    _add_uses(ideas)
    return list(shelves.values())


def _add_uses(ideas: dict[int, "Idea"]) -> None:
    """The jobs that read each idea's versions, newest first."""
    if not ideas:
        return
    uses = db.session.execute(
        select(Transform, Artifact.origin_id, Artifact.id, Artifact.version)
        .join(TransformInput, TransformInput.transform_id == Transform.id)
        .join(Artifact, Artifact.id == TransformInput.artifact_id)
        .where(
            IS_JOB,
            TransformInput.role == "source",
            or_(Artifact.id.in_(ideas), Artifact.origin_id.in_(ideas)),
        )
        .order_by(Transform.created_at.desc(), Transform.id.desc())
    )
    for job, origin_id, artifact_id, version in uses:
        ideas[origin_id or artifact_id].uses.append((job, version))


def ideas_of(brainstorm_id: int) -> list[tuple[Artifact, int]]:
    """A brainstorm's ideas as it wrote them, each with the id of its newest version."""
    artifacts = db.session.scalars(
        select(Artifact)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .where(TransformOutput.transform_id == brainstorm_id, TransformOutput.role == RESULT_ROLE)
        .order_by(TransformOutput.position)
    ).all()
    newest = latest_ids([a.id for a in artifacts])
    return [(a, newest.get(a.id, (a.id, 1))[0]) for a in artifacts]


def recent_titles(project_id: int, before: int, brainstorms: int = 5) -> list[str]:
    """The titles the project's last brainstorms (before this one) wrote: a new one avoids
    them. Ends its read transaction (a running job holds no connection)."""
    recent = (
        select(Transform.id)
        .where(
            IS_JOB,
            Transform.project_id == project_id,
            Transform.kind == "brainstorm",
            Transform.id < before,
        )
        .order_by(Transform.id.desc())
        .limit(brainstorms)
        .subquery()
    )
    data = db.session.scalars(
        select(Artifact.data)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .where(TransformOutput.transform_id.in_(select(recent.c.id)))
        .where(TransformOutput.role == RESULT_ROLE)
        .order_by(TransformOutput.transform_id.desc(), TransformOutput.position)
    ).all()
    db.session.commit()
    return [str(d.get("title")) for d in data if isinstance(d, dict) and d.get("title")]
