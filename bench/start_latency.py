"""Start latency: the brainstorm form's POST to its 303, against a bare RQ enqueue.

    .venv/bin/python bench/start_latency.py [--database auto|sqlite|postgres|both]

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). The reference, in the same run right after each POST,
is a bare RQ enqueue of the worker's entry point (app.jobs.runner.run_attempt) on a queue of
its own."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from common import (
    KEY,
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
    redis_client,
    sign_in,
    start_app,
    start_provider,
)
from rq import Queue
from rq.serializers import JSONSerializer

TARGET_P99_MS = 15.0


@dataclass
class Result:
    """The timings of one database's pass, in seconds."""

    database: str
    posts: list[float]
    enqueues: list[float]


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
                form = http.get(f"/projects/{project}/brainstorm")
                form.raise_for_status()
                key = KEY.search(form.text)
                assert key, "no idempotency_key in the form"
                data = {
                    "csrf_token": csrf_token(form.text),
                    "idempotency_key": key.group(1),
                    "platform": "douyin",
                    "genre-0": "100",
                    "requirements": f"bench start {index}",
                    "numIdeas": "1",
                }
                started = time.perf_counter()
                response = http.post(f"/projects/{project}/brainstorm", data=data)
                elapsed = time.perf_counter() - started
                if response.status_code != 303 or "/jobs/" not in response.headers["location"]:
                    raise RuntimeError(f"POST answered {response.status_code}: {response.text}")
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


def main() -> None:
    """Parse the knobs, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_option(parser)
    parser.add_argument("--runs", type=int, default=300, help="timed POSTs per database")
    parser.add_argument("--warmup", type=int, default=30, help="untimed POSTs first")
    parser.add_argument(
        "--workers", type=int, default=0, help="worker processes (0: the queue just grows)"
    )
    args = parser.parse_args()
    install_cleanup()
    context, load_before = machine(), load()
    provider, provider_url = start_provider()
    results = []
    try:
        for database in databases(args.database):
            results.append(measure(database, provider_url, args.runs, args.warmup, args.workers))
    finally:
        provider.stop()
    table = Table(["database", "what", "n", "p50 ms", "p99 ms", "mean ms", "max ms"])
    for result in results:
        for what, sample in (("POST→303", result.posts), ("RQ enqueue (ref)", result.enqueues)):
            s = Summary.of(sample)
            table.add(result.database, what, s.n, s.p50, s.p99, s.mean, s.max)
    print("Start latency: brainstorm form POST → 303 (client wall time, keep-alive connection)")
    print(
        f"  app WORKERS={args.workers}{' (the queue just grows)' if args.workers == 0 else ''}"
        f"; {args.warmup} warm-up + {args.runs} timed POSTs per database, "
        "a new project each"
    )
    print("  reference: a bare RQ enqueue of run_attempt, in-process, right after each POST")
    print(f"  {context}; load average {load_before} before, {load()} after")
    print(table.render())
    for result in results:
        p99 = Summary.of(result.posts).p99
        verdict = "meets" if p99 <= TARGET_P99_MS else "misses"
        target = f"p99 ≤ {TARGET_P99_MS:g} ms"
        print(f"{result.database}: POST→303 p99 {p99:.2f} ms {verdict} the target ({target})")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
