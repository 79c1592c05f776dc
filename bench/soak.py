"""Soak: jobs streaming for minutes while the server cuts every live stream now and then;
each client resumes with Last-Event-ID and must miss nothing and get nothing twice.

    .venv/bin/python bench/soak.py [--database auto|sqlite|postgres|both] [--minutes 15]
        [--jobs 20] [--cut-seconds 60] [--job-seconds 180] [--delay-ms 100] [--quick]

The app: `python app.py` (the web process, WORKERS=0) with STREAM_MAX_SECONDS=`--cut-seconds`
(the server ends each live stream after that long with "retry: 1000"), and one `worker.py`
with JOB_CONCURRENCY=`--jobs` + 4. `--jobs` brainstorm jobs run at all times for `--minutes`:
when one completes, the next starts (its own project; one active job per project and kind).
The fake provider streams each job's marker tokens at one per `--delay-ms`; a job lasts
about `--job-seconds` (drawn from 0.6× to 1.4×, so completions and cuts spread; the last
ones are shortened to end with the soak), so most streams are cut mid-job.

Each job has one client of GET /api/streaming/transform/<id> that behaves as a browser's
EventSource: it keeps the last event id, and when the stream closes without `done` it waits
the server's `retry` hint (3 s before any hint, as browsers do) and reconnects with
Last-Event-ID. Times on the client's monotonic clock, per reconnection:

- resume: the reconnect request is sent (TCP connect included) → the first event of the new
  stream arrives (the catch-up from the database: what was missed, and the job's status).
  This is the target's figure (p95 ≤ 100 ms): from when the client comes back to when it is
  receiving the stream again. The wait the server itself asks for is not in it;
- connected: the reconnect request is sent → the stream's first bytes (": connected");
- gap: the old stream's close → the first event of the new one (resume + the retry wait).

When a job's client has seen `done`, what it assembled is compared with the database
(transform_chunks of the job's last attempt): lost = stored chunks never received, repeated =
chunks received more than once, wrong = chunks received whose text or place differs from the
stored one (a seq the database does not have, a different text, out of order); the stored
text is also compared with the tokens the provider sent. Targets: 0 lost, 0 repeated, resume
p95 ≤ 100 ms. `--quick`: 1.5 minutes with cuts every 20 s and jobs of ~45 s.

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Redis: BENCH_REDIS_URL (db 2 by default)."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx2
from common import (
    PYTHON,
    ROOT,
    Database,
    Proc,
    Table,
    add_database_option,
    app_env,
    create_account,
    databases,
    flush_redis,
    free_port,
    install_cleanup,
    load,
    machine,
    percentile,
    prepare_database,
    record,
    start_app,
    start_provider,
    wait_until,
)
from sqlalchemy import text

TARGET_RESUME_P95_MS = 100.0
BROWSER_RETRY_MS = 3000  # an EventSource's wait before the server has sent a hint
SHORTEST_JOB_SECONDS = 5.0  # no job is started with less of the soak left than this
GENRE = ["女频", "爱情", "甜宠"]
IDEAS = 10  # the body tokens are spread over this many ideas (each body stays short)


# ---------------------------------------------------------------------------------- client


@dataclass
class Reconnect:
    """One resumption of a job's stream (seconds on the client's monotonic clock)."""

    closed: float  # the old stream ended
    sent: float  # the new request went out (after the retry wait)
    connected: float = 0.0  # its first bytes arrived
    resumed: float = 0.0  # its first event arrived


@dataclass
class Connection:
    """What one connection received, for the client's bookkeeping."""

    hinted: bool = False  # the server sent a retry hint before closing
    done: bool = False
    first_bytes: float = 0.0
    first_event: float = 0.0


