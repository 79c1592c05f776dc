"""Telling web processes that a job changed (after the commit; the DB holds the facts)."""

import json
import logging
import threading
import time
from functools import cache
from typing import Any

import redis
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, get_redis

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


MEMBERS_SECONDS = 5.0  # how long a process trusts what it read of a project's members
_members: dict[int, tuple[float, frozenset[int]]] = {}
_members_lock = threading.Lock()


def members_of(project_ids: set[int]) -> dict[int, frozenset[int]]:
    """Who is in each project (read at most every few seconds per process: a state change
    announced to someone who just left shows them nothing they may not see)."""
    now = time.monotonic()
    with _members_lock:
        known = {
            p: m
            for p, (at, m) in _members.items()
            if p in project_ids and now - at < MEMBERS_SECONDS
        }
    missing = project_ids - known.keys()
    if missing:
        from app.projects.models import ProjectMember

        query = select(ProjectMember.project_id, ProjectMember.user_id).where(
            ProjectMember.project_id.in_(missing)
        )
        began = not db.session().in_transaction()
        try:
            rows = db.session.execute(query).all()
        except SQLAlchemyError:
            log.warning("could not read the members of %d projects", len(missing))
            return known
        finally:
            if began:  # a read of our own: end it (a caller's transaction stays as it is)
                db.session.rollback()
        found: dict[int, set[int]] = {p: set() for p in missing}
        for project_id, user_id in rows:
            found[project_id].add(user_id)
        with _members_lock:
            for project_id, users in found.items():
                known[project_id] = frozenset(users)
                _members[project_id] = (now, known[project_id])
    return known


def announce(transform: Any, *, text: str = "", state: bool = True) -> None:
    """Publish a job's change: a chunk of text and/or a change of its shown state (which
    the owner's other pages follow too: nav count, Jobs rows, notices). One round trip."""
    announce_all([(transform, text, state)])


def announce_all(changes: list[tuple[Any, str, bool]]) -> None:
    """Publish several jobs' changes (job, text, state changed) in one round trip: the text to
    the job's channel, a change of state also to every member of its project (their Jobs rows;
    the notices and the nav count stay the starter's)."""
    if not changes:
        return
    members = members_of({t.project_id for t, _text, state in changes if state})
    at = time.time()  # for the row → client figure (app/metrics.py)
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
                "at": at,
            }
            pipe.publish(job_channel(transform.id), json.dumps(payload, ensure_ascii=False))
            if state:
                owner = json.dumps({**payload, "text": ""}, ensure_ascii=False)
                for user_id in members.get(transform.project_id, {transform.created_by}):
                    pipe.publish(user_channel(user_id), owner)
        pipe.execute()
    except redis.RedisError:
        log.warning("could not announce the changes of %d jobs", len(changes))
