"""Telling web processes that a job changed (after the commit; the DB holds the facts)."""

import json
import logging
from functools import cache
from typing import Any

import redis
from flask import current_app

from app.extensions import get_redis

log = logging.getLogger(__name__)


@cache
def channel_prefix(redis_url: str) -> str:
    """Pub/sub ignores database numbers, so channels carry it: two deployments (or test runs)
    sharing a Redis server on different databases never hear each other."""
    db_number = redis.Redis.from_url(redis_url).connection_pool.connection_kwargs.get("db", 0)
    return f"sw:{db_number}:"


def job_channel(transform_id: int) -> str:
    """The channel of one job's changes."""
    return f"{channel_prefix(current_app.config['REDIS_URL'])}job:{transform_id}"


def user_channel(user_id: int) -> str:
    """The channel of one user's notifications."""
    return f"{channel_prefix(current_app.config['REDIS_URL'])}user:{user_id}"


def publish(channel: str, payload: dict[str, Any]) -> None:
    """Best effort: a lost message only delays a live view, which re-reads the DB."""
    try:
        get_redis().publish(channel, json.dumps(payload, ensure_ascii=False))
    except redis.RedisError:
        log.warning("could not publish to %s", channel)


def announce(transform: Any, *, text: str = "", state: bool = True) -> None:
    """Publish a job's change: a chunk of text and/or a change of its shown state (which
    the owner's other pages follow too: nav count, Jobs rows, notices). One round trip."""
    announce_all([(transform, text, state)])


def announce_all(changes: list[tuple[Any, str, bool]]) -> None:
    """Publish several jobs' changes (job, text, state changed) in one round trip."""
    if not changes:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for transform, text, state in changes:
            payload = {
                "job": transform.id,
                "attempt": transform.attempt,
                "seq": transform.last_seq,
                "text": text,
                "state": state,
                "status": transform.status,
            }
            pipe.publish(job_channel(transform.id), json.dumps(payload, ensure_ascii=False))
            if state:
                owner = json.dumps({**payload, "text": ""}, ensure_ascii=False)
                pipe.publish(user_channel(transform.created_by), owner)
        pipe.execute()
    except redis.RedisError:
        log.warning("could not announce the changes of %d jobs", len(changes))
