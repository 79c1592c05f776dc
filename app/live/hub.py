"""One Redis listener per web process, fanning changes out to the local streams."""

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
import redis
from gevent.queue import Queue

from app.jobs.events import channel_prefix
from app.metrics import LISTENER_RECONNECTS, OPEN_STREAMS

log = logging.getLogger(__name__)


@dataclass
class Delta:
    """One published change, shared by every local stream that watches its channel."""

    channel: str
    job: int
    attempt: int
    seq: int
    text: str
    state: bool
    status: str
    event: str = "job"  # "job": the job changed; "seen": its owner has seen how it ended
    at: float | None = None  # when it was published (the publisher's clock), if said
    _rendered: dict[Any, str] = field(default_factory=dict)
    _lock: Any = field(default_factory=threading.RLock)

    def rendered(self, key: Any, render: Callable[[], str]) -> str:
        """Render once per process and key (e.g. locale), whatever the number of viewers."""
        with self._lock:
            if key not in self._rendered:
                self._rendered[key] = render()
            return self._rendered[key]


RESYNC = object()  # the listener reconnected: messages may have been lost
SHUTDOWN = object()  # the process is stopping: streams end so clients reconnect elsewhere


class Hub:
    """Subscriptions of local streams, fed by a single pattern subscription."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.queues: dict[str, set[Queue]] = defaultdict(set)
        self.streams: set[Queue] = set()  # every local stream, told of RESYNC and SHUTDOWN
        self._greenlet: gevent.Greenlet | None = None
        # False while Redis is unreachable: streams then poll the database instead.
        self.connected = False
        self._listened = False  # whether it had connected before (a reconnect, then)

    def subscribe(self, channels: list[str]) -> Queue:
        """A stream's queue receiving the deltas of these channels (none: only RESYNC and
        SHUTDOWN); the stream counts as open until it unsubscribes."""
        self._ensure_running()
        queue: Queue = Queue()
        for channel in channels:
            self.queues[channel].add(queue)
        self.streams.add(queue)
        OPEN_STREAMS.inc()
        return queue

    def unsubscribe(self, queue: Queue) -> None:
        """Stop feeding the queue: its stream has ended."""
        if queue in self.streams:
            self.streams.discard(queue)
            OPEN_STREAMS.dec()
        for channel in list(self.queues):
            self.queues[channel].discard(queue)
            if not self.queues[channel]:
                del self.queues[channel]

    def _ensure_running(self) -> None:
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._listen)

    def _listen(self) -> None:
        backoff = 0.2
        while True:
            # Health checks make a silently dead connection fail instead of waiting forever.
            # Named, so operators (and tests) can tell this deployment's listeners apart.
            name = f"sw-live-{channel_prefix(self.redis_url).strip(':').replace(':', '-')}"
            client = redis.Redis.from_url(
                self.redis_url, health_check_interval=10, client_name=name
            )
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(f"{channel_prefix(self.redis_url)}*")
                if self._listened:
                    LISTENER_RECONNECTS.inc()
                self.connected = self._listened = True
                self._broadcast_all(RESYNC)
                backoff = 0.2
                while True:
                    message = pubsub.get_message(timeout=5.0)
                    if message is not None and message["type"] == "pmessage":
                        self._dispatch(message["channel"].decode(), message["data"])
            except redis.RedisError as error:
                log.warning("live listener lost Redis (%s); reconnecting", error)
            finally:
                if self.connected:  # streams waiting for deltas start polling the DB now
                    self.connected = False
                    self._broadcast_all(RESYNC)
                client.close()
            gevent.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _dispatch(self, channel: str, data: bytes) -> None:
        queues = self.queues.get(channel)
        if not queues:
            return
        try:
            payload = json.loads(data)
            delta = Delta(
                channel=channel,
                job=int(payload["job"]),
                attempt=int(payload.get("attempt", 0)),
                seq=int(payload.get("seq", 0)),
                text=str(payload.get("text", "")),
                state=bool(payload.get("state")),
                status=str(payload.get("status", "")),
                event=str(payload.get("event", "job")),
                at=at if isinstance(at := payload.get("at"), int | float) else None,
            )
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed message on %s", channel)
            return
        for queue in list(queues):
            queue.put(delta)

    def shutdown(self) -> None:
        """End every local stream (with a reconnect hint)."""
        self._broadcast_all(SHUTDOWN)

    def _broadcast_all(self, item: Any) -> None:
        for queue in list(self.streams):
            queue.put(item)


_hubs: dict[str, Hub] = {}


def shutdown_all() -> None:
    """Called when the web process is told to stop."""
    for hub in _hubs.values():
        hub.shutdown()


def hub_for(redis_url: str) -> Hub:
    """The process's hub for this Redis."""
    if redis_url not in _hubs:
        _hubs[redis_url] = Hub(redis_url)
    return _hubs[redis_url]
