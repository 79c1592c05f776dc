"""The RQ queues: JSON payloads, one RQ job id per attempt, enqueued only after a commit. A
kind's attempts go to its class's queue ("short" or "long"); the database stays the truth."""

import logging
from typing import Any

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.extensions import get_redis
from app.jobs.kinds import KINDS

QUEUE_NAMES = {"short": "transforms", "long": "transforms-long"}
QUEUE_NAME = QUEUE_NAMES["short"]
WAITING = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
log = logging.getLogger(__name__)


def transforms_queue(queue_class: str = "short", connection: redis.Redis | None = None) -> Queue:
    """The queue workers take a class of attempts from."""
    return Queue(
        QUEUE_NAMES[queue_class],
        connection=connection or get_redis(),
        serializer=JSONSerializer,
    )


def queue_class(transform: Any) -> str:
    kind = KINDS.get(transform.kind)
    return kind.queue if kind is not None else "short"


def rq_job_id(transform_id: int, attempt: int) -> str:
    """The RQ job that runs one attempt (so a lost one can be found, or re-made, by id)."""
    return f"transform-{transform_id}-{attempt}"


def enqueue(transform: Any) -> bool:
    """Ask a worker to run the transform's next attempt; False if Redis could not take it
    (the job stays pending in the DB and the sweeper enqueues it later)."""
    job_id = rq_job_id(transform.id, transform.attempt + 1)
    try:
        transforms_queue(queue_class(transform)).enqueue(
            "app.jobs.runner.run_attempt",
            transform.id,
            job_id=job_id,
            result_ttl=0,
            failure_ttl=24 * 3600,
            description=f"transform {transform.id} attempt {transform.attempt + 1}",
        )
    except redis.RedisError:
        log.warning("could not enqueue transform %s; it stays pending", transform.id)
        return False
    return True


def enqueue_cleanup(transform: Any) -> bool:
    """Ask a worker to clean up after a job cancelled while nobody ran it (its kind's
    `on_cancel`, e.g. to cancel a provider's background response named by its checkpoint)."""
    try:
        transforms_queue(queue_class(transform)).enqueue(
            "app.jobs.runner.run_cleanup",
            transform.id,
            job_id=f"cleanup-{transform.id}",
            result_ttl=0,
            description=f"clean up after transform {transform.id}",
        )
    except redis.RedisError:
        log.warning("could not enqueue the clean-up of transform %s", transform.id)
        return False
    return True


def queued(transform: Any) -> bool:
    """Whether the transform's next attempt waits in the queue (a worker deletes the entry as
    it takes it: from then on its lease says whether it runs)."""
    queue = transforms_queue(queue_class(transform))
    try:
        job = Job.fetch(rq_job_id(transform.id, transform.attempt + 1), connection=queue.connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in WAITING


def dequeue(transform: Any) -> None:
    """Take a waiting attempt off the queue (best effort: the claim checks the DB anyway)."""
    try:
        queue = transforms_queue(queue_class(transform))
        job_id = rq_job_id(transform.id, transform.attempt + 1)
        queue.remove(job_id)
        Job.fetch(job_id, connection=queue.connection).delete()
    except (redis.RedisError, NoSuchJobError):
        pass
