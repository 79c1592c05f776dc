"""A job's transitions. Each is one conditional UPDATE (or the values of one, written by the
attempt's fenced write), so a job reaches exactly one state, whoever races it.

    pending ─claim─► running ─done─► completed
                      │  └─error, retries left─► retrying ─due─► (claim)
                      │  └─error, none left / permanent─► failed
                      │  └─park(until)─► pending, due at next_attempt_at
                      │  └─ask(questions)─► needs_input ─answer / skip─► pending
                      │  └─hand back (stopping) / lease lost with a checkpoint─► pending
    active ─cancel─► cancelled        failed | cancelled ─retry─► pending

A claim continues the attempt (same text, no reset of open pages) when the job comes back
pending with a checkpoint; otherwise it starts the next attempt."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.clock import utcnow
from app.extensions import begin_write, db
from app.i18n import N_
from app.jobs.models import ACTIVE, Transform

CLEARED_LEASE = {"lease_owner": None, "lease_expires_at": None}


@dataclass(frozen=True)
class Claim:
    """A job taken by a worker: the attempt it runs and the epoch that fences its writes."""

    id: int
    kind: str
    project_id: int
    user_id: int
    attempt: int
    epoch: int
    seq: int  # the last chunk already written in this attempt (a takeover continues after it)
    checkpoint: dict[str, Any] | None
    retry_count: int
    max_retries: int

    @classmethod
    def of(cls, transform: Transform) -> "Claim":
        """The claim a job's current lease stands for (to expire it, or clean up after it)."""
        return cls(
            id=transform.id,
            kind=transform.kind,
            project_id=transform.project_id,
            user_id=transform.created_by,
            attempt=transform.attempt,
            epoch=transform.lease_epoch,
            seq=transform.last_seq,
            checkpoint=transform.checkpoint,
            retry_count=transform.retry_count,
            max_retries=transform.max_retries,
        )