class Client(threading.Thread):
    """One job's SSE client, reconnecting as a browser's EventSource does."""

    def __init__(self, base_url: str, token: str, job_id: int) -> None:
        """Watch job ``job_id`` with the API token ``token``."""
        super().__init__(daemon=True, name=f"client-{job_id}")
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = f"/api/streaming/transform/{job_id}"
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
        }
        self.chunks: list[tuple[int, int, str]] = []  # (attempt, seq, text) as received
        self.last_id = ""
        self.retry_ms = BROWSER_RETRY_MS
        self.reconnects: list[Reconnect] = []
        self.cuts = 0  # closes after a retry hint (the server's STREAM_MAX_SECONDS)
        self.drops = 0  # closes without one
        self.resets = 0  # the text received so far was thrown away (another attempt)
        self.errors: list[str] = []
        self.done = False
        self._halt = threading.Event()

    def run(self) -> None:
        """Connect, read until the stream ends, wait the retry hint, resume; until done."""
        closed: float | None = None
        while not self.done and not self._halt.is_set():
            sent = time.monotonic()
            try:
                got = self._connect()
            except (OSError, http.client.HTTPException, ValueError) as error:
                got = None
                self.errors.append(f"{type(error).__name__}: {error}")
            if closed is not None and got is not None and got.first_event:
                self.reconnects.append(Reconnect(closed, sent, got.first_bytes, got.first_event))
            closed = time.monotonic()
            if got is None and len(self.errors) > 20:
                return  # a browser would have given up long ago
            if got is not None and not got.done:
                self.cuts += got.hinted
                self.drops += not got.hinted
            if not self.done:
                self._halt.wait(self.retry_ms / 1000)

    def stop(self) -> None:
        """Give up (the soak is over)."""
        self._halt.set()

    def _connect(self) -> Connection:
        headers = dict(self.headers)
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        got = Connection()
        try:
            conn.request("GET", self.path, headers=headers)
            response = conn.getresponse()
            kind = response.getheader("Content-Type", "")
            if response.status != 200 or not kind.startswith("text/event-stream"):
                body = response.read(300).decode(errors="replace")
                raise ValueError(f"not an event stream: {response.status} {kind} {body}")
            self._read(response, got)
        finally:
            conn.close()
        return got

    def _read(self, response: http.client.HTTPResponse, got: Connection) -> None:
        """Parse the stream as an EventSource does (event, data, id, retry; comments)."""
        name, data, event_id = "", [], self.last_id
        while not self._halt.is_set():
            line = response.readline()
            at = time.monotonic()
            if not line:
                return  # the stream ended
            got.first_bytes = got.first_bytes or at
            line = line.decode().rstrip("\r\n")
            if line:
                field_name, _sep, value = line.partition(":")
                value = value.removeprefix(" ")
                if field_name == "event":
                    name = value
                elif field_name == "data":
                    data.append(value)
                elif field_name == "id":
                    event_id = value
                elif field_name == "retry" and value.isdigit():
                    self.retry_ms, got.hinted = int(value), True
                continue
            self.last_id = event_id
            if data:
                got.first_event = got.first_event or at
                self._dispatch(name or "message", "\n".join(data), got)
            name, data = "", []

    def _dispatch(self, name: str, data: str, got: Connection) -> None:
        if name == "chunk":
            chunk = json.loads(data)
            self.chunks.append((chunk["attempt"], chunk["seq"], chunk["text"]))
        elif name == "status" and json.loads(data).get("reset") and self.chunks:
            # (a first stream, or one resumed from a pending job's cursor 0.0, starts with a
            # reset too: nothing shown is thrown away then)
            self.resets += 1
        elif name == "done":
            got.done = self.done = True


# ---------------------------------------------------------------------------------- jobs


