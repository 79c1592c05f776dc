"""A job's transitions outside the happy path: retry with backoff, hand back, cancel, retry
by hand. Each one is a conditional UPDATE, so a job reaches exactly one final state."""

import random
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from app.clock import utcnow
from app.extensions import db
from app.i18n import N_
from app.jobs.models import ACTIVE, Transform


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


def end_attempt(
    transform: Transform, attempt: int, message: str, retryable: bool, retry_after: float | None
) -> None:
    """After a failed attempt: retry later if allowed, else fail."""
    now = utcnow()
    if retryable and transform.retry_count < transform.max_retries:
        due = now + timedelta(seconds=backoff(transform.retry_count, retry_after))
        outcome = {
            "status": "retrying",
            "retry_count": Transform.retry_count + 1,
            "next_attempt_at": due,
            "progress_message": N_("Retrying soon…"),
        }
    else:
        outcome = {"status": "failed", "progress_message": N_("Failed."), "finished_at": now}
    _set(
        [Transform.id == transform.id, Transform.attempt == attempt, Transform.status == "running"],
        error=message,
        lease_owner=None,
        lease_expires_at=None,
        **outcome,
    )


def hand_back(transform_id: int, attempt: int) -> bool:
    """A stopping worker returns its job to the queue without spending a retry."""
    return bool(
        _set(
            [
                Transform.id == transform_id,
                Transform.attempt == attempt,
                Transform.status == "running",
            ],
            status="pending",
            progress_message=N_("Moving to another worker…"),
            lease_owner=None,
            lease_expires_at=None,
        )
    )


def cancel(transform_id: int) -> bool:
    """Stop a job that is still active; the worker notices within a second."""
    return bool(
        _set(
            [Transform.id == transform_id, Transform.status.in_(ACTIVE)],
            status="cancelled",
            progress_message=N_("Cancelled."),
            finished_at=utcnow(),
            seen_at=utcnow(),  # the writer stopped it: not news
            next_attempt_at=None,
            lease_owner=None,
            lease_expires_at=None,
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
            progress_message=N_("Waiting for a worker…"),
            finished_at=None,
            seen_at=None,
            next_attempt_at=None,
        )
    )
