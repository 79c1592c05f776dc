"""Typed data and the lineage edges that connect it to the transforms that made it."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import JSONType, db


class Artifact(db.Model):
    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    type_version: Mapped[int] = mapped_column(default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # While a transform is still writing this artifact: "streaming", then "completed".
    streaming_status: Mapped[str | None] = mapped_column(String(20))
    streaming_progress: Mapped[int | None]
    partial_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # What a person edits forms one line of versions: each revises the one before (at most
    # once: the unique key settles two edits of the same version) and names the first.
    version: Mapped[int] = mapped_column(default=1)
    origin_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"), index=True)
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"), unique=True)
    # Chosen by the writers (kept on the first version: it marks the whole line).
    starred: Mapped[bool] = mapped_column(default=False)

    @property
    def origin(self) -> int:
        """The id of the line's first version."""
        return self.origin_id or self.id


class TransformInput(db.Model):
    __tablename__ = "transform_inputs"
    __table_args__ = (UniqueConstraint("transform_id", "artifact_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transform_id: Mapped[int] = mapped_column(
        ForeignKey("transforms.id", ondelete="CASCADE"), index=True
    )
    artifact_id: Mapped[int] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))


class TransformOutput(db.Model):
    __tablename__ = "transform_outputs"
    __table_args__ = (
        UniqueConstraint("transform_id", "role", "position"),
        # What a kind emits carries its own key: a retry or a takeover never stores it twice.
        UniqueConstraint("transform_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transform_id: Mapped[int] = mapped_column(
        ForeignKey("transforms.id", ondelete="CASCADE"), index=True
    )
    artifact_id: Mapped[int] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    # The attempt that produced it: outputs of a failed attempt are kept.
    attempt: Mapped[int] = mapped_column(default=1)
    key: Mapped[str | None] = mapped_column(String(200))


class HumanTransform(db.Model):
    __tablename__ = "human_transforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    transform_id: Mapped[int] = mapped_column(
        ForeignKey("transforms.id", ondelete="CASCADE"), unique=True
    )
    action: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
