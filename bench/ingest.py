"""Sustained ingest: how many streamed chunks per second one worker-like process can persist
through the real flush path (group commit) while the lag from a chunk's arrival to its
committed row stays ≤ 50 ms at p99, with every chunk stored exactly once — beside the same
load written with one plain commit per chunk.

    .venv/bin/python bench/ingest.py [--database auto|sqlite|postgres|both]
        [--attempts 4,16,100] [--seconds 3] [--profile DIR [--profile-gil]]
        [--rates 250,500,1000,2000,5000,10000,20000,50000,100000] [--quick]

A "chunk" is one streamed delta of a model's answer (one provider event with text). One
process, as a worker: the app (create_app) on a fresh database, `--attempts` jobs claimed
(each count its own ladder — 4: few attempts, so the per-chunk costs show; 16:
JOB_CONCURRENCY's default; 100: the issue's many-jobs figure)
with the real claim (app.jobs.lifecycle.claim), each attempt in its own thread calling the
real `JobContext.stream` — the model's reader thread and the coalescing pump
(app/jobs/streaming.py), each flush handed to the process's one writer thread
(app/jobs/writer.py: GroupWriter), which writes every flush waiting in one transaction, each
fenced by its job's epoch, and announces them in one Redis pipeline — only the
model is replaced, in this process, by a paced generator (`app.llm.stream_chat` swapped):
each attempt's generator yields `rate / attempts` deltas per second, waking every
`--tick-ms` (a provider's TCP reads carry several events at such rates) and stamping each
delta as it is yielded. The moment each flush committed is stamped where the writer
announces it (`app.jobs.writer.announce_all`, called right after the commit); a delta's lag
is the commit of the row holding it − its stamp. The writer's transactions are timed
(`GroupWriter._write_batch`) and their flushes counted.

The reference, in the same run and process at the same offered rates: the same generators
and reader threads (app.jobs.streaming.Reader), and per attempt a thread that commits each
delta as its own row (BEGIN (IMMEDIATE on SQLite) – INSERT – COMMIT through the app's
session), nothing else.

For each offered rate (ascending; a mode stops climbing after its first miss) it prints
the achieved chunks/s, rows/s, the lag p50 / p99 / max, chunks lost and repeated (read back
from transform_chunks: each attempt's text must be exactly its deltas, in order), the
process's CPU per chunk, and the write transactions' own durations and flushes per
transaction (where the time goes).
A rate is sustained when ≥ 95% of it was achieved, the lag p99 ≤ 50 ms and nothing was lost
or repeated. Targets: PostgreSQL ≥ 20,000 chunks/s, SQLite ≥ 50,000.

SQLite always (a fresh file); PostgreSQL when BENCH_DATABASE_URL is set (its database name
+ "_ingest" is dropped and created afresh: see bench/common.py). Redis db 2
(BENCH_REDIS_URL). Each database runs in a fresh interpreter. `--profile DIR` writes py-spy
collapsed stacks of each level there (pip install py-spy); profiled figures are perturbed.
`--quick`: 16 attempts only, 2-second levels, a coarse ladder (bench/suite.py --quick).
Each attempts count's sustained rate is recorded as figure M3 (bench/common.py record).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    PYTHON,
    REDIS_URL,
    ROOT,
    Summary,
    Table,
    add_database_option,
    cpu_seconds,
    databases,
    flush_redis,
    load,
    machine,
    machine_cpu,
    prepare_database,
    processes_named,
    record,
)

TARGETS = {"sqlite": 50_000, "postgres": 20_000}  # chunks per second
LAG_P99_MS = 50.0
ACHIEVED = 0.95  # a rate is sustained when this share of it was persisted
WIDTH = 8  # characters per delta: "0000042|", so the stored text tells each delta apart
DEFAULT_RATES = "250,500,1000,2000,5000,10000,20000,50000,100000"
QUICK = {"attempts": [16], "seconds": 2.0, "rates": "250,1000,5000,20000,50000,100000"}


def delta_text(index: int) -> str:
    """The text of delta ``index`` (unique within its attempt, fixed width)."""
    return f"{index:07d}|"


# ---------------------------------------------------------------------------------- figures


@dataclass
class Level:
    """One mode at one offered rate."""

    mode: str  # "flush" (the real path) or "reference" (one commit per chunk)
    offered: int  # chunks per second, all attempts together
    attempts: int
    seconds: float
    chunks: int = 0  # deltas persisted
    rows: int = 0
    elapsed: float = 0.0  # first delta yielded → last row committed
    lag_p50: float = math.nan  # milliseconds
    lag_p99: float = math.nan
    lag_max: float = math.nan
    lost: int = 0
    repeated: int = 0
    out_of_order: int = 0
    cpu: float = 0.0  # this process's CPU seconds
    server_cpu: float = 0.0  # PostgreSQL's processes (machine-wide), CPU seconds
    machine_busy: float = 0.0  # the whole machine's busy CPU seconds (others' load too)
    transactions: int = 0  # write transactions (flush: the writer's group commits)
    tx_p50: float = math.nan  # one write transaction (begin → commit), ms
    tx_p99: float = math.nan
    tx_busy: float = 0.0  # sum of transaction durations / (elapsed × writing threads)
    failures: list[str] = field(default_factory=list)

    @property
    def achieved(self) -> float:
        """Chunks persisted per second."""
        return self.chunks / self.elapsed if self.elapsed else 0.0

    @property
    def sustained(self) -> bool:
        """Kept up, within the lag, nothing lost or repeated."""
        return (
            not self.failures
            and self.achieved >= ACHIEVED * self.offered
            and self.lag_p99 <= LAG_P99_MS
            and self.lost == self.repeated == self.out_of_order == 0
        )


# ---------------------------------------------------------------------------------- the child


class Plan:
    """One attempt's deltas: how many, how fast, and when each was yielded."""

    def __init__(self, count: int, rate: float, tick: float, go: threading.Event) -> None:
        """``count`` deltas at ``rate`` per second from ``start`` (perf_counter), which is set
        before ``go``."""
        self.count, self.rate, self.tick, self.go = count, rate, tick, go
        self.start = 0.0
        self.yielded: list[float] = []

    def deltas(self) -> Any:
        """The paced generator: sleep to the next tick, yield every delta due by then."""
        self.go.wait()
        sent = 0
        while sent < self.count:
            now = time.perf_counter()
            due = min(self.count, int((now - self.start) * self.rate) + 1)
            if due <= sent:
                wake = self.start + sent / self.rate
                time.sleep(max(wake - now, self.tick))
                continue
            while sent < due:
                self.yielded.append(time.perf_counter())
                yield delta_text(sent)
                sent += 1


