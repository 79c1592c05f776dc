"""Transforms are jobs: their state, their streamed chunks and what each attempt asked."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import JSONType, db

ACTIVE = ("pending", "running", "retrying", "needs_input")
FINAL = ("completed", "failed", "cancelled")
STATUSES = ACTIVE + FINAL
RESULT_ROLE = "result"  # the edge from a job to each result artifact
_ACTIVE_SQL = text("status IN ('pending', 'running', 'retrying', 'needs_input')")
# News for the owner: a job that ended, or one that waits for the owner's answers.
_UNSEEN_SQL = text("seen_at IS NULL AND (finished_at IS NOT NULL OR status = 'needs_input')")


class Transform(db.Model):
    __tablename__ = "transforms"
    __table_args__ = (
        UniqueConstraint("created_by", "idempotency_key"),
        # One active job per project and kind: the database settles concurrent starts.
        Index(
            "uq_transforms_one_active",
            "project_id",
            "kind",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
        Index("ix_transforms_user_created", "created_by", "created_at", "id"),
        # The Jobs list: each of the reader's projects walked newest first, a page at a time.
        Index("ix_transforms_project_created", "project_id", "created_at", "id"),
        Index("ix_transforms_user_status_created", "created_by", "status", "created_at", "id"),
        Index("ix_transforms_status_next", "status", "next_attempt_at"),
        Index("ix_transforms_finished_at", "finished_at"),  # the diagnostics' windows
        # Jobs with news their owner has not looked at: read on every page load.
        Index(
            "ix_transforms_unseen",
            "created_by",
            sqlite_where=_UNSEEN_SQL,
            postgresql_where=_UNSEEN_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(10), default="llm")
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    progress: Mapped[int] = mapped_column(default=0)
    # A message key (English, translated when shown) and its parameters.
    progress_message: Mapped[str] = mapped_column(String(200), default="")
    progress_params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Results written and wanted; the total is NULL while the kind cannot know it.
    progress_done: Mapped[int | None]
    progress_total: Mapped[int | None]
    # The last attempt's error: a message key and its parameters, like the progress message.
    error: Mapped[str | None] = mapped_column(Text)
    error_params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The error's class (timeout, rate_limited, bad_output, …), for retries and figures.
    error_code: Mapped[str | None] = mapped_column(String(40))
    # Tries of the work: a retry after an error is a new attempt; a takeover that continues
    # from the checkpoint is not.
    attempt: Mapped[int] = mapped_column(default=0)
    # The fencing token: bumped by every claim, so a worker whose lease was taken over
    # cannot write any more.
    lease_epoch: Mapped[int] = mapped_column(default=0)
    # Provider state a kind must find again after a crash (a response id, a sequence number).
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    retry_count: Mapped[int] = mapped_column(default=0)
    max_retries: Mapped[int] = mapped_column(default=2)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    params_digest: Mapped[str | None] = mapped_column(String(64))
    # Sequence number of the last chunk of the current attempt: the stream cursor.
    last_seq: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # When its owner saw the outcome (opened the job, dismissed the notice); NULL while a
    # finished job is news: the "finished while you were away" notices are these rows.
    seen_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def active(self) -> bool:
        """Whether the job may still change."""
        return self.status in ACTIVE

    @property
    def cursor(self) -> str:
        """Where a stream that rendered this state should continue from."""
        return f"{self.attempt}.{self.last_seq}"

    @classmethod
    def human(cls, project_id: int, user_id: int, action: str, at: datetime) -> "Transform":
        """A person's act (an edit, a revert, answers) as the lineage records it: done when
        made, and no news to the person who did it."""
        return cls(
            project_id=project_id,
            type="human",
            kind=action,
            status="completed",
            progress=100,
            attempt=1,
            created_by=user_id,
            created_at=at,
            started_at=at,
            finished_at=at,
            seen_at=at,
        )


# Human transforms (an edit, a revert, answers) are lineage, never jobs: no list, count,
# notice or job page shows one.
IS_JOB = Transform.type != "human"


class TransformChunk(db.Model):
    __tablename__ = "transform_chunks"
    __table_args__ = (UniqueConstraint("transform_id", "attempt", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transform_id: Mapped[int] = mapped_column(ForeignKey("transforms.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    seq: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LlmPrompt(db.Model):
    __tablename__ = "llm_prompts"
    __table_args__ = (UniqueConstraint("transform_id", "attempt", "call"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transform_id: Mapped[int] = mapped_column(ForeignKey("transforms.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    # The model calls of one attempt, numbered from 1.
    call: Mapped[int] = mapped_column(default=1)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LlmTransform(db.Model):
    __tablename__ = "llm_transforms"
    __table_args__ = (
        UniqueConstraint("transform_id", "attempt", "call"),
        Index("ix_llm_transforms_started_at", "started_at"),  # the diagnostics' windows
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transform_id: Mapped[int] = mapped_column(ForeignKey("transforms.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    call: Mapped[int] = mapped_column(default=1)
    model: Mapped[str] = mapped_column(String(100))
    # The provider's id of the response, and when its first token came.
    response_id: Mapped[str | None] = mapped_column(String(200))
    first_token_at: Mapped[datetime | None]
    # The attempt's first chunk of this call's text (compaction folds the chunks by call).
    first_seq: Mapped[int | None]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Filled as the attempt ends, and by compaction from the chunks.
    raw_response: Mapped[str | None] = mapped_column(Text)
    finish_reason: Mapped[str | None] = mapped_column(String(40))
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    total_tokens: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
