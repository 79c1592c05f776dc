"""The two kinds of stream, sharing the hub, the cursor and the feed."""

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, current_app, stream_with_context
from gevent.queue import Empty

from app.jobs.events import job_channel, user_channel
from app.live.feed import Feed, Update, sse
from app.live.hub import RESYNC, SHUTDOWN, Delta, hub_for
from app.metrics import ROW_TO_CLIENT

HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 1.0  # while Redis is unreachable, streams read the database this often
RECONNECT = "retry: 1000\n\n"  # sent as a stream ends so the client comes back soon


def event_stream(body: Iterator[str]) -> Response:
    """A text/event-stream response that proxies do not buffer."""
    response = Response(stream_with_context(body), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def stream_ends_at() -> float:
    """When a stream opened now ends (time.monotonic()): after STREAM_MAX_SECONDS, give or
    take a tenth, so streams opened together (a deploy) do not all come back together."""
    longest = current_app.config["STREAM_MAX_SECONDS"]
    if longest <= 0:
        return float("inf")
    return time.monotonic() + longest * random.uniform(0.9, 1.1)


def follow(
    feed: Feed | None,
    user_id: int | None,
    render: Callable[[Update], str],
    done: Callable[[Update], bool] = lambda _update: False,
    on_user: Callable[[Delta], str | None] | None = None,
    user_catch_up: Callable[[], str] | None = None,
) -> Iterator[str]:
    """Catch up from the DB, then relay deltas; heartbeats keep proxies from closing it.
    A feed follows one job; `on_user` turns the user's own channel into page updates."""
    yield ": connected\n\n"  # headers and first bytes flush at once
    channels = [job_channel(feed.job_id)] if feed else []
    if on_user is not None and user_id is not None:
        channels.append(user_channel(user_id))
    hub = hub_for(current_app.config["REDIS_URL"])
    queue = hub.subscribe(channels)
    heartbeat = current_app.config.get("SSE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    # The stream ends now and then and the client resumes from its cursor, so streams spread
    # over the web processes that started since (after a deploy or a scale-out).
    ends_at = stream_ends_at()
    try:
        if user_catch_up is not None:  # what changed while this tab was away or hidden
            yield user_catch_up()
        if feed is not None:
            update = feed.catch_up()
            assert update is not None
            yield render(update)
            if done(update):
                return
        while True:
            wait = min(heartbeat if hub.connected else POLL_SECONDS, ends_at - time.monotonic())
            if wait <= 0:
                yield RECONNECT
                return
            try:
                item: Any = queue.get(timeout=wait)
            except Empty:
                if time.monotonic() >= ends_at:
                    continue
                if hub.connected or feed is None:
                    yield ": keepalive\n\n"
                    continue
                item = RESYNC  # no live deltas without Redis: poll the database
            if item is SHUTDOWN:
                yield RECONNECT
                return
            if item is RESYNC:
                update = feed.catch_up(always=False) if feed else None
            elif isinstance(item, Delta) and on_user and item.channel == channels[-1]:
                if message := on_user(item):
                    yield message
                continue
            elif isinstance(item, Delta) and feed and item.job == feed.job_id:
                update = feed.apply(item)
            else:
                continue
            if update is not None:
                yield render(update)
                if isinstance(item, Delta) and item.text and item.at is not None:
                    ROW_TO_CLIENT.observe(max(0.0, time.time() - item.at))
                if done(update):
                    return
    finally:
        hub.unsubscribe(queue)


__all__ = ["event_stream", "follow", "sse", "stream_ends_at"]
