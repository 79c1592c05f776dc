"""The artifacts on a job's edges: what it read in a role, what it made in a role."""

from sqlalchemy import select

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.extensions import db
from app.jobs.models import RESULT_ROLE


def read_by(transform_id: int, role: str) -> Artifact | None:
    """The (first) artifact the job read in this role."""
    return db.session.scalars(
        select(Artifact)
        .join(TransformInput, TransformInput.artifact_id == Artifact.id)
        .where(TransformInput.transform_id == transform_id, TransformInput.role == role)
        .order_by(TransformInput.id)
    ).first()


def made_by(transform_id: int, role: str = RESULT_ROLE) -> list[Artifact]:
    """The artifacts the job made in this role, in their order."""
    return list(
        db.session.scalars(
            select(Artifact)
            .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
            .where(TransformOutput.transform_id == transform_id, TransformOutput.role == role)
            .order_by(TransformOutput.position, TransformOutput.id)
        )
    )
