"""The RQ queue: JSON payloads, job ids by transform, enqueued only after a commit."""

import logging

import redis
from flask import current_app
from rq import Queue
from rq.serializers import JSONSerializer

from app.extensions import get_redis

QUEUE_NAME = "transforms"
log = logging.getLogger(__name__)


def transforms_queue(connection: redis.Redis | None = None) -> Queue:
    """The queue workers take transforms from."""
    return Queue(
        QUEUE_NAME,
        connection=connection or get_redis(),
        serializer=JSONSerializer,
        default_timeout=current_app.config["JOB_TIMEOUT"],
    )


def enqueue(transform_id: int) -> bool:
    """Ask a worker to run the transform; False if Redis could not take it (it stays pending)."""
    try:
        transforms_queue().enqueue(
            "app.jobs.runner.run_transform",
            transform_id,
            result_ttl=0,
            failure_ttl=24 * 3600,
            description=f"transform {transform_id}",
        )
    except redis.RedisError:
        log.warning("could not enqueue transform %s; it stays pending", transform_id)
        return False
    return True
