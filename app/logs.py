"""Logs: one line per event, as text or, with LOG_FORMAT=json, as one JSON object a line, each
carrying what it happened to — the request (its id, the signed-in user) or the job (id,
attempt, kind) — and one line per request: method, the route's path template, status and
duration, never a query string or a body (they may hold what a writer typed)."""

import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
CONTEXT = ("request_id", "user_id", "job_id", "attempt", "kind")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_job: ContextVar[dict[str, Any]] = ContextVar("job", default={})  # noqa: B039 - never mutated
request_log = logging.getLogger("app.requests")


class Context(logging.Filter):
    """Puts the request's or the job's ids on every record (None where there are none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        found: dict[str, Any] = dict.fromkeys(CONTEXT)
        if has_request_context():
            found["request_id"] = g.get("request_id")
            found["user_id"] = g.get("log_user_id")
        found.update(_job.get())
        for key, value in found.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def configure(level: str | None = None, stream: Any = None) -> None:
    """The process's logging: to stderr, as text or JSON (LOG_FORMAT), at LOG_LEVEL."""
    handler = logging.StreamHandler(stream)
    if os.environ.get("LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Context())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))


@contextmanager
def job_context(job_id: int, attempt: int, kind: str) -> Iterator[None]:
    """Within it, every record of this thread says which job and attempt it is about."""
    token = _job.set({"job_id": job_id, "attempt": attempt, "kind": kind})
    try:
        yield
    finally:
        _job.reset(token)


def init_app(app: Flask) -> None:
    """An id for every request (the caller's X-Request-ID if it is one, else a new one, sent
    back), and its line in the log once it is answered."""

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.log_started = time.perf_counter()

    @app.after_request
    def _line(response: Response) -> Response:
        started = g.get("log_started")
        if started is None:
            return response
        user = g.get("_login_user")  # as Flask-Login loaded it, if the request did: no query
        g.log_user_id = user.id if user is not None and user.is_authenticated else None
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        duration = round((time.perf_counter() - started) * 1000, 1)
        request_log.info(
            "%s %s %s %.1f ms",
            request.method,
            rule,
            response.status_code,
            duration,
            extra={
                "method": request.method,
                "path": rule,
                "status": response.status_code,
                "duration_ms": duration,
            },
        )
        response.headers["X-Request-ID"] = g.request_id
        return response
