"""Running one attempt: claim the job, let its kind run through a context, and map how the
attempt ended to a transition. Nothing here knows what a kind makes."""

import logging
import os
import socket
import threading

from app import llm
from app.extensions import begin_write, db
from app.i18n import N_
from app.jobs import lifecycle
from app.jobs.context import JobContext
from app.jobs.kinds import OutputError, kind_of
from app.jobs.models import Transform
from app.jobs.outcomes import Ask, FencedOut, Park, Permanent, Retryable, Stopping
from app.jobs.queue import enqueue
from app.logs import job_context
from app.metrics import RETRIES

log = logging.getLogger(__name__)
# Set when the worker is told to stop (a deploy): every attempt hands its job back at its next
# flush or tick, without spending a retry.
stopping = threading.Event()


def process_name() -> str:
    """A worker process, as its reports name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_name() -> str:
    """Who holds a lease: a thread of a worker process."""
    return f"{process_name()}:{threading.get_ident() % 100000}"


def lease_process(owner: str | None) -> str:
    """The worker process of a lease's holder."""
    return (owner or "").rsplit(":", 1)[0]


def run_attempt(transform_id: int) -> None:
    """Run the next attempt of a job, if it is waiting and due (in an app context)."""
    try:
        claim = lifecycle.claim(transform_id, worker_name())
        if claim is None:
            return
        with job_context(claim.id, claim.attempt, claim.kind):
            kind = kind_of(claim.kind)
            ctx = JobContext(claim, kind, stopping)
            try:
                end(ctx)
            except FencedOut:
                log.info("job %s (epoch %s) was fenced out", claim.id, claim.epoch)
                clean_up(ctx)
    finally:
        db.session.remove()


def run_cleanup(transform_id: int) -> None:
    """Clean up after a job cancelled while no worker held it (in an app context)."""
    try:
        transform = db.session.get(Transform, transform_id)
        if transform is None or transform.status != "cancelled" or transform.checkpoint is None:
            return
        claim = lifecycle.Claim.of(transform)
        clean_up(JobContext(claim, kind_of(claim.kind), stopping))
    finally:
        db.session.remove()


def clean_up(ctx: JobContext) -> None:
    """If the job was cancelled with provider state, let its kind release it, then forget it."""
    db.session.rollback()
    transform = db.session.get(Transform, ctx.id, populate_existing=True)
    if transform is None or transform.status != "cancelled" or transform.checkpoint is None:
        return
    ctx.checkpoint = dict(transform.checkpoint)
    try:
        ctx.kind.on_cancel(ctx)
    except Exception:  # noqa: BLE001 - a failed clean-up is logged; the job stays cancelled
        log.exception("job %s: the %s kind's clean-up failed", ctx.id, ctx.kind.name)
    begin_write()
    lifecycle.forget_checkpoint(ctx.id)
    db.session.commit()


def end(ctx: JobContext) -> None:
    """Call the kind and write the one transition its ending calls for."""
    claim = ctx.claim
    try:
        message = ctx.kind.run(ctx)
    except llm.LlmError as error:
        failure = Retryable(error.message, error.code, error.retry_after, error.params)
        if not error.retryable:
            failure = Permanent(error.message, error.code, error.params)
        return _failed(ctx, failure)
    except OutputError as error:
        return _failed(ctx, Retryable(str(error), "bad_output"))
    except (Retryable, Permanent) as failure:
        return _failed(ctx, failure)
    except Ask as asked:
        questions = ("questions", "questions", {"questions": asked.questions})
        ctx.write(extra=((*questions, f"questions:{claim.attempt}"),), **lifecycle.needs_input())
        return None
    except Park as parked:  # the sweeper queues it when due
        ctx.write(**lifecycle.parked(parked.until, parked.message, parked.params))
        return None
    except Stopping:
        transform = ctx.write(**lifecycle.handed_back())
        enqueue(transform)
        return None
    except FencedOut:
        raise
    except Exception:
        log.exception("job %s: the %s kind failed unexpectedly", claim.id, claim.kind)
        return _failed(ctx, Permanent(N_("Something went wrong on our side."), "internal"))
    ctx.write(**lifecycle.completed(message))
    return None


def _failed(ctx: JobContext, failure: Retryable | Permanent) -> None:
    retryable = isinstance(failure, Retryable)
    retry_after = failure.retry_after if isinstance(failure, Retryable) else None
    values = lifecycle.after_error(
        ctx.claim, failure.message, failure.code, retryable, retry_after, failure.params
    )
    ctx.write(**values)
    if values["status"] == "retrying":
        RETRIES.labels(ctx.kind.name, failure.code).inc()
