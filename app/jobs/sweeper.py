"""The periodic sweep: nothing stays running, waiting or unqueued forever, and old chunks fold."""

import logging
import threading
from datetime import datetime, timedelta

import redis
from flask import current_app
from sqlalchemy import delete, exists, func, select, update

from app.clock import utcnow
from app.extensions import begin_write, db, get_redis
from app.jobs import lifecycle
from app.jobs.events import announce
from app.jobs.models import FINAL, IS_JOB, LlmTransform, Transform, TransformChunk
from app.jobs.queue import enqueue, queued
from app.metrics import RETRIES

log = logging.getLogger(__name__)
ENQUEUE_GRACE = timedelta(seconds=5)  # the web process enqueues right after its commit
BATCH = 100
LOCK = "sw:sweeper"


def expire_leases() -> int:
    """Running jobs whose worker stopped renewing its lease: taken over or retried."""
    now = utcnow()
    lost = db.session.scalars(
        select(Transform)
        .where(Transform.status == "running", Transform.lease_expires_at < now)
        .limit(BATCH)
    ).all()
    for transform in lost:
        begin_write()
        changed = lifecycle.expire(transform)
        db.session.commit()
        if changed:
            db.session.refresh(transform)
            if transform.status == "retrying":
                RETRIES.labels(transform.kind, transform.error_code).inc()
            if transform.status == "pending":
                enqueue(transform)
            announce(transform)
    return len(lost)


def enqueue_waiting() -> int:
    """Due retries and parked jobs, and pending jobs whose queue entry was lost (Redis
    flushed, a crash)."""
    now = utcnow()
    # A new job is enqueued by the web right after its commit (give it a moment); a parked one
    # by nobody but us, as soon as it is due.
    lost = Transform.next_attempt_at.is_(None) & (Transform.updated_at < now - ENQUEUE_GRACE)
    woken = Transform.next_attempt_at <= now
    waiting = db.session.scalars(
        select(Transform)
        .where(
            ((Transform.status == "retrying") & (Transform.next_attempt_at <= now))
            | ((Transform.status == "pending") & (lost | woken))
        )
        .order_by(Transform.id)
        .limit(BATCH)
    ).all()
    db.session.commit()
    count = 0
    for transform in waiting:
        if not queued(transform):
            count += enqueue(transform)
    return count


def oldest_waiting(now: datetime) -> tuple[int, datetime] | None:
    """The job waiting longest for a worker among those due (new, handed back, woken or due
    to retry; not one parked until later): its id and since when it waits."""
    due = func.coalesce(Transform.next_attempt_at, Transform.updated_at)
    found = db.session.execute(
        select(Transform.id, due)
        .where(IS_JOB, Transform.status.in_(("pending", "retrying")), due <= now)
        .order_by(due)
        .limit(1)
    ).first()
    return (found[0], found[1]) if found else None


def compact(older_than: timedelta | None = None) -> int:
    """Fold finished jobs' chunks into each attempt's raw response, then delete them."""
    hours = current_app.config["COMPACT_AFTER_HOURS"]
    cutoff = utcnow() - (older_than if older_than is not None else timedelta(hours=hours))
    ids = db.session.scalars(
        select(Transform.id)
        .where(
            Transform.status.in_(FINAL),
            Transform.finished_at < cutoff,
            exists().where(TransformChunk.transform_id == Transform.id),
        )
        .limit(BATCH)
    ).all()
    for transform_id in ids:
        begin_write()
        records = db.session.scalars(
            select(LlmTransform)
            .where(LlmTransform.transform_id == transform_id)
            .order_by(LlmTransform.attempt, LlmTransform.call)
        ).all()
        for record, after in zip(records, [*records[1:], None], strict=True):
            # A call's text runs from its first chunk to the next call's of the attempt.
            same = after is not None and after.attempt == record.attempt
            query = select(TransformChunk.text).where(
                TransformChunk.transform_id == transform_id,
                TransformChunk.attempt == record.attempt,
                TransformChunk.seq >= (record.first_seq or 1),
            )
            if same:
                query = query.where(TransformChunk.seq < (after.first_seq or 1))
            text = "".join(db.session.scalars(query.order_by(TransformChunk.seq)))
            if text and (record.raw_response or "") != text:
                db.session.execute(
                    update(LlmTransform)
                    .where(LlmTransform.id == record.id)
                    .values(raw_response=text)
                )
        db.session.execute(
            delete(TransformChunk).where(TransformChunk.transform_id == transform_id)
        )
        db.session.commit()
    return len(ids)


def sweep_forever(stop: threading.Event) -> None:
    """Sweep every SWEEP_SECONDS until told to stop (a worker process runs this in a thread)."""
    while not stop.is_set():
        try:
            sweep()
        except Exception:  # noqa: BLE001 - a failed pass is logged; the next one retries
            log.exception("sweep failed")
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001
            # Ending the session can fail too (a connection the server killed may refuse the
            # rollback): drop it, so the next pass starts afresh.
            log.exception("could not end the sweep's session")
            db.session.registry.clear()
        stop.wait(current_app.config["SWEEP_SECONDS"])


def sweep() -> dict[str, int]:
    """One pass; several sweepers may run, one at a time does the work."""
    try:
        seconds = current_app.config["SWEEP_SECONDS"]
        if not get_redis().set(LOCK, "1", nx=True, px=int(seconds * 900)):
            return {}
    except redis.RedisError:
        pass  # without Redis nothing can be enqueued, but leases still expire
    result = {"expired": expire_leases()}
    try:
        result["enqueued"] = enqueue_waiting()
    except redis.RedisError:
        result["enqueued"] = 0
    result["compacted"] = compact()
    return result
