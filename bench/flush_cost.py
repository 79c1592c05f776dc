"""What one streaming flush costs through the app's group-commit writer, piece by piece,
against a lean DBAPI flush; and what a flush costs when 16 or 100 jobs' flushes share a
group commit.

    .venv/bin/python bench/flush_cost.py [--database auto|sqlite|postgres|both] [--flushes 300]

No model. The wall and CPU time per flush of
- the app's flush, one job, one thread: `JobContext.write(text)` — the flush handed to the
  process's writer thread (app/jobs/writer.py: GroupWriter), which writes it in one fenced
  transaction (UPDATE … RETURNING the job, INSERT the chunk, COMMIT) and announces it in one
  Redis pipeline, then hands the row back;
- the same without the announce (`app.jobs.writer.announce_all` swapped out for the row);
- its pieces: the writer's transaction alone (`GroupWriter._transaction` of one flush, run
  in this thread: the difference is the hand-over), the announce pipeline alone, a plain
  INSERT + COMMIT through the Session, and an empty transaction (pool checkout with
  pre-ping, SELECT 1, COMMIT);
- group commit through the real GroupWriter: 16 and 100 running jobs' flushes handed to the
  writer at once (one transaction, one pipeline, if it takes them all: flushes/tx says how
  many it did), and 16 and 100 threads each calling `JobContext.write` in a loop, as a
  worker's attempts do (the writer takes whatever waits);
- the reference (not the app's code): the same UPDATE … RETURNING and INSERT as DBAPI
  statements on a connection the thread keeps, with and without a publish.

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (its database name + "_flush" is
dropped and created afresh: see bench/common.py). Each database in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    REDIS_URL,
    ROOT,
    Table,
    add_database_option,
    databases,
    flush_redis,
    load,
    machine,
    prepare_database,
)

GROUPS = (16, 100)
TEXT = "abcdefgh"


def timed(
    label: str,
    work: Callable[[], None],
    runs: int,
    per: int = 1,
    batches: list[int] | None = None,
    warm: int = 10,
) -> list[str]:
    """Run ``work`` ``runs`` times after ``warm`` untimed; wall and CPU µs per flush, and the
    mean flushes per writer transaction (``batches``: the sizes of the writer's batches)."""
    for _ in range(warm):
        work()
    if batches is not None:
        batches.clear()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(runs):
        work()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    size = f"{sum(batches) / len(batches):.1f}" if batches else "-"
    return [label, f"{wall / runs / per * 1e6:.0f}", f"{cpu / runs / per * 1e6:.0f}", size]


def child(url: str, runs: int) -> None:
    """Measure every way on ``url``; print one JSON row per way."""
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench",
        LLM_API_KEY="bench",
        LOG_LEVEL="WARNING",
        DB_POOL_SIZE=str(max(GROUPS) + 6),  # as a worker of max(GROUPS) slots
    )
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from app import create_app
    from app.artifacts.models import Artifact, TransformInput
    from app.auth.models import User
    from app.brainstorm.kind import BRAINSTORM
    from app.clock import utcnow
    from app.extensions import begin_write, db
    from app.jobs import lifecycle, writer
    from app.jobs.context import JobContext
    from app.jobs.models import Transform, TransformChunk
    from app.projects.domain import create_project

    app = create_app()
    batches: list[int] = []  # flushes in each of the writer's transactions
    real_write_batch = writer.GroupWriter._write_batch

    def write_batch(group: Any, batch: list[Any]) -> Any:
        batches.append(len(batch))
        return real_write_batch(group, batch)

    writer.GroupWriter._write_batch = write_batch  # type: ignore[method-assign]
    rows = []
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        user = User(username="flush")
        user.set_password("bench-password")
        db.session.add(user)
        db.session.flush()
        jobs = []
        for index in range(max(GROUPS)):
            project = create_project(user, f"Flush {index}")
            params = Artifact(
                project_id=project.id,
                type="brainstorm_params",
                data={"numIdeas": 1},
                created_by=user.id,
            )
            job = Transform(
                project_id=project.id, kind="brainstorm", status="pending", created_by=user.id
            )
            db.session.add_all([params, job])
            db.session.flush()
            db.session.add(
                TransformInput(transform_id=job.id, artifact_id=params.id, role="params")
            )
            jobs.append(job.id)
        db.session.commit()
        contexts = []
        for job_id in jobs:
            claim = lifecycle.claim(job_id, "flush-cost")
            assert claim is not None
            contexts.append(JobContext(claim, BRAINSTORM, threading.Event()))
        ctx, job_id = contexts[0], jobs[0]
        group_writer = writer.writer_of(app)

        def flush_of(context: JobContext) -> writer.Flush:
            """The flush JobContext.write(TEXT) hands over (its seq taken)."""
            context.seq += 1
            return writer.Flush(
                job=context.id,
                epoch=context.claim.epoch,
                attempt=context.attempt,
                project_id=context.claim.project_id,
                user_id=context.claim.user_id,
                lease=context.lease,
                values={"last_seq": context.seq},
                text=TEXT,
                shown=False,
            )

        rows.append(
            timed("app: JobContext.write(text)", lambda: ctx.write(TEXT), runs, batches=batches)
        )
        real_announce_all = writer.announce_all
        writer.announce_all = lambda _changes: None
        rows.append(
            timed("app: … without its announce", lambda: ctx.write(TEXT), runs, batches=batches)
        )
        writer.announce_all = real_announce_all

        def transaction_alone() -> None:
            assert group_writer._transaction([flush_of(ctx)])  # [] if fenced out
            db.session.remove()  # as the writer does after each batch

        rows.append(
            timed("piece: the writer's transaction, in this thread", transaction_alone, runs)
        )
        snapshot = ctx.write()  # a row to announce

        rows.append(
            timed(
                "piece: the announce pipeline",
                lambda: real_announce_all([(snapshot, TEXT, False)]),
                runs,
            )
        )
        seq = [10**6]

        def plain() -> None:
            seq[0] += 1
            begin_write()
            db.session.execute(
                insert(TransformChunk).values(
                    transform_id=job_id, attempt=99, seq=seq[0], text=TEXT
                )
            )
            db.session.commit()

        rows.append(timed("piece: INSERT + COMMIT via the Session", plain, runs))

        def empty() -> None:
            db.session.execute(text("SELECT 1"))
            db.session.commit()

        rows.append(timed("piece: checkout + pre-ping + SELECT 1", empty, runs))
        db.session.remove()
        rounds = max(10, runs // 5)
        for size in GROUPS:
            group = contexts[:size]

            def at_once(group: list[JobContext] = group) -> None:
                flushes = [flush_of(context) for context in group]
                group_writer._ensure_running()
                for flush in flushes:  # quicker than the writer wakes: one batch, mostly
                    group_writer.inbox.put(flush)
                for flush in flushes:
                    flush.done.result()

            label = f"app: GroupWriter, {size} jobs' flushes handed over at once"
            rows.append(timed(label, at_once, rounds, per=size, batches=batches))

            def threads(group: list[JobContext] = group) -> None:
                def attempt(context: JobContext) -> None:
                    for _ in range(rounds):
                        context.write(TEXT)

                started = [threading.Thread(target=attempt, args=(c,)) for c in group]
                for thread in started:
                    thread.start()
                for thread in started:
                    thread.join()

            label = f"app: {size} threads, each JobContext.write in a loop"
            rows.append(timed(label, threads, 1, per=size * rounds, batches=batches, warm=1))
        sqlite = db.engine.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        update_sql = (
            f"UPDATE transforms SET last_seq={mark}, updated_at={mark}, lease_expires_at={mark} "
            f"WHERE id={mark} AND lease_epoch={mark} AND status='running' "
            "RETURNING attempt, created_by, status"
        )
        insert_sql = (
            "INSERT INTO transform_chunks (transform_id, attempt, seq, text, created_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
        )
        raw = db.engine.raw_connection()  # kept by the thread: no checkout, no pre-ping
        epoch = ctx.claim.epoch

        def lean(publishing: bool) -> None:
            seq[0] += 1
            now = utcnow()
            cursor = raw.cursor()
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(update_sql, (seq[0], now, now + timedelta(seconds=30), job_id, epoch))
            assert cursor.fetchone() is not None
            cursor.execute(insert_sql, (job_id, 99, seq[0], TEXT, now))
            if sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()
            if publishing:
                real_announce_all([(snapshot, TEXT, False)])

        rows.append(timed("reference: DBAPI flush, kept connection", lambda: lean(True), runs))
        rows.append(timed("reference: … without the announce", lambda: lean(False), runs))
        raw.close()
        db.session.remove()
        db.engine.dispose()
    for row in rows:
        print("ROW " + json.dumps(row), flush=True)


def main() -> None:
    """A child per database; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--flushes", type=int, default=300, help="timed flushes per way")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.flushes)
        return
    context, load_before = machine(), load()
    table = Table(["database", "way", "wall µs/flush", "CPU µs/flush", "flushes/tx"])
    for database in databases(args.database):
        prepared = prepare_database(database, suffix="_flush")
        flush_redis()
        try:
            command = [sys.executable, __file__, "--child", prepared.url]
            command += ["--flushes", str(args.flushes)]
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode:
                print(out.stdout + out.stderr)
            for line in out.stdout.splitlines():
                if line.startswith("ROW "):
                    table.add(database, *json.loads(line[4:]))
        finally:
            prepared.cleanup()
    print(
        "What one streaming flush costs (µs per flush; flushes/tx: the mean of the app's"
        " writer's transactions)"
    )
    print(f"  {context}; load average {load_before} before, {load()} after")
    print(table.render())


if __name__ == "__main__":
    main()