def backoff(retry_count: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: exponential, capped, jittered; never before Retry-After."""
    base = current_app.config["RETRY_BASE_SECONDS"]
    cap = current_app.config["RETRY_MAX_SECONDS"]
    delay = min(cap, base * 2**retry_count) * random.uniform(0.5, 1.0)  # noqa: S311
    return max(delay, min(retry_after or 0.0, cap * 10))


def max_retries(kind: str, declared: int) -> int:
    """Retries allowed for a kind: MAX_RETRIES_<KIND>, else MAX_RETRIES, else the kind's own."""
    config = current_app.config
    value = config.get(f"MAX_RETRIES_{kind.upper()}", config.get("MAX_RETRIES"))
    return declared if value in (None, "") else int(value)


def _set(where: list[Any], **values: Any) -> int:
    values.setdefault("updated_at", utcnow())
    result = db.session.execute(
        update(Transform)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def claim(transform_id: int, owner: str) -> Claim | None:
    """Take the job if it waits and is due: a new lease epoch, and the attempt it runs. The
    caller commits nothing: this commits."""
    now = utcnow()
    begin_write()
    row = db.session.execute(
        select(
            Transform.status,
            Transform.attempt,
            Transform.lease_epoch,
            Transform.checkpoint,
            Transform.last_seq,
        ).where(Transform.id == transform_id)
    ).one_or_none()
    if row is None or row.status not in ("pending", "retrying"):
        db.session.rollback()
        return None
    # Back from a hand-back, a lost lease, a park or answers, with state to continue from.
    continues = row.status == "pending" and row.checkpoint is not None and row.attempt > 0
    claimed = db.session.execute(
        update(Transform)
        .where(
            Transform.id == transform_id,
            Transform.lease_epoch == row.lease_epoch,
            Transform.status.in_(("pending", "retrying")),
            (Transform.next_attempt_at.is_(None)) | (Transform.next_attempt_at <= now),
        )
        .values(
            status="running",
            lease_epoch=row.lease_epoch + 1,
            attempt=row.attempt if continues else row.attempt + 1,
            last_seq=row.last_seq if continues else 0,
            checkpoint=row.checkpoint if continues else None,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=current_app.config["LEASE_SECONDS"]),
            started_at=now,
            next_attempt_at=None,
            progress_message=N_("Waiting for the model…"),
            progress_params=None,
            updated_at=now,
        )
        .returning(
            Transform.kind,
            Transform.project_id,
            Transform.created_by,
            Transform.attempt,
            Transform.lease_epoch,
            Transform.last_seq,
            Transform.checkpoint,
            Transform.retry_count,
            Transform.max_retries,
        )
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.session.commit()
    if claimed is None:
        return None
    return Claim(
        id=transform_id,
        kind=claimed.kind,
        project_id=claimed.project_id,
        user_id=claimed.created_by,
        attempt=claimed.attempt,
        epoch=claimed.lease_epoch,
        seq=claimed.last_seq,
        checkpoint=claimed.checkpoint,
        retry_count=claimed.retry_count,
        max_retries=claimed.max_retries,
    )


# ---- the values of a running attempt's last write (written fenced, by its context) ---------


def completed(message: str | None) -> dict[str, Any]:
    return {
        "status": "completed",
        "progress": 100,
        "progress_message": message or N_("Done."),
        "progress_params": None,
        "error": None,
        "error_params": None,
        "error_code": None,
        "finished_at": utcnow(),
        "seen_at": None,  # news for the owner
        "checkpoint": None,
        **CLEARED_LEASE,
    }


def after_error(
    claim: Claim,
    message: str,
    code: str,
    retryable: bool,
    retry_after: float | None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Retry later if allowed (a new attempt, asking only for what is missing), else fail."""
    now = utcnow()
    values: dict[str, Any] = {
        "error": message,
        "error_params": params,
        "error_code": code,
        "checkpoint": None,
    }
    if retryable and claim.retry_count < claim.max_retries:
        due = now + timedelta(seconds=backoff(claim.retry_count, retry_after))
        values.update(
            status="retrying",
            retry_count=claim.retry_count + 1,
            next_attempt_at=due,
            progress_message=N_("Retrying soon…"),
        )
    else:
        values.update(
            status="failed", progress_message=N_("Failed."), finished_at=now, seen_at=None
        )
    return {**values, "progress_params": None, **CLEARED_LEASE}


def handed_back() -> dict[str, Any]:
    """A stopping worker returns the job without spending a retry."""
    return {
        "status": "pending",
        "progress_message": N_("Moving to another worker…"),
        "progress_params": None,
        **CLEARED_LEASE,
    }


def parked(until: datetime, message: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Waiting for a time, holding no worker slot; the sweeper queues it when due."""
    return {
        "status": "pending",
        "next_attempt_at": until,
        "progress_message": message,
        "progress_params": params,
        **CLEARED_LEASE,
    }


def needs_input() -> dict[str, Any]:
    """Waiting for the owner's answers, holding nothing; news for the owner."""
    return {
        "status": "needs_input",
        "progress_message": N_("Waiting for your answers."),
        "progress_params": None,
        "seen_at": None,
        **CLEARED_LEASE,
    }


# ---- transitions from outside the attempt --------------------------------------------------


def expire(transform: Transform) -> bool:
    """A running job whose worker stopped renewing its lease: taken over (the same attempt,
    when its checkpoint allows) or ended like a failed attempt."""
    fence = [
        Transform.id == transform.id,
        Transform.lease_epoch == transform.lease_epoch,
        Transform.status == "running",
    ]
    if transform.checkpoint is not None:
        message = N_("Moving to another worker…")
        return bool(_set(fence, status="pending", progress_message=message, **CLEARED_LEASE))
    message = N_("The worker running this job stopped responding.")
    values = after_error(Claim.of(transform), message, "worker_lost", True, None)
    return bool(_set(fence, **values))


def cancel(transform_id: int) -> bool:
    """Stop a job that is still active; its worker notices within a second."""
    now = utcnow()
    return bool(
        _set(
            [Transform.id == transform_id, Transform.status.in_(ACTIVE)],
            status="cancelled",
            progress_message=N_("Cancelled."),
            progress_params=None,
            finished_at=now,
            seen_at=now,  # the writer stopped it: not news
            next_attempt_at=None,
            **CLEARED_LEASE,
        )
    )


def retry(transform_id: int) -> bool:
    """A failed or cancelled job goes back to the queue as a new attempt, same URL."""
    return bool(
        _set(
            [Transform.id == transform_id, Transform.status.in_(("failed", "cancelled"))],
            status="pending",
            retry_count=0,
            error=None,
            error_params=None,
            error_code=None,
            checkpoint=None,
            progress_message=N_("Waiting for a worker…"),
            progress_params=None,
            finished_at=None,
            seen_at=None,
            next_attempt_at=None,
        )
    )


def answer(transform_id: int) -> bool:
    """The owner answered (or skipped) the questions: the job waits for a worker again."""
    return bool(
        _set(
            [Transform.id == transform_id, Transform.status == "needs_input"],
            status="pending",
            progress_message=N_("Waiting for a worker…"),
            progress_params=None,
            seen_at=utcnow(),
        )
    )


def forget_checkpoint(transform_id: int) -> bool:
    """A cancelled job's provider state was released: nothing is left to clean up."""
    return bool(
        _set(
            [Transform.id == transform_id, Transform.status == "cancelled"],
            checkpoint=None,
        )
    )
