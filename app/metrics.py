"""Figures for Prometheus at /metrics.

Two sources. What the database and Redis hold (jobs by kind and state, attempts, queue
depths, worker slots, the oldest waiting job) is read by one collector at scrape time, so it
is right whatever the number of hosts. What happens inside a process (retries, cancels, time
to first token, latencies, chunks and tokens written, open streams, listener reconnects) is
counted by that process: gunicorn's processes share their counts through
PROMETHEUS_MULTIPROC_DIR, and a worker process serves its own on METRICS_PORT."""

import hmac
import os
from collections.abc import Iterator

import redis
from flask import Blueprint, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db, get_redis

bp = Blueprint("metrics", __name__)
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
FIRST_TOKEN = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)

# ---- counted by the process where it happens -------------------------------------------------

RETRIES = Counter(
    "sw_retries", "Attempts that ended in an automatic retry, by error class", ["kind", "error"]
)
CANCELS = Counter("sw_cancels", "Jobs cancelled by a writer or an admin", ["kind"])
TIME_TO_FIRST_TOKEN = Histogram(
    "sw_time_to_first_token_seconds",
    "From a model call's request to its first token",
    ["kind"],
    buckets=FIRST_TOKEN,
)
TOKEN_TO_ROW = Histogram(
    "sw_token_to_row_seconds",
    "From a token's arrival at the worker to the commit of the chunk holding it (the oldest"
    " token of each chunk)",
    buckets=LATENCY,
)
ROW_TO_CLIENT = Histogram(
    "sw_row_to_client_seconds",
    "From a chunk's publish by its worker to its write on a live stream (two hosts' clocks)",
    buckets=LATENCY,
)
CHUNKS = Counter("sw_chunks_written", "Chunks of streamed text written", ["kind"])
TOKENS = Counter("sw_tokens_written", "Tokens of streamed text written", ["kind"])
OPEN_STREAMS = Gauge(
    "sw_open_streams", "Live streams open in a web process", multiprocess_mode="livesum"
)
LISTENER_RECONNECTS = Counter(
    "sw_redis_listener_reconnects", "Times a web process's Redis listener connected again"
)


# ---- read from the database and Redis at scrape time -----------------------------------------


class State(Collector):
    """Jobs, queues and worker slots as the database and Redis hold them now."""

    def __init__(self, app: object) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context():  # type: ignore[attr-defined]
            try:
                yield from self._jobs()
            finally:
                db.session.remove()
            yield from self._queues()

    def _jobs(self) -> Iterator[Metric]:
        from app.jobs.models import IS_JOB, Transform

        jobs = GaugeMetricFamily("sw_jobs", "Jobs by kind and state", labels=["kind", "state"])
        attempts = CounterMetricFamily("sw_job_attempts", "Attempts made, by kind", labels=["kind"])
        counts = db.session.execute(
            select(
                Transform.kind,
                Transform.status,
                func.count(),
                func.coalesce(func.sum(Transform.attempt), 0),
            )
            .where(IS_JOB)
            .group_by(Transform.kind, Transform.status)
        ).all()
        made: dict[str, int] = {}
        for kind, status, count, tries in counts:
            jobs.add_metric([kind, status], count)
            made[kind] = made.get(kind, 0) + int(tries)
        for kind, tries in sorted(made.items()):
            attempts.add_metric([kind], tries)
        yield jobs
        yield attempts
        oldest = db.session.scalar(
            select(func.min(Transform.updated_at)).where(IS_JOB, Transform.status == "pending")
        )
        waiting = GaugeMetricFamily(
            "sw_oldest_pending_seconds", "How long the longest-waiting pending job has waited"
        )
        waiting.add_metric([], (utcnow() - oldest).total_seconds() if oldest else 0.0)
        yield waiting

    def _queues(self) -> Iterator[Metric]:
        from app.jobs.queue import QUEUE_NAMES, transforms_queue
        from app.jobs.worker import worker_reports

        depth = GaugeMetricFamily("sw_queue_depth", "Entries waiting in a queue", labels=["queue"])
        slots = GaugeMetricFamily(
            "sw_worker_slots", "Worker slots, busy or free, by class", labels=["class", "state"]
        )
        workers = GaugeMetricFamily("sw_workers", "Worker processes alive")
        up = GaugeMetricFamily("sw_redis_up", "Whether Redis answered this scrape")
        try:
            with self.app.app_context():  # type: ignore[attr-defined]
                connection = get_redis()
                for queue_class, name in QUEUE_NAMES.items():
                    depth.add_metric([name], transforms_queue(queue_class, connection).count)
                reports = worker_reports()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        totals: dict[tuple[str, str], int] = {}
        for report in reports:
            for queue_class, capacity in report["capacity"].items():
                busy = report["running"].get(queue_class, 0)
                totals[(queue_class, "busy")] = totals.get((queue_class, "busy"), 0) + busy
                free = totals.get((queue_class, "free"), 0) + max(capacity - busy, 0)
                totals[(queue_class, "free")] = free
        for (queue_class, state), value in sorted(totals.items()):
            slots.add_metric([queue_class, state], value)
        workers.add_metric([], len(reports))
        up.add_metric([], 1)
        yield from (depth, slots, workers, up)


class _ThisProcess(Collector):
    """The default registry's figures (this process's own), when processes do not share."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(State(current_app._get_current_object()))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text format; with METRICS_TOKEN set, only for its bearer."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response(
                "metrics need the token\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
                mimetype="text/plain",
            )
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def serve_worker_metrics(port: int) -> None:
    """A worker process's own figures on http://0.0.0.0:port/ (a thread of its own)."""
    if port:
        start_http_server(port)


def process_died(pid: int) -> None:
    """gunicorn's child_exit: a process's live gauges stop counting (its counters stay)."""
    if os.environ.get(MULTIPROCESS):
        multiprocess.mark_process_dead(pid)
