"""A worker process: many attempts at once, each in a thread (no fork per job), with a budget
of slots per class of kind so a long research job never makes a brainstorm wait; its sweeper
runs in a thread beside them.

The queues are RQ's (the web enqueues with RQ); a worker takes an attempt off with BLPOP
when it has a free slot of that class, deletes the RQ entry, and from then on the job's lease
in the database says who runs it: a worker that dies loses nothing the sweeper cannot find."""

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import redis
from flask import Flask, current_app

from app.clock import utcnow
from app.extensions import get_redis
from app.jobs.events import channel_prefix
from app.jobs.queue import QUEUE_NAMES, transforms_queue
from app.jobs.runner import process_name, run_attempt, run_cleanup, stopping
from app.jobs.sweeper import sweep_forever

log = logging.getLogger(__name__)
_JOB_ID = re.compile(r"(transform|cleanup)-(\d+)(?:-\d+)?")
STATUS_EVERY = 1.0  # seconds between two reports of the worker's slots
STATUS_TTL = 10  # a worker not heard of for this long is gone


def pool_size(config: Any) -> int:
    """Database connections a worker process needs: one per slot, the sweeper and the loop."""
    return config["JOB_CONCURRENCY"] + config["LONG_JOB_CONCURRENCY"] + 2


class Slots:
    """How many attempts of each class run now, out of how many allowed."""

    def __init__(self, capacity: dict[str, int]) -> None:
        self.capacity = capacity
        self.running = dict.fromkeys(capacity, 0)
        self.changed = threading.Condition()

    def _free(self) -> list[str]:
        return [c for c, n in self.capacity.items() if self.running[c] < n]

    def free(self, wait: float = 0.0) -> list[str]:
        """The classes with a free slot, waiting up to `wait` seconds for one."""
        with self.changed:
            self.changed.wait_for(self._free, wait)
            return self._free()

    def take(self, queue_class: str) -> None:
        with self.changed:
            self.running[queue_class] += 1

    def give_back(self, queue_class: str) -> None:
        with self.changed:
            self.running[queue_class] -= 1
            self.changed.notify_all()


def status_key(app: Flask, name: str = "*") -> str:
    """Where a worker process reports its slots, for a few seconds at a time (read by the
    tests and the operators' page: a key per worker, gone when the worker is)."""
    return f"{channel_prefix(app.config['REDIS_URL'])}worker:{name}"


def worker_reports() -> list[dict[str, Any]]:
    """What each live worker process last said of itself: name, capacity and running per
    class of slot, and when (the operators' page and /metrics read these)."""
    connection = get_redis()
    prefix = status_key(current_app)[:-1]
    keys = list(connection.scan_iter(status_key(current_app), count=1000))
    reports = []
    for key, raw in zip(keys, connection.mget(keys) if keys else [], strict=True):
        if raw:  # gone between the scan and the read: that worker stopped
            reports.append({"name": key.decode()[len(prefix) :], **json.loads(raw)})
    return sorted(reports, key=lambda report: report["name"])


def slot_totals(reports: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Busy and free slots per class of slot, over these workers' reports."""
    totals: dict[str, dict[str, int]] = {}
    for report in reports:
        for queue_class, capacity in report["capacity"].items():
            busy = report["running"].get(queue_class, 0)
            total = totals.setdefault(queue_class, {"busy": 0, "free": 0})
            total["busy"] += busy
            total["free"] += max(capacity - busy, 0)
    return totals


class Worker:
    """Takes attempts from the queues while it has free slots; stops on `stopping`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.name = process_name()
        self.slots = Slots(
            {"short": app.config["JOB_CONCURRENCY"], "long": app.config["LONG_JOB_CONCURRENCY"]}
        )
        self.threads: set[threading.Thread] = set()
        self.connection: redis.Redis
        self._reported = 0.0

    def work(self) -> None:
        """Run until told to stop; then wait for every attempt to hand its job back."""
        with self.app.app_context():
            connection = get_redis()
            keys = {c: transforms_queue(c, connection).key for c in QUEUE_NAMES}
            classes = {key: c for c, key in keys.items()}
        self.connection = connection
        threading.Thread(target=self._sweep, daemon=True, name="sweeper").start()
        slots = self.slots.capacity
        print(
            f"Worker {self.name} ready: {slots['short']} short and {slots['long']} long slots",
            flush=True,
        )
        while not stopping.is_set():
            self._report()
            free = self.slots.free(wait=STATUS_EVERY)
            if not free:
                continue
            # While a class is full, wait on the others briefly: a slot of it that frees
            # meanwhile must not sit idle until a long wait ends.
            wait = 1 if len(free) == len(keys) else 0.1
            try:
                taken = connection.blpop([keys[c] for c in free], timeout=wait)
            except redis.RedisError:
                log.warning("the queue is unreachable; trying again")
                time.sleep(1)
                continue
            if taken is not None and stopping.is_set():
                # Told to stop while waiting: the entry goes back for another worker (it may
                # be a job one of our own attempts just handed back).
                with suppress(redis.RedisError):  # else the sweeper queues it again
                    connection.lpush(taken[0], taken[1])
            elif taken is not None:
                self._start(classes[taken[0].decode()], taken[1].decode())
        self._finish()

    def _start(self, queue_class: str, job_id: str) -> None:
        match = _JOB_ID.fullmatch(job_id)
        try:
            self.connection.delete(f"rq:job:{job_id}")  # the lease is the truth from here on
        except redis.RedisError:
            pass
        if match is None:
            return
        run = run_attempt if match.group(1) == "transform" else run_cleanup
        self.slots.take(queue_class)
        self._report(now=True)
        thread = threading.Thread(
            target=self._attempt, args=(run, int(match.group(2)), queue_class), name=job_id
        )
        self.threads.add(thread)
        thread.start()

    def _attempt(self, run: Callable[[int], None], transform_id: int, queue_class: str) -> None:
        try:
            with self.app.app_context():
                run(transform_id)
        except Exception:  # noqa: BLE001 - the lease expires and the sweeper takes over
            log.exception("attempt of job %s failed in the machinery", transform_id)
        finally:
            self.threads.discard(threading.current_thread())
            self.slots.give_back(queue_class)
            self._report(now=True)

    def _sweep(self) -> None:
        with self.app.app_context():
            sweep_forever(stopping)

    def _report(self, now: bool = False) -> None:
        """Tell Redis this worker is alive and how busy it is: every second, and at once when
        a slot is taken or given back."""
        if not now and time.monotonic() - self._reported < STATUS_EVERY:
            return
        self._reported = time.monotonic()
        status: dict[str, Any] = {
            "capacity": self.slots.capacity,
            "running": dict(self.slots.running),
            "at": utcnow().isoformat(),
        }
        try:
            self.connection.set(status_key(self.app, self.name), json.dumps(status), ex=STATUS_TTL)
        except redis.RedisError:
            pass

    def _finish(self) -> None:
        """Every attempt hands its job back at its next flush or tick (about a second)."""
        deadline = time.monotonic() + 25
        for thread in list(self.threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        try:
            self.connection.delete(status_key(self.app, self.name))
        except redis.RedisError:
            pass
