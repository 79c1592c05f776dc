"""Telling web processes that a job changed (after the commit; the DB holds the facts)."""

import json
import logging
from typing import Any

import redis

from app.extensions import get_redis

log = logging.getLogger(__name__)
PREFIX = "sw:"


def job_channel(transform_id: int) -> str:
    """The channel of one job's changes."""
    return f"{PREFIX}job:{transform_id}"


def user_channel(user_id: int) -> str:
    """The channel of one user's notifications."""
    return f"{PREFIX}user:{user_id}"


def publish(channel: str, payload: dict[str, Any]) -> None:
    """Best effort: a lost message only delays a live view, which re-reads the DB."""
    try:
        get_redis().publish(channel, json.dumps(payload, ensure_ascii=False))
    except redis.RedisError:
        log.warning("could not publish to %s", channel)


def announce(transform: Any, *, text: str = "", state: bool = True, user: bool = False) -> None:
    """Publish a job's change: a chunk of text and/or a change of its shown state."""
    payload = {
        "job": transform.id,
        "attempt": transform.attempt,
        "seq": transform.last_seq,
        "text": text,
        "state": state,
        "status": transform.status,
    }
    publish(job_channel(transform.id), payload)
    if user:
        publish(user_channel(transform.created_by), payload)
