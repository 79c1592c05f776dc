"""What a writer can do to a job: cancel it, or retry it. Each commits, then tells the queue
and the open pages."""

from sqlalchemy.exc import IntegrityError

from app.extensions import begin_write, db
from app.jobs import lifecycle
from app.jobs.events import announce
from app.jobs.models import Transform
from app.jobs.queue import dequeue, enqueue


def cancel_job(transform: Transform) -> bool:
    """Cancel a job that is still active; False if it had already ended."""
    begin_write()
    if not lifecycle.cancel(transform.id):
        db.session.rollback()
        return False
    db.session.commit()
    db.session.refresh(transform)
    dequeue(transform)
    announce(transform, user=True)
    return True


def retry_job(transform: Transform) -> str:
    """Run a failed or cancelled job again: "retried", "not_finished" or "conflict" (another
    job of its kind is active in the project)."""
    begin_write()
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
    enqueue(transform)
    announce(transform)
    return "retried"
