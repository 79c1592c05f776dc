"""The RQ queue: JSON payloads, one RQ job id per attempt, enqueued only after a commit."""

import logging
from typing import Any

import redis
from flask import current_app
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.extensions import get_redis

QUEUE_NAME = "transforms"
WAITING = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
log = logging.getLogger(__name__)


def transforms_queue(connection: redis.Redis | None = None) -> Queue:
    """The queue workers take transforms from."""
    return Queue(
        QUEUE_NAME,
        connection=connection or get_redis(),
        serializer=JSONSerializer,
        default_timeout=current_app.config["JOB_TIMEOUT"],
    )


def rq_job_id(transform_id: int, attempt: int) -> str:
    """The RQ job that runs one attempt (so a lost one can be found, or re-made, by id)."""
    return f"transform-{transform_id}-{attempt}"


def enqueue(transform: Any) -> bool:
    """Ask a worker to run the transform's next attempt; False if Redis could not take it
    (the job stays pending in the DB and the sweeper enqueues it later)."""
    job_id = rq_job_id(transform.id, transform.attempt + 1)
    try:
        transforms_queue().enqueue(
            "app.jobs.runner.run_transform",
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


def queued(transform: Any) -> bool:
    """Whether the transform's next attempt waits in (or runs from) the queue."""
    queue = transforms_queue()
    try:
        job = Job.fetch(rq_job_id(transform.id, transform.attempt + 1), connection=queue.connection)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in WAITING


def dequeue(transform: Any) -> None:
    """Take a waiting attempt off the queue (best effort: the claim checks the DB anyway)."""
    try:
        queue = transforms_queue()
        job_id = rq_job_id(transform.id, transform.attempt + 1)
        queue.remove(job_id)
        Job.fetch(job_id, connection=queue.connection).delete()
    except (redis.RedisError, NoSuchJobError):
        pass
