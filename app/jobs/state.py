"""One way to read a job in any state; the page, the fragments and the API are views of it."""

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.clock import iso, utcnow
from app.extensions import db
from app.jobs.kinds import JobKind, kind_of
from app.jobs.models import RESULT_ROLE, LlmTransform, Transform, TransformChunk
from app.projects.models import Project

# How much of the end of an attempt's text the item being written is read from: more than the
# longest item a kind keeps (an idea's body is capped at 5,000 characters, which JSON escapes
# may lengthen), so a flush costs the same late in a long answer as at its start.
TAIL_CHARS = 16_000
TAIL_ROWS = 200  # chunks read at a time, backwards, to find that end
MIN_PACE_SECONDS = 5  # before this, a pace says nothing


@dataclass
class Chunk:
    attempt: int
    seq: int
    text: str

    @property
    def cursor(self) -> str:
        return f"{self.attempt}.{self.seq}"


@dataclass
class JobState:
    transform: Transform
    project: Project
    kind: JobKind
    params: dict[str, Any]
    results: list[dict[str, Any]]
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def raw_text(self) -> str:
        """The current attempt's text so far."""
        return "".join(chunk.text for chunk in self.chunks)

    @property
    def inputs(self) -> list[tuple[str, Artifact]]:
        """The artifacts the job reads besides its params, with their roles (an outline's
        idea version): what a job page names as its source."""
        rows = db.session.execute(
            select(TransformInput.role, Artifact)
            .join(Artifact, Artifact.id == TransformInput.artifact_id)
            .where(
                TransformInput.transform_id == self.transform.id, TransformInput.role != "params"
            )
            .order_by(TransformInput.id)
        )
        return [(role, artifact) for role, artifact in rows]

    @property
    def writing(self) -> "Writing | None":
        """The item being written, while the model writes (as the page first shows it)."""
        if self.kind.partial_template is None or self.transform.status != "running":
            return None
        return Writing.of(self.kind, self.raw_text)

    def to_json(self) -> dict[str, Any]:
        """The job as the JSON API shows it."""
        return job_json(self.transform, self.project.name)


@dataclass
class Writing:
    """The end of the current attempt's text (at most TAIL_CHARS), and the item the kind reads
    in it: the page's block `job_partial`."""

    kind: JobKind
    tail: str
    whole: bool  # the tail is all of the text

    @classmethod
    def of(cls, kind: JobKind, text: str) -> "Writing":
        return cls(kind, text[-TAIL_CHARS:], len(text) <= TAIL_CHARS)

    def extended(self, text: str) -> "Writing":
        """The same after more text."""
        joined = self.tail + text
        return Writing(self.kind, joined[-TAIL_CHARS:], self.whole and len(joined) <= TAIL_CHARS)

    @cached_property
    def item(self) -> dict[str, Any] | None:
        return self.kind.partial(self.tail, whole=self.whole)


@dataclass(frozen=True)
class Timing:
    elapsed: int  # seconds
    left: int | None  # seconds, at the pace kept so far; None: not known yet


def timing(t: Transform, now: datetime | None = None) -> Timing | None:
    """How long a running job has been at it (since this run began) and how long it may still
    take at the pace it has kept; None when it is not running."""
    if t.status != "running" or t.started_at is None:
        return None
    elapsed = max(0, int(((now or utcnow()) - t.started_at).total_seconds()))
    if t.progress_total and t.progress_done is not None:
        done = t.progress_done / t.progress_total
    else:
        done = t.progress / 100
    left = None
    # A later attempt begins with what earlier ones stored: its own pace is not known.
    if t.attempt <= 1 and 0 < done < 1 and elapsed >= MIN_PACE_SECONDS:
        left = round(elapsed * (1 - done) / done)
    return Timing(elapsed, left)


def translated(key: str | None, params: dict[str, Any] | None) -> str:
    """A message stored as a key with parameters, in the reader's language."""
    return gettext(key, **(params or {})) if key else ""


def progress_text(job: Transform) -> str:
    """A job's progress message in the reader's language."""
    return translated(job.progress_message, job.progress_params)


def error_text(job: Transform) -> str:
    """A job's last error in the reader's language."""
    return translated(job.error, job.error_params)


def job_json(t: Transform, project_name: str | None = None) -> dict[str, Any]:
    """A job as every JSON answer shows it (lists, one job, stream events, the kinds' own
    endpoints embed it): one shape, built here only."""
    return {
        "id": t.id,
        "kind": t.kind,
        "projectId": t.project_id,
        "projectName": project_name,
        "status": t.status,
        "progress": t.progress,
        "progressMessage": progress_text(t),
        "progressDone": t.progress_done,
        "progressTotal": t.progress_total,
        "error": error_text(t) or None,
        "errorCode": t.error_code,
        "attempt": t.attempt,
        "retryCount": t.retry_count,
        "maxRetries": t.max_retries,
        "nextAttemptAt": iso(t.next_attempt_at),
        "createdAt": iso(t.created_at),
        "startedAt": iso(t.started_at),
        "finishedAt": iso(t.finished_at),
        "seen": t.seen_at is not None,
        "cursor": t.cursor,
        "url": f"/jobs/{t.id}",
    }


