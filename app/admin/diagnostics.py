"""What an operator needs at a glance, read from the database and Redis as they are now:
queues and their depth, workers alive with their slots and the jobs they hold, jobs stuck,
failure rates, the provider's time to first token and the oldest waiting job. One JSON
shape, which the page renders and `/api/admin/diagnostics` returns."""

import math
from datetime import datetime, timedelta
from typing import Any

import redis
from sqlalchemy import func, select

from app.auth.models import User
from app.clock import iso, utcnow
from app.extensions import db, get_redis
from app.jobs.models import IS_JOB, LlmTransform, Transform
from app.jobs.queue import QUEUE_NAMES, transforms_queue
from app.jobs.runner import lease_process
from app.jobs.state import job_json
from app.jobs.sweeper import oldest_waiting
from app.jobs.worker import slot_totals, worker_reports
from app.projects.models import Project

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# A job due this long ago that no worker has taken is stuck (the sweeper looks every few
# seconds and a free worker takes a queued job at once).
STUCK_AFTER = timedelta(minutes=1)
SHOWN = 50  # jobs listed per section at most (the counts are whole)
LATENCY_SAMPLE = 5000  # the newest calls a window's time to first token is taken from


def diagnostics() -> dict[str, Any]:
    """Everything the diagnostics page shows, as JSON."""
    now = utcnow()
    queues, workers, slots, redis_state = _redis_side()
    held = _held_jobs([w["name"] for w in workers])
    for worker in workers:
        worker["jobs"] = held.get(worker["name"], [])
    stuck, stuck_count = _stuck(now)
    return {
        "generatedAt": iso(now),
        "redis": redis_state,
        "queues": queues,
        "workers": workers,
        "slots": slots,
        "stuck": stuck,
        "stuckCount": stuck_count,
        "failures": {name: _failures(now - span) for name, span in WINDOWS.items()},
        "recentFailures": _recent_failures(now - WINDOWS["day"]),
        "providerLatency": {name: _latency(now - span) for name, span in WINDOWS.items()},
        "oldestWaiting": _oldest_waiting(now),
    }


def operator_view(transform: Transform, owner: str, project: str) -> dict[str, Any]:
    """A job as an operator sees it: the job's one shape, whose it is, and its lease."""
    return {
        "job": job_json(transform, project),
        "owner": owner,
        "leaseOwner": transform.lease_owner,
        "leaseExpiresAt": iso(transform.lease_expires_at),
        "updatedAt": iso(transform.updated_at),
    }


def _jobs(*where: Any, order: Any = None, limit: int = SHOWN) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Transform, User.username, Project.name)
        .join(User, User.id == Transform.created_by)
        .join(Project, Project.id == Transform.project_id)
        .where(IS_JOB, *where)
        .order_by(order if order is not None else Transform.id)
        .limit(limit)
    ).all()
    return [operator_view(t, owner, project) for t, owner, project in rows]


def job_by_id(job_id: int) -> dict[str, Any] | None:
    """Any job, for an operator who looks it up by its number."""
    found = _jobs(Transform.id == job_id, limit=1)
    return found[0] if found else None


def _redis_side() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any], str]:
    """The queues' depths, the workers' reports and their slots in all, and whether Redis
    answered."""
    queues = [{"name": name, "class": c, "depth": None} for c, name in QUEUE_NAMES.items()]
    try:
        connection = get_redis()
        for queue in queues:
            queue["depth"] = transforms_queue(queue["class"], connection).count
        reports = worker_reports()
    except redis.RedisError:
        return queues, [], {}, "unreachable"
    workers = [
        {
            "name": report["name"],
            "seenAt": iso(datetime.fromisoformat(report["at"])),
            "slots": slot_totals([report]),
        }
        for report in reports
    ]
    return queues, workers, slot_totals(reports), "ok"