def job_tokens(name: str, count: int) -> list[str]:
    """A brainstorm answer as explicit tokens: IDEAS ideas whose bodies are markers t00001 …"""
    per_idea = max(1, count // IDEAS)
    tokens = ['{"ideas":[']
    for idea in range(IDEAS):
        tokens += [", " if idea else "", f'{{"title":"Soak {name} {idea + 1}","body":"']
        start = idea * per_idea
        tokens += [f"t{index:05d} " for index in range(start + 1, start + per_idea + 1)]
        tokens.append('"}')
    tokens.append("]}")
    return [t for t in tokens if t]


@dataclass
class Job:
    """One job of the soak: its script, its client and, once checked, its accounting."""

    name: str
    tokens: list[str]
    transform_id: int = 0
    client: Client | None = None
    status: str = ""
    received: int = 0
    lost: int = 0
    repeated: int = 0
    wrong: int = 0
    notes: list[str] = field(default_factory=list)


def stored_chunks(database: Database, transform_id: int) -> tuple[int, list[tuple[int, str]]]:
    """The job's current attempt and that attempt's chunks (seq, text) in order."""
    with database.engine().connect() as connection:
        attempt = connection.execute(
            text("SELECT attempt FROM transforms WHERE id = :t"), {"t": transform_id}
        ).scalar_one()
        rows = connection.execute(
            text(
                "SELECT seq, text FROM transform_chunks"
                " WHERE transform_id = :t AND attempt = :a ORDER BY seq"
            ),
            {"t": transform_id, "a": attempt},
        ).all()
    return attempt, [(seq, body) for seq, body in rows]


def check(job: Job, database: Database) -> None:
    """Compare what the client assembled with the database and with what the model sent."""
    assert job.client is not None
    attempt, stored = stored_chunks(database, job.transform_id)
    got = [(seq, body) for a, seq, body in job.client.chunks if a == attempt]
    job.received = len(job.client.chunks)
    seen = [seq for seq, _body in got]
    job.repeated = len(seen) - len(set(seen))
    by_seq = dict(stored)
    job.lost = len(set(by_seq) - set(seen))
    job.wrong = sum(1 for seq, body in got if by_seq.get(seq) != body)
    firsts = list(dict.fromkeys(seen))  # repeats aside, the seqs must only go up
    job.wrong += sum(1 for before, after in zip(firsts, firsts[1:], strict=False) if after < before)
    if "".join(body for _seq, body in stored) != "".join(job.tokens):
        job.notes.append(f"{job.name}: the stored text differs from what the model sent")
    if attempt != 1 or job.client.resets:
        job.notes.append(f"{job.name}: {attempt} attempts, {job.client.resets} resets seen")


class Provider:
    """The fake provider's control API."""

    def __init__(self, url: str) -> None:
        """Talk to the provider at ``url``."""
        self.url = url
        self.http = httpx2.Client(base_url=url, timeout=30)

    def script(self, job: Job, delay_ms: float) -> None:
        """Register the job's tokens at the soak's pace."""
        body = {"name": job.name, "tokens": job.tokens, "delay_ms": delay_ms}
        self.http.post("/_control/scripts", json=body).raise_for_status()

    def active(self) -> int:
        """Chat responses being written right now."""
        return int(self.http.get("/_control/active").json())

    def forget(self, job: Job) -> None:
        """Drop the job's request and send logs (a long soak would pile them up)."""
        for path in ("/_control/sent", "/_control/requests"):
            self.http.delete(path, params={"script": job.name})


# ---------------------------------------------------------------------------------- soak


@dataclass
class Result:
    """One database's soak."""

    database: str
    seconds: float = 0.0
    jobs: list[Job] = field(default_factory=list)
    streaming: list[int] = field(default_factory=list)  # jobs at the model, sampled each second
    problems: list[str] = field(default_factory=list)

    @property
    def reconnects(self) -> list[Reconnect]:
        """Every resumption of every client."""
        return [r for job in self.jobs if job.client for r in job.client.reconnects]

    def total(self, name: str) -> int:
        """A count summed over the jobs (an attribute of Job or of its client)."""
        return sum(
            getattr(job, name) if hasattr(job, name) else getattr(job.client, name)
            for job in self.jobs
            if job.client is not None
        )


class Soak:
    """Keeps `jobs` jobs running with a client each, checking each as it completes."""

    def __init__(
        self, base_url: str, token: str, provider: Provider, db: Database, args: argparse.Namespace
    ) -> None:
        """The app at ``base_url``, used with the API token ``token``."""
        self.base_url, self.token, self.provider = base_url, token, provider
        self.db, self.args = db, args
        self.http = httpx2.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self.rng = random.Random(13)
        self.count = 0

    def start(self, seconds_left: float, result: Result) -> Job:
        """Start one job over the API (in a project of its own) and its client."""
        self.count += 1
        length = self.args.job_seconds * self.rng.uniform(0.6, 1.4)
        length = min(length, seconds_left)
        name = f"{result.database[:2]}{self.count}"
        job = Job(name, job_tokens(name, max(IDEAS, int(length * 1000 / self.args.delay_ms))))
        self.provider.script(job, self.args.delay_ms)
        project = self.http.post("/api/projects", json={"name": f"Soak {name}"})
        project.raise_for_status()
        params = {
            "platform": "douyin",
            "genrePaths": [GENRE],
            "genreProportions": [100],
            "requirements": f"[[script:{name}]]",
            "numIdeas": IDEAS,
        }
        body = {"projectId": project.json()["projectId"], "params": params}
        started = self.http.post("/api/brainstorm/start", json=body)
        if started.status_code != 202:
            raise RuntimeError(f"start answered {started.status_code}: {started.text}")
        job.transform_id = started.json()["transformId"]
        job.client = Client(self.base_url, self.token, job.transform_id)
        job.client.start()
        result.jobs.append(job)
        return job

    def finish(self, job: Job) -> None:
        """Once its client saw `done`: the job's final state, then the accounting."""
        state = wait_until(
            lambda: (
                (s := self.http.get(f"/api/jobs/{job.transform_id}").json())["status"]
                in ("completed", "failed", "cancelled")
                and s
            ),
            30,
            f"job {job.transform_id} to finish",
        )
        job.status = state["status"]
        if job.status != "completed":
            job.notes.append(f"{job.name}: ended {job.status}: {state['error']}")
        check(job, self.db)
        assert job.client is not None
        job.notes += [f"{job.name}: {e}" for e in sorted(set(job.client.errors))]
        self.provider.forget(job)

    def run(self, result: Result) -> None:
        """The soak: fill to `jobs`, replace each that completes, until the time is up; then
        let the running ones end (the last were started short enough to end about then)."""
        began = time.monotonic()
        deadline = began + self.args.minutes * 60
        running: list[Job] = []
        next_sample = began + 1
        while True:
            now = time.monotonic()
            for job in [j for j in running if j.client and not j.client.is_alive()]:
                running.remove(job)
                self.finish(job)
            filling = len(result.jobs) < self.args.jobs
            left = deadline - now
            if len(running) < self.args.jobs and left >= SHORTEST_JOB_SECONDS:
                running.append(self.start(left, result))
                if filling:
                    time.sleep(self.args.stagger)  # the first streams do not all start at once
                continue
            if now >= deadline and not running:
                break
            if now >= deadline + self.args.job_seconds * 1.4 + 120:
                for job in running:
                    job.notes.append(f"{job.name}: its client had not seen done at the end")
                    if job.client:
                        job.client.stop()
                break
            if now >= next_sample and left >= SHORTEST_JOB_SECONDS:
                result.streaming.append(self.provider.active())
                next_sample = now + 1
            time.sleep(0.1)
        result.seconds = time.monotonic() - began
        self.http.close()


def soak(database: str, provider: Provider, args: argparse.Namespace) -> Result:
    """One soak on a fresh database."""
    db = prepare_database(database)
    flush_redis()
    result = Result(database)
    web, worker = None, None
    try:
        db.hold()  # the benchmark's own connection, before the app's pools take theirs
        env = app_env(db, provider.url, 0, free_port())  # WORKERS=0: the worker is ours
        env["STREAM_MAX_SECONDS"] = str(args.cut_seconds)
        web, base_url = start_app(env)
        worker_env = {**env, "JOB_CONCURRENCY": str(args.jobs + 4)}
        worker = Proc("worker", [PYTHON, str(ROOT / "worker.py")], worker_env, " ready: ")
        token = create_account(env)
        Soak(base_url, token, provider, db, args).run(result)
        for proc in (web, worker):
            if proc.counts:
                said = ", ".join(f"{n} × {phrase!r}" for phrase, n in proc.counts.items())
                result.problems.append(f"{proc.name} printed {said}")
        if result.problems:
            tail = "".join(p.output() for p in (web, worker)).rstrip().splitlines()[-30:]
            result.problems += ["  " + line for line in tail]
    finally:
        for proc in (worker, web):
            if proc is not None:
                proc.stop()
        db.cleanup()
    return result


# ---------------------------------------------------------------------------------- report


def ms(values: list[float], p: float) -> float:
    """The p-th percentile of durations in seconds, in milliseconds."""
    return percentile([v * 1000 for v in values], p)


def report(results: list[Result], args: argparse.Namespace, context: str) -> None:
    """Print the tables and the verdicts; record the issue's figures."""
    print("Soak: jobs streaming while the server cuts every live stream (STREAM_MAX_SECONDS)")
    print(
        f"  {args.jobs} jobs at all times for {args.minutes:g} min; streams cut every "
        f"{args.cut_seconds:g} s; jobs of ~{args.job_seconds:g} s (one token per "
        f"{args.delay_ms:g} ms); one EventSource-like client per job on "
        "GET /api/streaming/transform/<id>"
    )
    print(
        "  resume = reconnect request sent → first event of the new stream (after the server's "
        "retry wait); connected = → its first bytes; gap = old stream closed → first event"
    )
    print(f"  {context}")
    counts = Table(
        ["database", "minutes", "jobs", "completed", "cuts", "drops", "chunks", "lost", "repeated"]
        + ["wrong", "streaming min/mean"]
    )
    times = Table(
        ["database", "resumes", "resume p50 ms", "p95 ms", "max ms", "connected p95 ms"]
        + ["gap p50 ms", "gap p95 ms"]
    )
    for r in results:
        done = sum(1 for job in r.jobs if job.status == "completed")
        # jobs at the model once all were started (a second or two after the first fill)
        steady = r.streaming[int(args.jobs * args.stagger) + 2 :] or r.streaming
        streaming = f"{min(steady, default=0)}/{sum(steady) / max(1, len(steady)):.1f}"
        counts.add(
            r.database,
            round(r.seconds / 60, 1),
            len(r.jobs),
            done,
            r.total("cuts"),
            r.total("drops"),
            r.total("received"),
            r.total("lost"),
            r.total("repeated"),
            r.total("wrong"),
            streaming,
        )
        back = r.reconnects
        resume = [x.resumed - x.sent for x in back]
        connected = [x.connected - x.sent for x in back]
        gap = [x.resumed - x.closed for x in back]
        times.add(
            r.database,
            len(back),
            ms(resume, 50),
            ms(resume, 95),
            ms(resume, 100),
            ms(connected, 95),
            ms(gap, 50),
            ms(gap, 95),
        )
    print(counts.render())
    print(times.render())
    for r in results:
        lost, repeated, wrong = r.total("lost"), r.total("repeated"), r.total("wrong")
        resume = [x.resumed - x.sent for x in r.reconnects]
        p50, p95 = ms(resume, 50), ms(resume, 95)
        whole = lost == 0 and repeated == 0 and wrong == 0
        fast = p95 <= TARGET_RESUME_P95_MS
        print(
            f"{r.database}: {lost} lost, {repeated} repeated, {wrong} wrong of "
            f"{r.total('received')} chunks over {r.total('cuts')} cuts — "
            f"{'meets' if whole else 'MISSES'} the target (0 lost, 0 repeated); resume p95 "
            f"{p95:.1f} ms — {'meets' if fast else 'MISSES'} the target "
            f"(≤ {TARGET_RESUME_P95_MS:g} ms)"
        )
        extra = {"minutes": args.minutes, "jobs": len(r.jobs), "cuts": r.total("cuts")}
        where = {"database": r.database, **extra}
        record("S", "lost chunks", lost, "chunks", target="0", met=lost == 0, **where)
        record("S", "repeated chunks", repeated, "chunks", target="0", met=repeated == 0, **where)
        record("S", "resume p50", p50, "ms", **where)
        target = f"≤ {TARGET_RESUME_P95_MS:g} ms"
        record("S", "resume p95", p95, "ms", target=target, met=fast, **where)
        notes = [n for job in r.jobs for n in job.notes] + r.problems
        for note in notes[:20]:
            print(f"  {r.database}: {note}")
        if len(notes) > 20:
            print(f"  {r.database}: … {len(notes) - 20} more")


def main() -> None:
    """Parse the knobs, soak each database, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--minutes", type=float, default=15.0, help="how long jobs are started")
    parser.add_argument("--jobs", type=int, default=20, help="jobs running at all times")
    parser.add_argument("--cut-seconds", type=float, help="STREAM_MAX_SECONDS (default 60)")
    parser.add_argument("--job-seconds", type=float, help="a job's mean length (3 × the cut)")
    parser.add_argument("--delay-ms", type=float, default=100.0, help="model's pace per token")
    parser.add_argument("--quick", action="store_true", help="1.5 minutes, cuts every 20 s")
    args = parser.parse_args()
    if args.quick:
        args.minutes = 1.5
        args.cut_seconds = args.cut_seconds or 20.0
        args.job_seconds = args.job_seconds or 45.0
    args.cut_seconds = args.cut_seconds or 60.0
    args.job_seconds = args.job_seconds or 3 * args.cut_seconds
    args.stagger = min(0.5, args.cut_seconds / args.jobs / 4)  # between the first starts
    install_cleanup()
    context, load_before = machine(), load()
    provider_proc, provider_url = start_provider()
    provider = Provider(provider_url)
    results = []
    try:
        for database in databases(args.database):
            results.append(soak(database, provider, args))
    finally:
        provider.http.close()
        provider_proc.stop()
    report(results, args, f"{context}; load average {load_before} before, {load()} after")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
