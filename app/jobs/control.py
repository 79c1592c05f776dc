"""What a writer can do to a job: cancel it, or retry it. Each commits, then tells the queue
and the open pages."""

from collections.abc import Callable

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError

from app.artifacts.models import Artifact, TransformInput
from app.clock import utcnow
from app.extensions import begin_write, db
from app.jobs import lifecycle
from app.jobs.events import announce, publish, user_channel
from app.jobs.models import Transform
from app.jobs.queue import dequeue, enqueue, enqueue_cleanup
from app.jobs.starting import check_capacity
from app.metrics import CANCELS


def mark_seen(transform: Transform, user_id: int) -> None:
    """The person who started the job has seen how it ended: its notice goes away in every
    tab. Another member looking at it changes nothing (the notice is the starter's)."""
    mark_all_seen(Transform.id == transform.id, Transform.created_by == user_id)


def mark_all_seen(*where: ColumnElement[bool]) -> None:
    """The writer has seen how these jobs ended ("dismiss all"): their notices go away in
    every tab. Jobs seen already are left as they were."""
    begin_write()
    seen = db.session.execute(
        update(Transform)
        .where(Transform.seen_at.is_(None), *where)
        .values(seen_at=utcnow())
        .returning(Transform.id, Transform.created_by)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    for job_id, owner in seen:
        publish(user_channel(owner), {"job": job_id, "event": "seen"})


def cancel_job(transform: Transform) -> bool:
    """Cancel a job that is still active; False if it had already ended. A job with provider
    state that no worker holds gets its kind's clean-up (a running one: by its worker)."""
    begin_write()
    held = transform.status == "running"
    if not lifecycle.cancel(transform.id):
        db.session.rollback()
        return False
    db.session.commit()
    db.session.refresh(transform)
    dequeue(transform)
    if transform.checkpoint is not None and not held:
        enqueue_cleanup(transform)
    announce(transform)
    CANCELS.labels(transform.kind).inc()
    return True


def retry_job(transform: Transform) -> str:
    """Run a failed or cancelled job again: "retried", "not_finished" or "conflict" (another
    job of its kind is active in the project). Refused (429) over the owner's cap."""
    begin_write()
    if transform.status in ("failed", "cancelled"):
        check_capacity(transform.created_by)
    try:
        with db.session.begin_nested():
            changed = lifecycle.retry(transform.id)
    except IntegrityError:
        db.session.rollback()
        return "conflict"
    if not changed:
        db.session.rollback()
        return "not_finished"
    db.session.commit()
    db.session.refresh(transform)
    launch(transform)
    return "retried"


def launch(transform: Transform) -> None:
    """After the commit: queue the job's next attempt and tell the owner's open pages."""
    enqueue(transform)
    announce(transform)


def answer(transform: Transform, answers: Callable[[], Artifact | None]) -> bool:
    """The owner answered the job's questions or skipped them: `answers` makes, in the same
    transaction, the artifact the job reads them from (made by a human transform), or None.
    The job waits for a worker again. False (nothing written) if it was not waiting."""
    begin_write()
    if not lifecycle.answer(transform.id):
        db.session.rollback()
        return False
    sheet = answers()
    if sheet is not None:
        db.session.add(
            TransformInput(transform_id=transform.id, artifact_id=sheet.id, role="answers")
        )
    db.session.commit()
    db.session.refresh(transform)
    launch(transform)
    return True