def _held_jobs(names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The running jobs each worker holds the lease of."""
    if not names:
        return {}
    held: dict[str, list[dict[str, Any]]] = {}
    for job in _jobs(Transform.status == "running", limit=1000):
        process = lease_process(job["leaseOwner"])
        if process in names:
            held.setdefault(process, []).append(job)
    return held


def _stuck_reasons(now: datetime) -> dict[str, Any]:
    late = now - STUCK_AFTER
    return {
        # Its worker stopped renewing the lease: the sweeper should have taken it over.
        "lease_expired": (Transform.status == "running") & (Transform.lease_expires_at < late),
        # Waiting for a worker this long: the queue is backed up, or the entry was lost.
        "pending_past_due": (Transform.status == "pending")
        & Transform.next_attempt_at.is_(None)
        & (Transform.updated_at < late),
        # Parked until a time long gone: the sweeper should have woken it.
        "parked_past_due": (Transform.status == "pending") & (Transform.next_attempt_at < late),
        "retry_past_due": (Transform.status == "retrying") & (Transform.next_attempt_at < late),
    }


def _stuck(now: datetime) -> tuple[list[dict[str, Any]], int]:
    stuck = []
    count = 0
    for reason, where in _stuck_reasons(now).items():
        count += db.session.scalar(select(func.count()).where(IS_JOB, where)) or 0
        stuck += [{**job, "reason": reason} for job in _jobs(where)]
    return stuck[:SHOWN], count


def _failures(since: datetime) -> list[dict[str, Any]]:
    """Per kind, the jobs that ended since then: how many, how many failed, and why."""
    rows = db.session.execute(
        select(Transform.kind, Transform.status, Transform.error_code, func.count())
        .where(IS_JOB, Transform.finished_at >= since)
        .group_by(Transform.kind, Transform.status, Transform.error_code)
    ).all()
    kinds: dict[str, dict[str, Any]] = {}
    for kind, status, code, count in rows:
        entry = kinds.setdefault(
            kind, {"kind": kind, "finished": 0, "failed": 0, "cancelled": 0, "errors": {}}
        )
        entry["finished"] += count
        if status in ("failed", "cancelled"):
            entry[status] += count
        if status == "failed":
            entry["errors"][code or "unknown"] = entry["errors"].get(code or "unknown", 0) + count
    for entry in kinds.values():
        entry["failureRate"] = round(entry["failed"] / entry["finished"], 4)
    return sorted(kinds.values(), key=lambda entry: entry["kind"])


def _recent_failures(since: datetime) -> list[dict[str, Any]]:
    return _jobs(
        Transform.status == "failed",
        Transform.finished_at >= since,
        order=Transform.finished_at.desc(),
        limit=20,
    )


def _percentile(ordered: list[float], p: float) -> float | None:
    """The nearest rank: the smallest value with p % of them at or below it."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _latency(since: datetime) -> dict[str, Any]:
    """Time from a model call's request to its first token, by model, over the window."""
    rows = db.session.execute(
        select(LlmTransform.model, LlmTransform.started_at, LlmTransform.first_token_at)
        .where(LlmTransform.started_at >= since)
        .order_by(LlmTransform.started_at.desc())
        .limit(LATENCY_SAMPLE)
    ).all()
    by_model: dict[str, list[float]] = {}
    silent = 0
    for model, started, first in rows:
        if first is None:
            silent += 1  # failed, cancelled or still waiting for its first token
            continue
        by_model.setdefault(model, []).append(max(0.0, (first - started).total_seconds()))

    def summary(values: list[float]) -> dict[str, Any]:
        ordered = sorted(values)
        p50, p95 = _percentile(ordered, 50), _percentile(ordered, 95)
        return {
            "calls": len(ordered),
            "p50": None if p50 is None else round(p50, 3),
            "p95": None if p95 is None else round(p95, 3),
        }

    everything = [v for values in by_model.values() for v in values]
    return {
        **summary(everything),
        "withoutFirstToken": silent,
        "byModel": [{"model": m, **summary(v)} for m, v in sorted(by_model.items())],
    }


def _oldest_waiting(now: datetime) -> dict[str, Any] | None:
    """The job waiting longest for a worker, among those due."""
    found = oldest_waiting(now)
    job = job_by_id(found[0]) if found else None
    if found is None or job is None:
        return None
    return {**job, "waitingSeconds": round((now - found[1]).total_seconds(), 1)}