def chunks_after(transform_id: int, attempt: int, seq: int, upto: int | None = None) -> list[Chunk]:
    """An attempt's chunks after a sequence number, in order."""
    query = select(TransformChunk.seq, TransformChunk.text).where(
        TransformChunk.transform_id == transform_id,
        TransformChunk.attempt == attempt,
        TransformChunk.seq > seq,
    )
    if upto is not None:
        query = query.where(TransformChunk.seq <= upto)
    rows = db.session.execute(query.order_by(TransformChunk.seq))
    return [Chunk(attempt, s, text) for s, text in rows]


def seconds_until(moment: datetime) -> int:
    """Whole seconds from now until a stored time (0 once it has passed)."""
    return max(0, math.ceil((moment - utcnow()).total_seconds()))


def text_tail(transform_id: int, attempt: int, upto: int) -> tuple[str, bool]:
    """The last TAIL_CHARS characters of an attempt's text up to a chunk (read backwards, a
    few rows at a time), and whether they are all of it."""
    parts: list[str] = []
    size, before = 0, upto + 1
    while size <= TAIL_CHARS:
        rows = db.session.execute(
            select(TransformChunk.seq, TransformChunk.text)
            .where(
                TransformChunk.transform_id == transform_id,
                TransformChunk.attempt == attempt,
                TransformChunk.seq < before,
            )
            .order_by(TransformChunk.seq.desc())
            .limit(TAIL_ROWS)
        ).all()
        parts += [text for _seq, text in rows]
        size += sum(len(text) for _seq, text in rows)
        if len(rows) < TAIL_ROWS:
            break
        before = rows[-1].seq
    return "".join(reversed(parts))[-TAIL_CHARS:], size <= TAIL_CHARS


def current_chunks(transform: Transform) -> list[Chunk]:
    """The current attempt's text as chunks; after compaction, one chunk of the raw response."""
    chunks = chunks_after(transform.id, transform.attempt, 0, transform.last_seq)
    if chunks or transform.last_seq == 0:
        return chunks
    calls = db.session.scalars(
        select(LlmTransform.raw_response)
        .where(LlmTransform.transform_id == transform.id, LlmTransform.attempt == transform.attempt)
        .order_by(LlmTransform.call)
    )
    return [Chunk(transform.attempt, transform.last_seq, "".join(r or "" for r in calls))]


def streaming_json(
    transform: Transform, chunks: list[Chunk] | None = None
) -> dict[str, Any] | None:
    """The current attempt's text as a kind's API answers it (`streamingData`): None once a
    job has ended without any. `chunks`: the current ones, if the caller has read them."""
    chunks = current_chunks(transform) if chunks is None else chunks
    if not (transform.active or chunks):
        return None
    return {
        "transformId": transform.id,
        "attempt": transform.attempt,
        "chunks": [c.text for c in chunks],
        "progress": transform.progress,
    }


def results_of(transform_id: int) -> list[dict[str, Any]]:
    """The job's result artifacts, in order, with their ids."""
    rows = db.session.execute(
        select(Artifact.id, Artifact.data)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .where(TransformOutput.transform_id == transform_id, TransformOutput.role == RESULT_ROLE)
        .order_by(TransformOutput.position)
    )
    return [{"id": artifact_id, **data} for artifact_id, data in rows]


def params_of(transform_id: int) -> dict[str, Any]:
    """The params the job was started with."""
    return db.session.execute(
        select(Artifact.data)
        .join(TransformInput, TransformInput.artifact_id == Artifact.id)
        .where(TransformInput.transform_id == transform_id, TransformInput.role == "params")
    ).scalar_one()


def load_state(transform: Transform, with_chunks: bool = True) -> JobState:
    """Everything shown about a job, straight from the database."""
    return JobState(
        transform=transform,
        project=db.session.get(Project, transform.project_id),
        kind=kind_of(transform.kind),
        params=params_of(transform.id),
        results=results_of(transform.id),
        chunks=current_chunks(transform) if with_chunks else [],
    )


def inputs_of(transform_id: int) -> dict[str, list[dict[str, Any]]]:
    """The artifacts a job reads, by role, each with its id."""
    rows = db.session.execute(
        select(TransformInput.role, Artifact.id, Artifact.data)
        .join(Artifact, Artifact.id == TransformInput.artifact_id)
        .where(TransformInput.transform_id == transform_id)
        .order_by(TransformInput.id)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for role, artifact_id, data in rows:
        found.setdefault(role, []).append({"id": artifact_id, **data})
    return found


def outputs_of(transform_id: int) -> list[tuple[str, str | None, dict[str, Any]]]:
    """What a job stored: (role, key, data), in order within each role."""
    rows = db.session.execute(
        select(TransformOutput.role, TransformOutput.key, Artifact.data)
        .join(Artifact, Artifact.id == TransformOutput.artifact_id)
        .where(TransformOutput.transform_id == transform_id)
        .order_by(TransformOutput.role, TransformOutput.position)
    )
    return [(role, key, data) for role, key, data in rows]


def calls_of(transform_id: int, attempt: int) -> int:
    """How many model calls an attempt has made."""
    return (
        db.session.scalar(
            select(func.max(LlmTransform.call)).where(
                LlmTransform.transform_id == transform_id, LlmTransform.attempt == attempt
            )
        )
        or 0
    )
