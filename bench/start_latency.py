"""Start latency: the brainstorm form's POST to its 303, against a bare RQ enqueue; and
the enqueue to the job's first request to the model, against a bare RQ worker's pick-up.

    .venv/bin/python bench/start_latency.py [--database auto|sqlite|postgres|both] [--quick]

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). The reference, in the same run right after each POST,
is a bare RQ enqueue of the worker's entry point (app.jobs.runner.run_attempt) on a queue of
its own.

The pick-up, on a second fresh database: the app with one worker process (WORKERS=1), each
brainstorm POSTed alone and the next only once it has ended, so the worker waits idle on
the queue. The view enqueues as its last step before the 303, so the pick-up is timed from
the 303's arrival to the fake provider's receipt of the job's first request (its request
log): an underestimate by the view's tail (one announce, the response), printed beside the
bound timed from the POST's start. The reference: `rq worker` (RQ's own, a work horse
forked per job) on a queue of its own, a job of `time.time` timed from just before its
enqueue to the time it returns.

Figures M2 for the suite (bench/common.py record). `--quick`: fewer POSTs and pick-ups."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from common import (
    KEY,
    PYTHON,
    REDIS_URL,
    Proc,
    Summary,
    Table,
    add_database_option,
    app_env,
    create_account,
    create_projects,
    csrf_token,
    databases,
    flush_redis,
    free_port,
    install_cleanup,
    load,
    machine,
    prepare_database,
    record,
    redis_client,
    sign_in,
    start_app,
    start_provider,
    wait_until,
)
from rq import Queue
from rq.serializers import JSONSerializer

TARGET_P99_MS = 15.0
TARGET_PICKUP_P50_MS = 5.0  # enqueue → the job's first request to the model
FINAL = ("completed", "failed", "cancelled")
QUICK = {"runs": 60, "warmup": 10, "pickups": 20, "pickup_warmup": 3}


@dataclass
class Result:
    """The timings of one database's pass, in seconds."""

    database: str
    posts: list[float]
    enqueues: list[float]
    pickups: list[float] = field(default_factory=list)  # from the 303
    pickups_bound: list[float] = field(default_factory=list)  # from the POST's start
    rq_pickups: list[float] = field(default_factory=list)  # the reference
    problems: list[str] = field(default_factory=list)


def brainstorm_form(http: httpx2.Client, project: int, index: int) -> dict[str, str]:
    """The brainstorm form's fields, filled in, for one project."""
    form = http.get(f"/projects/{project}/brainstorm")
    form.raise_for_status()
    key = KEY.search(form.text)
    assert key, "no idempotency_key in the form"
    return {
        "csrf_token": csrf_token(form.text),
        "idempotency_key": key.group(1),
        "platform": "douyin",
        "genre-0": "100",
        "requirements": f"bench start {index}",
        "numIdeas": "1",
    }


def posted(response: httpx2.Response) -> str:
    """The job page a POST sent the writer to (else the POST failed)."""
    if response.status_code != 303 or "/jobs/" not in response.headers["location"]:
        raise RuntimeError(f"POST answered {response.status_code}: {response.text}")
    return response.headers["location"]


def measure(database: str, provider_url: str, runs: int, warmup: int, workers: int) -> Result:
    """Start the app on a fresh database and time POST→303 and the reference enqueue."""
    db = prepare_database(database)
    flush_redis()
    app = None
    try:
        env = app_env(db, provider_url, workers, free_port())
        app, base_url = start_app(env)
        token = create_account(env)
        projects = create_projects(base_url, token, warmup + runs)
        connection = redis_client()
        reference = Queue("bench-ref", connection=connection, serializer=JSONSerializer)
        http = sign_in(base_url)
        posts: list[float] = []
        enqueues: list[float] = []
        try:
            for index, project in enumerate(projects):
                data = brainstorm_form(http, project, index)
                started = time.perf_counter()
                response = http.post(f"/projects/{project}/brainstorm", data=data)
                elapsed = time.perf_counter() - started
                posted(response)
                started = time.perf_counter()
                reference.enqueue("app.jobs.runner.run_attempt", 1)
                reference_elapsed = time.perf_counter() - started
                if index >= warmup:
                    posts.append(elapsed)
                    enqueues.append(reference_elapsed)
        finally:
            http.close()
            reference.delete(delete_jobs=True)
            connection.close()
        return Result(database, posts, enqueues)
    finally:
        if app is not None:
            app.stop()
        db.cleanup()


def ended(api: httpx2.Client, job: str) -> str:
    """The job's final status, or "" while it is not over."""
    status = api.get(f"/api/jobs/{job}").json()["status"]
    return status if status in FINAL else ""


def pickup(result: Result, provider_url: str, runs: int, warmup: int) -> None:
    """Enqueue → the job's first request to the model, one brainstorm at a time with one
    worker waiting idle (see the module's docstring)."""
    db = prepare_database(result.database)
    flush_redis()
    app = None
    provider = httpx2.Client(base_url=provider_url, timeout=30)
    try:
        env = app_env(db, provider_url, 1, free_port())
        app, base_url = start_app(env)
        token = create_account(env)
        projects = create_projects(base_url, token, warmup + runs)
        api = httpx2.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        http = sign_in(base_url)
        try:
            for index, project in enumerate(projects):
                provider.delete("/_control/requests")
                data = brainstorm_form(http, project, index)
                began = time.time()
                response = http.post(f"/projects/{project}/brainstorm", data=data)
                answered = time.time()
                job = posted(response).rstrip("/").rsplit("/", 1)[1]
                # The first run also waits for the worker to start.
                requests = wait_until(
                    lambda: provider.get("/_control/requests").json(), 60, "the model request"
                )
                status = wait_until(lambda job=job: ended(api, job), 60, f"job {job} to end")
                if status != "completed":
                    result.problems.append(f"job {job} ended {status}")
                if index >= warmup:
                    arrived = min(r["at"] for r in requests)
                    result.pickups.append(arrived - answered)
                    result.pickups_bound.append(arrived - began)
        finally:
            http.close()
            api.close()
    finally:
        provider.close()
        if app is not None:
            app.stop()
        db.cleanup()


