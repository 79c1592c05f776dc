"""Figures for Prometheus at /metrics.

Two sources. What the database and Redis hold (jobs by kind and state, attempts, queue
depths, worker slots, the oldest waiting job) is read by one collector at scrape time, so it
is right whatever the number of hosts. What happens inside a process (retries, cancels, time
to first token, latencies, chunks and tokens written, open streams, listener reconnects) is
counted by that process: gunicorn's processes share their counts through
PROMETHEUS_MULTIPROC_DIR, and a worker process serves its own on METRICS_PORT."""

import hmac
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

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
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.clock import utcnow
from app.extensions import db, get_redis

log = logging.getLogger(__name__)
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
OPEN_STREAMS = Gauge(  # one series per live process (pid) when gunicorn's processes share
    "sw_open_streams", "Live streams open in a web process", multiprocess_mode="liveall"
)
LISTENER_RECONNECTS = Counter(
    "sw_redis_listener_reconnects", "Times a web process's Redis listener connected again"
)


# ---- read from the database and Redis at scrape time -----------------------------------------


class State(Collector):
    """Jobs, queues and worker slots as the database and Redis hold them now. Every web
    process on every host says the same: aggregate them with max, not sum."""

    def __init__(self, app: object) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context():  # type: ignore[attr-defined]
            yield from self._database()
            yield from self._redis()

    def _database(self) -> Iterator[Metric]:
        from app.jobs.models import IS_JOB, Transform
        from app.jobs.sweeper import oldest_waiting

        up = GaugeMetricFamily("sw_database_up", "Whether the database answered this scrape")
        jobs = GaugeMetricFamily("sw_jobs", "Jobs by kind and state", labels=["kind", "state"])
        attempts = GaugeMetricFamily(
            "sw_job_attempts", "Attempts made by the jobs in the database, by kind", labels=["kind"]
        )
        waiting = GaugeMetricFamily(
            "sw_oldest_waiting_seconds", "How long the job waiting longest for a worker has"
        )
        try:
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
            now = utcnow()
            oldest = oldest_waiting(now)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.remove()
        made: dict[str, int] = {}
        for kind, status, count, tries in counts:
            jobs.add_metric([kind, status], count)
            made[kind] = made.get(kind, 0) + int(tries)
        for kind, tries in sorted(made.items()):
            attempts.add_metric([kind], tries)
        waiting.add_metric([], (now - oldest[1]).total_seconds() if oldest else 0.0)
        up.add_metric([], 1)
        yield from (up, jobs, attempts, waiting)

    def _redis(self) -> Iterator[Metric]:
        from app.jobs.queue import QUEUE_NAMES, transforms_queue
        from app.jobs.worker import slot_totals, worker_reports

        up = GaugeMetricFamily("sw_redis_up", "Whether Redis answered this scrape")
        depth = GaugeMetricFamily("sw_queue_depth", "Entries waiting in a queue", labels=["queue"])
        slots = GaugeMetricFamily(
            "sw_worker_slots", "Worker slots, busy or free, by class", labels=["class", "state"]
        )
        workers = GaugeMetricFamily("sw_workers", "Worker processes alive")
        try:
            connection = get_redis()
            for queue_class, name in QUEUE_NAMES.items():
                depth.add_metric([name], transforms_queue(queue_class, connection).count)
            reports = worker_reports()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        for queue_class, counts in sorted(slot_totals(reports).items()):
            for state, value in counts.items():
                slots.add_metric([queue_class, state], value)
        workers.add_metric([], len(reports))
        up.add_metric([], 1)
        yield from (up, depth, slots, workers)


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


def authorized(header: str, token: str) -> bool:
    """Whether a request's Authorization header carries the metrics token (none set: yes)."""
    if not token:
        return True
    scheme, _space, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


DENIED = (401, "metrics need the token\n", {"WWW-Authenticate": 'Bearer realm="metrics"'})


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text format; with METRICS_TOKEN set, only for its bearer."""
    if not authorized(
        request.headers.get("Authorization", ""), current_app.config["METRICS_TOKEN"]
    ):
        status, text, headers = DENIED
        return Response(text, status, headers, mimetype="text/plain")
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Scrapes are not logged."""


def serve_worker_metrics(port: int, token: str) -> None:
    """A worker process's own figures on http://0.0.0.0:port/, in a thread of their own,
    behind the same token as the web's."""
    if not port:
        return
    figures = make_wsgi_app()

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        if not authorized(environ.get("HTTP_AUTHORIZATION", ""), token):
            status, text, headers = DENIED
            start_response(
                f"{status} Unauthorized", [("Content-Type", "text/plain"), *headers.items()]
            )
            return [text.encode()]
        return figures(environ, start_response)

    try:
        server = make_server("", port, guarded, ThreadingWSGIServer, handler_class=_Quiet)
    except OSError as error:  # another process has the port: the worker runs on without
        log.warning("worker figures not served: port %s: %s", port, error)
        return
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