class Harness:
    """The worker-like process: the app, its jobs, the swapped model and the stamps."""

    def __init__(self, url: str, args: argparse.Namespace) -> None:
        """Create the app on ``url`` (already empty), migrate, make a user and projects."""
        os.environ.update(
            DATABASE_URL=url,
            REDIS_URL=REDIS_URL,
            SECRET_KEY="bench",
            LLM_API_KEY="bench",  # not the demo model; the model is swapped below anyway
            LLM_BASE_URL="http://127.0.0.1:9/v1",
            LOG_LEVEL="WARNING",
            FLUSH_WINDOW_MS=str(args.flush_window_ms),
            # As worker.py sizes it (app.jobs.worker.pool_size: the slots, the long slots, two).
            DB_POOL_SIZE=str(max(args.attempts) + 6),
        )
        from flask_migrate import upgrade

        import app.jobs.writer as writer
        import app.llm as llm
        from app import create_app
        from app.auth.models import User
        from app.extensions import db
        from app.projects.domain import create_project

        self.args = args
        self.app = create_app()
        self.plans: dict[int, Plan] = {}
        self.commits: dict[int, list[tuple[float, int]]] = {}  # job → (time, text end)
        self.transactions: list[float] = []  # seconds, one per write transaction
        self.lock = threading.Lock()
        with self.app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            user = User(username="ingest")
            user.set_password("bench-password")
            db.session.add(user)
            db.session.flush()
            self.user_id = user.id
            count = max(args.attempts)
            self.projects = [create_project(user, f"Ingest {i}").id for i in range(count)]
            db.session.commit()
        # The model, swapped in this process: each job's plan, picked by the job id in the prompt.
        real_announce_all, real_write_batch = writer.announce_all, writer.GroupWriter._write_batch

        def stream_chat(messages: list[dict[str, str]], _config: Any, **_kw: Any) -> Any:
            plan = self.plans[int(messages[-1]["content"])]
            stream = llm.ChatStream(model="bench", parameters={}, deltas=iter(()))

            def deltas() -> Any:
                yield from plan.deltas()
                stream.finish_reason = "stop"

            stream.deltas = deltas()
            return stream

        def announce_all(changes: list[tuple[Any, str, bool]]) -> None:
            at = time.perf_counter()  # the writer announces right after its commit
            for transform, text, _state in changes:
                if text:
                    marks = self.commits.setdefault(transform.id, [])
                    marks.append((at, (marks[-1][1] if marks else 0) + len(text)))
            real_announce_all(changes)

        def write_batch(group: Any, batch: list[Any]) -> Any:
            began = time.perf_counter()
            try:
                return real_write_batch(group, batch)
            finally:
                self.transactions.append(time.perf_counter() - began)

        llm.stream_chat = stream_chat
        writer.announce_all = announce_all
        writer.GroupWriter._write_batch = write_batch  # type: ignore[method-assign]

    def jobs(self, count: int) -> list[int]:
        """``count`` pending brainstorm jobs, one per project, with their params."""
        from app.artifacts.models import Artifact, TransformInput
        from app.extensions import db
        from app.jobs.models import Transform

        params = {
            "platform": "douyin",
            "genrePaths": [["女频", "爱情", "甜宠"]],
            "genreProportions": [100],
            "requirements": "",
            "numIdeas": 1,
        }
        with self.app.app_context():
            ids = []
            for project in self.projects[:count]:
                artifact = Artifact(
                    project_id=project,
                    type="brainstorm_params",
                    data=params,
                    created_by=self.user_id,
                )
                job = Transform(
                    project_id=project, kind="brainstorm", status="pending", created_by=self.user_id
                )
                db.session.add_all([artifact, job])
                db.session.flush()
                db.session.add(
                    TransformInput(transform_id=job.id, artifact_id=artifact.id, role="params")
                )
                ids.append(job.id)
            db.session.commit()
            return ids

    # ---- the two writers ----------------------------------------------------------------

    def flush_attempt(self, job_id: int, ready: threading.Barrier, errors: list[str]) -> None:
        """The real path: claim, then JobContext.stream with a no-op on_text (its flushes
        written by the process's GroupWriter), then complete."""
        from app.brainstorm.kind import BRAINSTORM
        from app.extensions import db
        from app.jobs import lifecycle
        from app.jobs.context import JobContext

        with self.app.app_context():
            try:
                claim = lifecycle.claim(job_id, f"ingest:{job_id}")
                assert claim is not None, "the claim failed"
                ctx = JobContext(claim, BRAINSTORM, threading.Event())
                ready.wait()
                ctx.stream([{"role": "user", "content": str(job_id)}], lambda _text: None)
                ctx.write(**lifecycle.completed(None))
            except Exception as error:  # noqa: BLE001 - reported as the level's failure
                errors.append(f"job {job_id}: {type(error).__name__}: {error}")
                ready.abort()
            finally:
                db.session.remove()

    def reference_attempt(self, job_id: int, ready: threading.Barrier, errors: list[str]) -> None:
        """The reference: the same deltas through a reader thread, one plain commit each."""
        from sqlalchemy import insert, update

        from app.extensions import begin_write, db
        from app.jobs.models import Transform, TransformChunk
        from app.jobs.streaming import Reader
        from app.llm import stream_chat

        with self.app.app_context():
            try:
                begin_write()
                db.session.execute(
                    update(Transform)
                    .where(Transform.id == job_id)
                    .values(status="running", attempt=1)
                )
                db.session.commit()
                ready.wait()
                reader = Reader(
                    lambda: stream_chat([{"role": "user", "content": str(job_id)}], self.app.config)
                )
                marks = self.commits.setdefault(job_id, [])
                seq, end = 0, 0
                while True:
                    kind, value = reader.inbox.get()
                    if kind == "text":
                        seq += 1
                        began = time.perf_counter()
                        begin_write()
                        db.session.execute(
                            insert(TransformChunk).values(
                                transform_id=job_id, attempt=1, seq=seq, text=value
                            )
                        )
                        db.session.commit()
                        at = time.perf_counter()
                        self.transactions.append(at - began)
                        end += len(value)
                        marks.append((at, end))
                    elif kind == "end":
                        break
                    elif kind == "error":
                        raise value
                begin_write()
                db.session.execute(
                    update(Transform)
                    .where(Transform.id == job_id)
                    .values(status="completed", last_seq=seq)
                )
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported as the level's failure
                errors.append(f"job {job_id}: {type(error).__name__}: {error}")
                ready.abort()
            finally:
                db.session.remove()

    # ---- one level ----------------------------------------------------------------------

    def level(self, mode: str, offered: int, attempts: int, database: str) -> Level:
        """Run ``offered`` chunks/s over ``attempts`` for --seconds; check and measure."""
        args = self.args
        result = Level(mode, offered, attempts, args.seconds)
        jobs = self.jobs(attempts)
        per_attempt = offered / attempts
        count = max(1, round(per_attempt * args.seconds))
        self.commits.clear()
        self.transactions.clear()
        errors: list[str] = []
        go = threading.Event()
        for job in jobs:
            self.plans[job] = Plan(count, per_attempt, args.tick_ms / 1000, go)
        ready = threading.Barrier(attempts + 1)
        target = self.flush_attempt if mode == "flush" else self.reference_attempt
        threads = [
            threading.Thread(target=target, args=(job, ready, errors), name=f"attempt-{job}")
            for job in jobs
        ]
        for thread in threads:
            thread.start()
        try:
            ready.wait(60)  # every attempt claimed (flush) or marked running (reference)
        except threading.BrokenBarrierError:
            errors.append("an attempt failed before streaming")
        start = time.perf_counter() + 0.05
        for job in jobs:
            self.plans[job].start = start
        go.set()
        servers = processes_named("postgres") if database == "postgres" else []
        cpu0, server0 = time.process_time(), sum(cpu_seconds(p, False) for p in servers)
        machine0 = machine_cpu()[0]
        profiler = self._profile(f"{database}-{attempts}-{mode}-{offered}")
        # The plans are read when each attempt opens its model stream, after the barrier.
        for thread in threads:
            thread.join(args.seconds * 20 + 60)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        result.cpu = time.process_time() - cpu0
        result.machine_busy = machine_cpu()[0] - machine0
        result.server_cpu = sum(cpu_seconds(p, False) for p in servers) - server0
        if any(thread.is_alive() for thread in threads):
            errors.append("an attempt did not finish")
        result.failures = errors[:5]
        self._figures(result, jobs, start)
        return result

    def _profile(self, label: str) -> subprocess.Popen[bytes] | None:
        if not self.args.profile:
            return None
        folder = Path(self.args.profile)
        folder.mkdir(parents=True, exist_ok=True)
        spy = str(Path(PYTHON).with_name("py-spy"))
        return subprocess.Popen(
            [spy, "record", "--pid", str(os.getpid()), "--rate", "100", "--format", "raw"]
            + ["--nonblocking", "--output", str(folder / f"{label}.txt")]
            + (["--gil"] if self.args.profile_gil else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _figures(self, result: Level, jobs: list[int], start: float) -> None:
        """Lags from the stamps; losses and repeats from what the database holds."""
        from sqlalchemy import select

        from app.extensions import db
        from app.jobs.models import TransformChunk

        lags: list[float] = []
        last_commit = start
        for job in jobs:
            plan, marks = self.plans.pop(job), self.commits.get(job, [])
            ends = [end for _at, end in marks]
            for index, yielded in enumerate(plan.yielded):
                at = bisect_left(ends, (index + 1) * WIDTH)
                if at < len(marks):
                    lags.append(marks[at][0] - yielded)
            if marks:
                last_commit = max(last_commit, marks[-1][0])
        result.elapsed = last_commit - start
        lag = Summary.of(lags)
        result.lag_p50, result.lag_p99, result.lag_max = lag.p50, lag.p99, lag.max
        tx = Summary.of(self.transactions)
        result.transactions = len(self.transactions)
        result.tx_p50, result.tx_p99 = tx.p50, tx.p99
        threads = 1 if result.mode == "flush" else len(jobs)  # the writer, or each attempt
        if result.elapsed:
            result.tx_busy = sum(self.transactions) / (result.elapsed * threads)
        expected_count = max(1, round(result.offered / result.attempts * result.seconds))
        with self.app.app_context():
            for job in jobs:
                rows = db.session.execute(
                    select(TransformChunk.seq, TransformChunk.text)
                    .where(TransformChunk.transform_id == job)
                    .order_by(TransformChunk.attempt, TransformChunk.seq)
                ).all()
                result.rows += len(rows)
                stored = "".join(text for _seq, text in rows).split("|")[:-1]
                counts = Counter(stored)
                expected = [delta_text(i)[:-1] for i in range(expected_count)]
                lost = sum(1 for e in expected if e not in counts)
                repeated = sum(n - 1 for n in counts.values() if n > 1)
                result.lost += lost
                result.repeated += repeated
                result.out_of_order += int(stored != expected and not lost and not repeated)
                result.chunks += len(counts.keys() & set(expected))
            db.session.remove()


def child(database: str, url: str, args: argparse.Namespace) -> None:
    """Run every mode's ladder on one database; print each level as a RESULT line."""
    harness = Harness(url, args)
    rates = [int(r) for r in args.rates.split(",")]
    for attempts in args.attempts:
        for mode in ("flush", "reference"):
            best, missed = 0, 0
            for rate in rates:
                result = harness.level(mode, rate, attempts, database)
                print("RESULT " + json.dumps({"database": database, **asdict(result)}), flush=True)
                if result.sustained:
                    best = rate
                else:
                    missed = rate
                    break
            if args.refine and best and missed:
                rate = int(round(math.sqrt(best * missed), -2))
                result = harness.level(mode, rate, attempts, database)
                print("RESULT " + json.dumps({"database": database, **asdict(result)}), flush=True)
    with harness.app.app_context():
        from app.extensions import db

        db.engine.dispose()


# ---------------------------------------------------------------------------------- the parent


def run_database(database: str, args: argparse.Namespace) -> list[Level]:
    """A fresh database and a fresh interpreter for it; the levels it reported."""
    prepared = prepare_database(database, suffix="_ingest")
    flush_redis()
    command = [PYTHON, __file__, "--child", database, "--url", prepared.url]
    command += ["--attempts", ",".join(map(str, args.attempts)), "--seconds", str(args.seconds)]
    command += ["--rates", args.rates, "--tick-ms", str(args.tick_ms)]
    command += ["--flush-window-ms", str(args.flush_window_ms)]
    command += ["--refine"] if args.refine else []
    command += ["--profile", args.profile] if args.profile else []
    command += ["--profile-gil"] if args.profile_gil else []
    levels = []
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("RESULT "):
                    data = json.loads(line[7:])
                    data.pop("database")
                    level = Level(**data)
                    levels.append(level)
                    print(
                        f"  [{database}] {level.attempts} attempts, {level.mode} "
                        f"{level.offered}/s: achieved "
                        f"{level.achieved:.0f}/s, lag p99 {level.lag_p99:.1f} ms"
                        f"{' — ' + '; '.join(level.failures) if level.failures else ''}",
                        flush=True,
                    )
                else:
                    print(line, end="")
        if proc.returncode:
            print(f"  [{database}] the harness exited with {proc.returncode}")
    finally:
        prepared.cleanup()
    return levels


def report(results: dict[str, list[Level]], args: argparse.Namespace, context: str) -> None:
    """Print every level, then the sustained figures beside the reference and the target."""
    counts = ", ".join(map(str, args.attempts))
    print(
        "Sustained ingest: chunks (streamed deltas) persisted per second by one worker-like "
        f"process, {counts} attempts in threads, {args.seconds:g} s per level"
    )
    print(
        "  flush: the real path (JobContext.stream: reader thread, coalescing "
        f"FLUSH_WINDOW_MS={args.flush_window_ms:g}, every attempt's flushes group-committed by "
        "the process's one writer thread, fenced per job, announced in one pipeline); "
        "reference: one plain commit per chunk; lag = row committed − delta yielded"
    )
    print(f"  {context}")
    cores = os.cpu_count() or 1
    table = Table(
        [
            "database",
            "attempts",
            "mode",
            "offered/s",
            "achieved/s",
            "rows/s",
            "chunks/row",
            "rows/tx",
            "lag p50",
            "lag p99",
            "lag max",
            "lost",
            "repeated",
            "CPU µs/chunk",
            "tx p50",
            "tx p99",
            "machine",
            "ok",
        ]
    )
    for database, levels in results.items():
        for lv in levels:
            rows_s = lv.rows / lv.elapsed if lv.elapsed else 0.0
            table.add(
                database,
                lv.attempts,
                lv.mode,
                lv.offered,
                f"{lv.achieved:.0f}",
                f"{rows_s:.0f}",
                f"{lv.chunks / lv.rows:.1f}" if lv.rows else "-",
                f"{lv.rows / lv.transactions:.1f}" if lv.transactions else "-",
                lv.lag_p50,
                lv.lag_p99,
                lv.lag_max,
                lv.lost,
                lv.repeated + lv.out_of_order,
                f"{lv.cpu / lv.chunks * 1e6:.1f}" if lv.chunks else "-",
                lv.tx_p50,
                lv.tx_p99,
                f"{lv.machine_busy / lv.elapsed / cores * 100:.0f}%" if lv.elapsed else "-",
                "yes" if lv.sustained else "no",
            )
    print(table.render())
    print(
        "  (lag and tx in ms; tx: one write transaction, begin → commit (flush: one group commit"
        " of the writer thread, with its retries); rows/tx: chunk rows per transaction;"
        " repeated: repeats and misordered attempts; CPU: this process only; machine: how busy"
        f" all {cores} cores were, others' load included)"
    )
    for database, levels in results.items():
        target = TARGETS[database]
        for attempts in args.attempts:
            mine = [lv for lv in levels if lv.attempts == attempts]
            best = {
                mode: max(
                    (lv.offered for lv in mine if lv.mode == mode and lv.sustained), default=0
                )
                for mode in ("flush", "reference")
            }
            verdict = "meets" if best["flush"] >= target else "MISSES"
            record(
                "M3",
                f"sustained chunks/s, {attempts} attempts",
                best["flush"],
                "chunks/s",
                database=database,
                reference=best["reference"],
                target=f"≥ {target:,}/s, lag p99 ≤ {LAG_P99_MS:g} ms, 0 lost or repeated",
                met=best["flush"] >= target,
                attempts=attempts,
                ladder_top=int(args.rates.split(",")[-1]),  # best = top: the ladder's end
            )
            print(
                f"{database}, {attempts} attempts: sustained {best['flush']:,} chunks/s through the"
                f" flush path (reference, one commit per chunk: {best['reference']:,}/s) — "
                f"{verdict} the target (≥ {target:,} chunks/s with lag p99 ≤ {LAG_P99_MS:g} ms, "
                "0 lost or repeated)"
            )
            failed = [lv for lv in mine if lv.mode == "flush" and not lv.sustained]
            for lv in failed[:1]:
                print(f"  first miss at {lv.offered:,}/s: {why(lv)}")


def why(lv: Level) -> str:
    """Why a level was not sustained, and what the process did meanwhile."""
    reasons = []
    if lv.achieved < ACHIEVED * lv.offered:
        reasons.append(f"achieved {lv.achieved:.0f}/s of {lv.offered}/s")
    if not lv.lag_p99 <= LAG_P99_MS:
        reasons.append(f"lag p99 {lv.lag_p99:.1f} ms")
    if lv.lost or lv.repeated or lv.out_of_order:
        reasons.append(f"lost {lv.lost}, repeated {lv.repeated}, misordered {lv.out_of_order}")
    reasons += lv.failures
    busy = lv.cpu / lv.elapsed if lv.elapsed else 0.0
    rows = lv.rows / lv.elapsed if lv.elapsed else 0.0
    text = (
        f"{'; '.join(reasons)}; {rows:.0f} flushes/s, the process used {busy:.2f} CPU s per s "
        f"(one interpreter: the GIL allows ~1), {lv.cpu / lv.rows * 1e3 if lv.rows else 0:.2f} ms"
        f" of CPU per row written, {lv.rows / lv.transactions if lv.transactions else 0:.1f}"
        f" rows per write transaction, transactions p50 {lv.tx_p50:.2f} / p99 "
        f"{lv.tx_p99:.2f} ms, {lv.tx_busy:.0%} of "
        + ("the writer thread's" if lv.mode == "flush" else "each attempt's")
        + " time inside one"
    )
    if lv.server_cpu and lv.elapsed:
        text += f"; PostgreSQL's processes {lv.server_cpu / lv.elapsed:.2f} CPU s per s"
    return text


def main() -> None:
    """Parse the knobs; the parent runs a child per database and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument(
        "--attempts",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[4, 16, 100],
        help="concurrent attempts (threads), comma-separated: a ladder for each",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each level")
    parser.add_argument("--rates", default=DEFAULT_RATES, help="offered chunks/s, ascending")
    parser.add_argument("--tick-ms", type=float, default=5.0, help="the generators' wake-up")
    parser.add_argument("--flush-window-ms", type=float, default=10.0, help="FLUSH_WINDOW_MS")
    parser.add_argument(
        "--refine", action="store_true", help="one more level between the last pass and the miss"
    )
    parser.add_argument("--profile", metavar="DIR", help="py-spy each level into DIR")
    parser.add_argument("--profile-gil", action="store_true", help="py-spy --gil (GIL holders)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 16 attempts, 2 s levels, 6 rates"
    )
    if parser.parse_known_args()[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args)
        return
    context, load_before = machine(), load()
    results = {database: run_database(database, args) for database in databases(args.database)}
    report(results, args, f"{context}; load average {load_before} before, {load()} after")


if __name__ == "__main__":
    main()