def rq_pickup(runs: int, warmup: int) -> list[float]:
    """The reference: RQ's own worker (a work horse forked per job), enqueue → the job runs."""
    flush_redis()
    rq = str(Path(PYTHON).with_name("rq"))
    name = "bench-pickup"
    command = [rq, "worker", "--url", REDIS_URL, "--serializer", "json", name]
    worker = Proc("rq-worker", command, {}, "Listening on")
    connection = redis_client()
    queue = Queue(name, connection=connection, serializer=JSONSerializer)
    samples = []
    try:
        for index in range(warmup + runs):
            began = time.time()
            job = queue.enqueue("time.time")
            wait_until(lambda job=job: job.get_status(refresh=True) == "finished", 30, "RQ's job")
            if index >= warmup:
                samples.append(job.return_value(refresh=True) - began)
    finally:
        worker.stop()
        queue.delete(delete_jobs=True)
        connection.close()
    return samples


def main() -> None:
    """Parse the knobs, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_option(parser)
    parser.add_argument("--runs", type=int, default=300, help="timed POSTs per database")
    parser.add_argument("--warmup", type=int, default=30, help="untimed POSTs first")
    parser.add_argument(
        "--workers", type=int, default=0, help="worker processes (0: the queue just grows)"
    )
    parser.add_argument("--pickups", type=int, default=100, help="timed pick-ups per database")
    parser.add_argument("--pickup-warmup", type=int, default=5, help="untimed pick-ups first")
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 60 POSTs and 20 pick-ups"
    )
    if parser.parse_known_args()[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args()
    install_cleanup()
    context, load_before = machine(), load()
    provider, provider_url = start_provider()
    results = []
    try:
        for database in databases(args.database):
            result = measure(database, provider_url, args.runs, args.warmup, args.workers)
            pickup(result, provider_url, args.pickups, args.pickup_warmup)
            result.rq_pickups = rq_pickup(args.pickups, args.pickup_warmup)
            results.append(result)
    finally:
        provider.stop()
    table = Table(["database", "what", "n", "p50 ms", "p99 ms", "mean ms", "max ms"])
    for result in results:
        for what, sample in (
            ("POST→303", result.posts),
            ("RQ enqueue (ref)", result.enqueues),
            ("enqueue→model request", result.pickups),
            ("  bound: POST→model request", result.pickups_bound),
            ("RQ enqueue→job runs (ref)", result.rq_pickups),
        ):
            s = Summary.of(sample)
            table.add(result.database, what, s.n, s.p50, s.p99, s.mean, s.max)
    print("Start latency: brainstorm form POST → 303 (client wall time, keep-alive connection)")
    print(
        f"  app WORKERS={args.workers}{' (the queue just grows)' if args.workers == 0 else ''}"
        f"; {args.warmup} warm-up + {args.runs} timed POSTs per database, "
        "a new project each"
    )
    print("  reference: a bare RQ enqueue of run_attempt, in-process, right after each POST")
    print(
        f"  pick-up: WORKERS=1, {args.pickup_warmup} warm-up + {args.pickups} timed brainstorms "
        "one at a time; enqueue→model request timed from the 303 (the enqueue is the view's "
        "last step before it), the bound from the POST's start; reference: `rq worker` running "
        "a job of time.time"
    )
    print(f"  {context}; load average {load_before} before, {load()} after")
    print(table.render())
    for result in results:
        p99 = Summary.of(result.posts).p99
        verdict = "meets" if p99 <= TARGET_P99_MS else "misses"
        target = f"p99 ≤ {TARGET_P99_MS:g} ms"
        print(f"{result.database}: POST→303 p99 {p99:.2f} ms {verdict} the target ({target})")
        record(
            "M2",
            "POST → 303 p99",
            p99,
            "ms",
            database=result.database,
            reference=Summary.of(result.enqueues).p99,
            target=f"≤ {TARGET_P99_MS:g} ms",
            met=p99 <= TARGET_P99_MS,
        )
        p50 = Summary.of(result.pickups).p50
        verdict = "meets" if p50 <= TARGET_PICKUP_P50_MS else "misses"
        target = f"p50 ≤ {TARGET_PICKUP_P50_MS:g} ms"
        print(
            f"{result.database}: enqueue → first model request p50 {p50:.2f} ms {verdict} the "
            f"target ({target}); RQ's own worker: {Summary.of(result.rq_pickups).p50:.2f} ms"
        )
        record(
            "M2",
            "enqueue → first provider request p50",
            p50,
            "ms",
            database=result.database,
            reference=Summary.of(result.rq_pickups).p50,
            target=f"≤ {TARGET_PICKUP_P50_MS:g} ms",
            met=p50 <= TARGET_PICKUP_P50_MS,
            bound=Summary.of(result.pickups_bound).p50,
        )
        for problem in sorted(set(result.problems))[:10]:
            print(f"  {result.database}: {problem}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
