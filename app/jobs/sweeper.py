"""The periodic sweep: nothing stays running, waiting or unqueued forever, and old chunks fold."""

import logging
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import delete, exists, select, update

from app.clock import utcnow
from app.extensions import begin_write, db, get_redis
from app.i18n import N_
from app.jobs import lifecycle
from app.jobs.events import announce
from app.jobs.models import FINAL, LlmTransform, Transform, TransformChunk
from app.jobs.queue import enqueue, queued

log = logging.getLogger(__name__)
ENQUEUE_GRACE = timedelta(seconds=5)  # the web process enqueues right after its commit
BATCH = 100
LOCK = "sw:sweeper"


def expire_leases() -> int:
    """Running jobs whose worker stopped renewing its lease: retry them or fail them."""
    now = utcnow()
    lost = db.session.scalars(
        select(Transform)
        .where(Transform.status == "running", Transform.lease_expires_at < now)
        .limit(BATCH)
    ).all()
    for transform in lost:
        begin_write()
        message = N_("The worker running this job stopped responding.")
        lifecycle.end_attempt(transform, transform.attempt, message, True, None)
        db.session.commit()
        db.session.refresh(transform)
        announce(transform)
    return len(lost)


def enqueue_waiting() -> int:
    """Due retries, and pending jobs whose queue entry was lost (Redis flushed, a crash)."""
    now = utcnow()
    waiting = db.session.scalars(
        select(Transform)
        .where(
            ((Transform.status == "retrying") & (Transform.next_attempt_at <= now))
            | ((Transform.status == "pending") & (Transform.updated_at < now - ENQUEUE_GRACE))
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
        for record in db.session.scalars(
            select(LlmTransform).where(LlmTransform.transform_id == transform_id)
        ):
            text = "".join(
                db.session.scalars(
                    select(TransformChunk.text)
                    .where(
                        TransformChunk.transform_id == transform_id,
                        TransformChunk.attempt == record.attempt,
                    )
                    .order_by(TransformChunk.seq)
                )
            )
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
