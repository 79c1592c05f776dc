"""Stream latency: a token leaving the model server to its receipt by SSE viewers.

    .venv/bin/python bench/stream_latency.py [--database auto|sqlite|postgres|both]
        [--jobs 20] [--concurrency N] [--workers 1] [--viewers 3] [--tokens 300]
        [--profile DIR [--profile-gil]] [--gevent-monitor MS] [--quick]

The durable path: `python app.py` (the web process, WORKERS=0) and `--workers` processes of
`python worker.py`, each with JOB_CONCURRENCY=`--concurrency` (default: enough for every job
in one process). `--jobs` brainstorm jobs are started over the JSON API; each is watched by
`--viewers` clients of GET /api/streaming/transform/<id>. The fake provider streams each job's
tokens at one per `--delay-ms` (10 ms: 100 tokens/s), held at the first token until every
viewer listens. The reference, in the same run: a proxy with no persistence (one upstream
request per job with the openai client, each delta relayed to that job's viewers).

Printed for every run, beside the reference and the target:
- latency of each received chunk (receipt − the provider's send time of its last token), and
  the durable path's added p50 / p99 over the direct proxy's;
- where the time goes: token → row (the chunk row's created_at, set as the worker's group
  commit that writes it begins, − the send time of its last token), row → publish (the
  PUBLISH as seen by a Redis subscriber in this process − created_at: the rest of that
  transaction, its commit, the publish round trip), publish → client (receipt − that);
- PSS of the worker processes while the jobs run (peak of /proc/<pid>/smaps_rollup, summed);
- CPU seconds of worker + web processes (/proc/<pid>/stat utime + stime, children included)
  per token delivered to one viewer, against the direct proxy's CPU per token delivered.

A reference whose own p99 exceeds 100 ms fell behind the load (the machine cannot carry
it): no verdict on the added latency is given then, only the absolute figures. The processes'
warnings that matter (a refused or retried database write, a traceback) are counted and
printed, and so are the PostgreSQL connections to the benchmark's database.

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Redis db 2 (BENCH_REDIS_URL). `--profile DIR` runs
py-spy (pip install py-spy) on the web and worker processes through the timed rounds and
writes collapsed stacks there (`--profile-gil`: only the thread holding the GIL); profiled
figures are perturbed, so take figures from runs without it. `--gevent-monitor MS` runs
gevent's monitor thread in the web process and counts the times its hub was blocked longer
than MS. `--quick`: 100 tokens per job instead of 300 (bench/suite.py --quick).

Every run records (bench/common.py record) its added p50 and p99 as figure M1 and its CPU
per token as M7, with the jobs count: the suite draws its curve from them; the issue's
targets apply at 20 jobs × 3 viewers × 100 tokens/s."""

from __future__ import annotations

import argparse
import json
import math
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2
from common import (
    PYTHON,
    ROOT,
    Database,
    Proc,
    Sampler,
    Summary,
    Table,
    add_database_option,
    app_env,
    cpu_seconds,
    create_account,
    create_projects,
    databases,
    flush_redis,
    free_port,
    install_cleanup,
    load,
    machine,
    machine_cpu,
    prepare_database,
    processes_named,
    record,
    redis_client,
    start_app,
    start_provider,
    wait_until,
)
from sqlalchemy import text

# The issue's targets: added latency over the direct proxy, worker memory, CPU per token.
TARGET_ADDED_P50_MS, TARGET_ADDED_P99_MS = 5.0, 25.0  # 20 jobs × 100 tokens/s × 3 viewers
TARGET_ADDED_P99_MANY_MS = 100.0  # 100 concurrent jobs in one worker process
MANY_JOBS = 100
ISSUE_JOBS, ISSUE_VIEWERS, ISSUE_DELAY_MS = 20, 3, 10.0  # the load the M1 and M7 targets are for
TARGET_PSS_MB = 400.0  # all worker processes, 100 jobs running
TARGET_CPU_RATIO = 3.0  # worker + web CPU per token delivered, over the direct proxy's
# A reference slower than this at p99 fell behind the load itself (the machine cannot carry
# it): an "added" latency over it means nothing, and no verdict is given.
REFERENCE_SANE_P99_MS = 100.0
GENRE = ["女频", "爱情", "甜宠"]
QUICK = {"tokens": 100, "warmup_tokens": 20}  # --quick: one-second rounds


# ---------------------------------------------------------------------------------- viewers


@dataclass
class Viewer:
    """One SSE client: a raw socket whose events are stamped with time.time() at receipt."""

    job: int  # index of the job it watches
    host: str
    port: int
    path: str
    headers: dict[str, str]
    events: list[tuple[float, str, str]] = field(default_factory=list)
    finished: bool = False
    error: str | None = None
    _raw: bytearray = field(default_factory=bytearray)
    _body: bytearray = field(default_factory=bytearray)
    _head: bool = False
    _chunked: bool = False
    _chunk_left: int = 0
    _crlf: bool = False
    sock: socket.socket | None = None

    def connect(self) -> None:
        """Open the connection and send the request."""
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in {"Accept": "text/event-stream", **self.headers}.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.sock.setblocking(False)

    @property
    def ready(self) -> bool:
        """Whether the stream has sent its first event (it is subscribed)."""
        return bool(self.events) or self.finished

    def feed(self, data: bytes, at: float) -> None:
        """Take bytes received at ``at``: HTTP head, chunked framing, then SSE events."""
        self._raw += data
        if not self._head:
            end = self._raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._raw[:end].decode("latin-1").lower()
            del self._raw[: end + 4]
            self._head = True
            if not head.startswith("http/1.1 200") or "text/event-stream" not in head:
                self.error, self.finished = f"not an event stream: {head.splitlines()[0]}", True
                return
            self._chunked = "transfer-encoding: chunked" in head
        if self._chunked:
            self._dechunk()
        else:
            self._body += self._raw
            self._raw.clear()
        while (end := self._body.find(b"\n\n")) >= 0:
            block = self._body[:end].decode()
            del self._body[: end + 2]
            self._event(block, at)

    def _dechunk(self) -> None:
        while self._raw and not self.finished:
            if self._crlf:
                if len(self._raw) < 2:
                    return
                del self._raw[:2]
                self._crlf = False
            elif self._chunk_left == 0:
                line_end = self._raw.find(b"\r\n")
                if line_end < 0:
                    return
                size = int(bytes(self._raw[:line_end]).split(b";")[0], 16)
                del self._raw[: line_end + 2]
                if size == 0:
                    self.finished = True
                self._chunk_left = size
            else:
                take = min(self._chunk_left, len(self._raw))
                self._body += self._raw[:take]
                del self._raw[:take]
                self._chunk_left -= take
                self._crlf = self._chunk_left == 0

    def _event(self, block: str, at: float) -> None:
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                continue
            key, _sep, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data:
            self.events.append((at, name, "\n".join(data)))
            if name == "done":
                self.finished = True


class Receiver(threading.Thread):
    """Reads every viewer's socket in one thread (select), stamping each read."""

    def __init__(self, viewers: list[Viewer]) -> None:
        """Connect the viewers; run() then reads until all streams end or stop() is called."""
        super().__init__(daemon=True, name="receiver")
        self.viewers = viewers
        self._halt = threading.Event()
        for viewer in viewers:
            viewer.connect()

    def run(self) -> None:
        """The receive loop."""
        selector = selectors.DefaultSelector()
        for viewer in self.viewers:
            assert viewer.sock is not None
            selector.register(viewer.sock, selectors.EVENT_READ, viewer)
        open_streams = len(self.viewers)
        while open_streams and not self._halt.is_set():
            for key, _mask in selector.select(timeout=0.2):
                viewer: Viewer = key.data
                try:
                    data = viewer.sock.recv(262144)  # type: ignore[union-attr]
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as error:
                    viewer.error, data = str(error), b""
                at = time.time()
                if data:
                    viewer.feed(data, at)
                if not data or viewer.finished:
                    viewer.finished = True
                    selector.unregister(key.fileobj)
                    open_streams -= 1
        selector.close()
        for viewer in self.viewers:
            if viewer.sock is not None:
                viewer.sock.close()

    def stop(self) -> None:
        """End the loop early."""
        self._halt.set()

    def all(self, check: Callable[[Viewer], bool]) -> bool:
        """Whether every viewer passes check."""
        return all(check(viewer) for viewer in self.viewers)


# ---------------------------------------------------------------------------------- jobs


def job_tokens(name: str, count: int) -> list[str]:
    """A brainstorm answer as explicit tokens; the body's tokens are markers t0001, t0002 …"""
    body = [f"t{index:04d} " for index in range(1, count + 1)]
    return ['{"ideas":[{"title":"', f"Bench {name}", '","body":"', *body, '"}]}']


@dataclass
class Job:
    """One streamed job: its script, tokens, send times and what its viewers received."""

    name: str
    tokens: list[str]
    transform_id: int | None = None
    sent_at: list[float] = field(default_factory=list)
    chunk_rows: int = 0
    attempt: int = 1  # the attempt whose stream is measured (the last one)
    inserted: dict[int, float] = field(default_factory=dict)  # chunk seq → row's created_at
    notes: list[str] = field(default_factory=list)


@dataclass
class Usage:
    """What the processes of one path spent during a timed round (release → last event)."""

    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # group → CPU seconds
    machine_busy: float = 0.0  # CPU seconds the whole machine was busy (all processes)
    connections: int = 0  # peak connections to the PostgreSQL database (pg_stat_activity)
    pss_mb: dict[str, float] = field(default_factory=dict)  # group → peak PSS, MB

    def add(self, other: Usage) -> None:
        """Sum CPU and wall time; keep the larger peak."""
        self.wall += other.wall
        self.machine_busy += other.machine_busy
        self.connections = max(self.connections, other.connections)
        for name, seconds in other.cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + seconds
        for name, mb in other.pss_mb.items():
            self.pss_mb[name] = max(self.pss_mb.get(name, 0.0), mb)


class Meter:
    """CPU of groups of processes over a round, and the peak PSS of some of them."""

    def __init__(
        self,
        groups: dict[str, Callable[[], list[int]]],
        pss: dict[str, Callable[[], list[int]]],
        connections: Callable[[], int] | None = None,
    ) -> None:
        """``groups``: name → the pids whose CPU counts; ``pss``: name → pids sampled;
        ``connections``: how many database connections there are now."""
        self.groups, self.pss, self.connections = groups, pss, connections
        self.connection_sampler: Sampler | None = None
        self.samplers: dict[str, Sampler] = {}
        self.usage = Usage()
        self._cpu0: dict[str, float] = {}
        self._t0 = 0.0

    def _cpu(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in pids()) for name, pids in self.groups.items()}

    def start(self) -> None:
        """Take the first reading and start sampling PSS."""
        self.samplers = {name: Sampler(pids) for name, pids in self.pss.items()}
        for sampler in self.samplers.values():
            sampler.start()
        if self.connections is not None:
            self.connection_sampler = Sampler(measure=self.connections)
            self.connection_sampler.start()
        self._cpu0, self._t0 = self._cpu(), time.monotonic()
        self._machine0 = machine_cpu()[0]

    def stop(self) -> Usage:
        """Take the last reading; what was spent in between."""
        cpu1, wall = self._cpu(), time.monotonic() - self._t0
        machine_busy = machine_cpu()[0] - self._machine0
        for sampler in self.samplers.values():
            sampler.stop()
        if self.connection_sampler is not None:
            self.connection_sampler.stop()
        self.usage = Usage(
            wall=wall,
            # (a machine-wide group loses what its exited processes spent: never below 0)
            cpu={name: max(0.0, cpu1[name] - self._cpu0.get(name, 0.0)) for name in cpu1},
            pss_mb={name: sampler.peak_mb for name, sampler in self.samplers.items()},
            machine_busy=machine_busy,
            connections=self.connection_sampler.peak if self.connection_sampler else 0,
        )
        return self.usage


class Profiler:
    """py-spy record on some processes from start() to stop() (collapsed stacks)."""

    def __init__(self, folder: Path | None, label: str, pids: dict[str, int], gil: bool) -> None:
        """Write ``folder``/``label``-NAME.txt for each named pid (nothing without a folder)."""
        self.folder, self.label, self.pids, self.gil = folder, label, pids, gil
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        """Start one py-spy per process."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        spy = str(Path(PYTHON).with_name("py-spy"))
        for name, pid in self.pids.items():
            out = self.folder / f"{self.label}-{name}.txt"
            args = [spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
            args += ["--nonblocking", "--output", str(out)]
            args += ["--gil"] if self.gil else []
            self.procs.append(
                subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        time.sleep(0.5)  # py-spy attaches

    def stop(self) -> None:
        """Stop recording (py-spy writes its file on SIGINT)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


class PublishLog(threading.Thread):
    """A Redis subscriber on every job channel: when each chunk's PUBLISH was seen."""

    def __init__(self) -> None:
        """Subscribe at once (before the streams are released)."""
        super().__init__(daemon=True, name="publish-log")
        self.client = redis_client()
        db_number = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(f"sw:{db_number}:job:*")
        self.seen: dict[tuple[int, int, int], float] = {}  # (job, attempt, seq) → time.time()
        self._halt = threading.Event()

    def run(self) -> None:
        """Stamp each message as it arrives."""
        while not self._halt.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message is None or message["type"] != "pmessage":
                continue
            at = time.time()
            payload = json.loads(message["data"])
            if payload.get("text"):
                key = (int(payload["job"]), int(payload["attempt"]), int(payload["seq"]))
                self.seen.setdefault(key, at)

    def stop(self) -> None:
        """Unsubscribe and close."""
        self._halt.set()
        self.join(5)
        self.pubsub.close()
        self.client.close()


@dataclass
class Sample:
    """Latencies of one path (seconds), its chunk accounting and what it cost."""

    last: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    events: int = 0
    tokens: int = 0
    delivered: int = 0  # tokens received, counted once per viewer
    rows: int = 0
    viewers: int = 0
    problems: list[str] = field(default_factory=list)
    to_row: list[float] = field(default_factory=list)  # last token sent → its row inserted
    to_publish: list[float] = field(default_factory=list)  # row inserted → publish seen
    to_client: list[float] = field(default_factory=list)  # publish seen → received
    usage: Usage = field(default_factory=Usage)

    def absorb(
        self,
        jobs: list[Job],
        viewers: list[Viewer],
        published: dict[tuple[int, int, int], float] | None = None,
    ) -> None:
        """Map each received chunk to the tokens it carries and add its latencies."""
        published = published or {}
        for job in jobs:
            self.tokens += len(job.tokens)
            self.rows += job.chunk_rows
            self.problems += job.notes
        for viewer in viewers:
            self.viewers += 1
            job = jobs[viewer.job]
            if viewer.error:
                self.problems.append(f"{job.name}: {viewer.error}")
                continue
            starts, ends, offset = {}, {}, 0
            for index, token in enumerate(job.tokens):
                starts[offset] = index
                offset += len(token)
                ends[offset] = index
            position = 0
            for at, name, data in viewer.events:
                if name == "status" and json.loads(data).get("reset"):
                    position = 0  # the text starts over (another attempt)
                if name != "chunk":
                    continue
                chunk = json.loads(data)
                if chunk["attempt"] != job.attempt:
                    continue  # an earlier attempt's text: its tokens were sent again later
                first = starts.get(position)
                position += len(chunk["text"])
                last = ends.get(position)
                if first is None or last is None:
                    self.problems.append(f"{job.name}: a chunk split a token")
                    break
                self.events += 1
                self.delivered += last - first + 1
                self.last.append(at - job.sent_at[last])
                self.first.append(at - job.sent_at[first])
                inserted = job.inserted.get(chunk["seq"])
                if inserted is not None:
                    self.to_row.append(inserted - job.sent_at[last])
                    seen = published.get((job.transform_id or 0, chunk["attempt"], chunk["seq"]))
                    if seen is not None:
                        self.to_publish.append(seen - inserted)
                        self.to_client.append(at - seen)
            if position != offset:
                self.problems.append(f"{job.name}: got {position} of {offset} characters")


class Provider:
    """The fake provider's control API."""

    def __init__(self, url: str, pid: int) -> None:
        """Talk to the provider at ``url`` (process ``pid``)."""
        self.url, self.pid = url, pid
        self.http = httpx2.Client(base_url=url, timeout=30)

    def script(self, job: Job, delay_ms: float) -> None:
        """Register the job's tokens, held before the first one until released."""
        body = {"name": job.name, "tokens": job.tokens, "delay_ms": delay_ms, "pause_at": 0}
        self.http.post("/_control/scripts", json=body).raise_for_status()

    def active(self) -> int:
        """Chat responses being written right now."""
        return self.http.get("/_control/active").json()

    def release(self, job: Job) -> None:
        """Let the job's tokens flow."""
        self.http.post(f"/_control/scripts/{job.name}/release").raise_for_status()

    def fetch_sent(self, job: Job) -> None:
        """Read when each token left the server, for the last request that sent them all."""
        sent = self.http.get("/_control/sent", params={"script": job.name}).json()
        requests: dict[int, dict[int, float]] = {}
        for entry in sent:
            requests.setdefault(entry["request"], {})[entry["index"]] = entry["at"]
        complete = [r for r, at in requests.items() if len(at) == len(job.tokens)]
        if not complete:
            raise RuntimeError(f"{job.name}: no model request sent every token")
        if len(requests) > 1:
            job.notes.append(f"{job.name}: {len(requests)} model requests sent tokens")
        at = requests[max(complete)]
        job.sent_at = [at[index] for index in range(len(job.tokens))]

    def reset(self) -> None:
        """Forget scripts and logs."""
        for path in ("/_control/scripts", "/_control/requests", "/_control/sent"):
            self.http.delete(path)


def stream_round(
    provider: Provider,
    jobs: list[Job],
    viewers: list[Viewer],
    delay_ms: float,
    meter: Meter,
    profiler: Profiler | None = None,
    log: PublishLog | None = None,
) -> Usage:
    """Hold every stream at its first token until all viewers listen, release, receive all;
    measure the processes from the release to the last event."""
    receiver = Receiver(viewers)
    receiver.start()
    try:
        wait_until(lambda: provider.active() == len(jobs), 120, "every job to reach the model")
        wait_until(lambda: receiver.all(lambda v: v.ready), 60, "every viewer to subscribe")
        if log is not None:
            log.start()
        if profiler is not None:
            profiler.start()
        meter.start()
        for job in jobs:
            provider.release(job)
        longest = max(len(job.tokens) for job in jobs) * delay_ms / 1000
        receiver.join(longest * 10 + 120)
        usage = meter.stop()
        if profiler is not None:
            profiler.stop()
        if receiver.is_alive():
            raise TimeoutError("the streams did not end")
    finally:
        receiver.stop()
        receiver.join(5)
        if log is not None and log.is_alive():
            log.stop()
    for job in jobs:
        provider.fetch_sent(job)
    return usage


@dataclass
class App:
    """The durable path's processes."""

    web: Proc
    base_url: str
    workers: list[Proc]
    provider: Provider
    database: Database

    def worker_pids(self) -> list[int]:
        """The worker processes (and anything they started)."""
        return [w.proc.pid for w in self.workers if w.proc.poll() is None]

    def meter(self) -> Meter:
        """CPU of web, workers, provider and the machine's database servers; PSS of the
        workers and of the web process."""
        groups: dict[str, Callable[[], list[int]]] = {
            "web": lambda: [self.web.proc.pid],
            "workers": self.worker_pids,
            "provider": lambda: [self.provider.pid],
            "redis (machine)": lambda: processes_named("redis-server"),
            "postgres (machine)": lambda: processes_named("postgres"),
        }
        pss = {"workers": self.worker_pids, "web": lambda: [self.web.proc.pid]}
        return Meter(groups, pss, self.database.connections)


def durable_round(
    app: App,
    token: str,
    projects: list[int],
    label: str,
    args: argparse.Namespace,
    tokens: int,
    database: Database,
    timed: bool,
) -> Sample:
    """One round through the app: jobs started over the API, viewed on the JSON stream."""
    provider = app.provider
    jobs = [Job(f"{label}-{i}", job_tokens(f"{label}-{i}", tokens)) for i in range(args.jobs)]
    for job in jobs:
        provider.script(job, args.delay_ms)
    bearer = {"Authorization": f"Bearer {token}"}
    http = httpx2.Client(base_url=app.base_url, headers=bearer, timeout=30)
    host, port = urlsplit(app.base_url).hostname or "", urlsplit(app.base_url).port or 80
    viewers: list[Viewer] = []
    for index, (job, project) in enumerate(zip(jobs, projects, strict=False)):
        params = {
            "platform": "douyin",
            "genrePaths": [GENRE],
            "genreProportions": [100],
            "requirements": f"[[script:{job.name}]]",
            "numIdeas": 1,
        }
        started = http.post("/api/brainstorm/start", json={"projectId": project, "params": params})
        if started.status_code != 202:
            raise RuntimeError(f"start answered {started.status_code}: {started.text}")
        job.transform_id = started.json()["transformId"]
        path = f"/api/streaming/transform/{job.transform_id}"
        viewers += [Viewer(index, host, port, path, bearer) for _ in range(args.viewers)]
    log = PublishLog()
    profiler = None
    if timed and args.profile:
        pids = {"web": app.web.proc.pid}
        pids.update({f"worker{i}": pid for i, pid in enumerate(app.worker_pids())})
        profiler = Profiler(
            Path(args.profile), f"{database.kind}-{args.jobs}jobs", pids, args.profile_gil
        )
    try:
        usage = stream_round(provider, jobs, viewers, args.delay_ms, app.meter(), profiler, log)
        for job in jobs:
            state = wait_until(
                lambda job=job: (
                    (s := http.get(f"/api/jobs/{job.transform_id}").json())["status"]
                    in ("completed", "failed", "cancelled")
                    and s
                ),
                30,
                "the jobs to finish",
            )
            if state["status"] != "completed":
                job.notes.append(f"{job.name}: ended {state['status']}: {state['error']}")
            if state["attempt"] != 1:
                job.notes.append(
                    f"{job.name}: ran {state['attempt']} attempts (retries {state['retryCount']})"
                )
            job.attempt = state["attempt"]
            job.inserted = chunk_times(database, job.transform_id, job.attempt)
            job.chunk_rows = len(job.inserted)
    finally:
        http.close()
        if log.is_alive():
            log.stop()
    sample = Sample(usage=usage)
    sample.absorb(jobs, viewers, log.seen)
    return sample


def chunk_times(database: Database, transform_id: int, attempt: int) -> dict[int, float]:
    """When each chunk row of the attempt was written (created_at: its transaction's start)."""
    query = text(
        "SELECT seq, created_at FROM transform_chunks WHERE transform_id = :t AND attempt = :a"
    )
    with database.engine().connect() as connection:
        rows = connection.execute(query, {"t": transform_id, "a": attempt}).all()
    times = {}
    for seq, created in rows:
        moment = datetime.fromisoformat(created) if isinstance(created, str) else created
        times[seq] = moment.replace(tzinfo=UTC).timestamp()  # stored as naive UTC
    return times


def direct_round(
    provider: Provider,
    proxy: Proc,
    label: str,
    args: argparse.Namespace,
    tokens: int,
) -> Sample:
    """One round through the direct proxy: each job's stream fanned out to its viewers."""
    direct_url = proxy.ready_line.split()[1]
    jobs = [Job(f"{label}-{i}", job_tokens(f"{label}-{i}", tokens)) for i in range(args.jobs)]
    for job in jobs:
        provider.script(job, args.delay_ms)
    host, port = urlsplit(direct_url).hostname or "", urlsplit(direct_url).port or 80
    viewers = [
        Viewer(index, host, port, f"/stream/{job.name}", {})
        for index, job in enumerate(jobs)
        for _ in range(args.viewers)
    ]
    meter = Meter(
        {"proxy": lambda: [proxy.proc.pid], "provider": lambda: [provider.pid]},
        {"proxy": lambda: [proxy.proc.pid]},
    )
    usage = stream_round(provider, jobs, viewers, args.delay_ms, meter)
    for job in jobs:
        job.chunk_rows = 0  # nothing is stored
    sample = Sample(usage=usage)
    sample.absorb(jobs, viewers)
    return sample


# ---------------------------------------------------------------------------------- direct


class Relay:
    """One upstream model stream, relayed as each delta arrives to every viewer that joined."""

    def __init__(self, name: str, base_url: str) -> None:
        """A relay of the script ``name`` from the provider at ``base_url``."""
        self.name, self.base_url = name, base_url
        self.lock = threading.Lock()
        self.outputs: list[Any] = []
        self.done = threading.Event()
        self.started = False

    def join(self, output: Any) -> None:
        """Add a viewer's output; the first one starts the upstream request."""
        with self.lock:
            self.outputs.append(output)
            start, self.started = not self.started, True
        if start:
            threading.Thread(target=self._pump, daemon=True, name=f"up-{self.name}").start()

    def _send(self, payload: bytes) -> None:
        frame = b"%x\r\n%s\r\n" % (len(payload), payload) if payload else b"0\r\n\r\n"
        with self.lock:
            outputs = list(self.outputs)
        for output in outputs:
            try:
                output.write(frame)
            except OSError:
                pass

    def _pump(self) -> None:
        import openai

        client = openai.OpenAI(base_url=self.base_url + "/v1", api_key="bench", max_retries=0)
        seq = 0
        try:
            messages = [{"role": "user", "content": f"[[script:{self.name}]]"}]
            stream = client.chat.completions.create(
                model="fake-model",
                messages=messages,  # type: ignore[arg-type]
                stream=True,
            )
            for chunk in stream:
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        seq += 1
                        data = {"seq": seq, "attempt": 1, "text": choice.delta.content}
                        self._send(sse(json.dumps(data, ensure_ascii=False), "chunk"))
            self._send(sse('{"status": "completed"}', "done"))
        finally:
            self._send(b"")
            self.done.set()
            client.close()


def sse(data: str, event: str) -> bytes:
    """One server-sent event (single-line data)."""
    return f"event: {event}\ndata: {data}\n\n".encode()


class DirectServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the relays by script name."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, provider_url: str) -> None:
        """Listen on ``port`` and relay from ``provider_url``."""
        self.provider_url = provider_url
        self.relays: dict[str, Relay] = {}
        self.relays_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), DirectHandler)

    def relay(self, name: str) -> Relay:
        """The relay of one script, created by its first viewer."""
        with self.relays_lock:
            if name not in self.relays:
                self.relays[name] = Relay(name, self.provider_url)
            return self.relays[name]


class DirectHandler(BaseHTTPRequestHandler):
    """GET /stream/NAME: an SSE stream of the model's deltas, no persistence at all."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: DirectServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def do_GET(self) -> None:
        """Join the stream's relay and hold the connection until it ends."""
        path = urlsplit(self.path).path
        if not path.startswith("/stream/"):
            self.send_error(404)
            return
        relay = self.server.relay(unquote(path.removeprefix("/stream/")))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        hello = sse('{"status": "running"}', "status")
        self.wfile.write(b"%x\r\n%s\r\n" % (len(hello), hello))
        relay.join(self.wfile)
        relay.done.wait()
        self.close_connection = True


def serve_direct(provider_url: str) -> None:
    """The direct proxy's process: print READY url, serve until terminated."""
    server = DirectServer(0, provider_url)
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.2)


# ---------------------------------------------------------------------------------- main


@dataclass
class Result:
    """One database's figures: the durable path and its direct reference."""

    database: str
    durable: Sample
    direct: Sample
    app_log: str = ""  # the app's last output lines, kept when a stream failed


def merge(samples: list[Sample]) -> Sample:
    """Several rounds as one sample."""
    total = Sample()
    for s in samples:
        total.last += s.last
        total.first += s.first
        total.events += s.events
        total.tokens += s.tokens
        total.delivered += s.delivered
        total.rows += s.rows
        total.viewers += s.viewers
        total.problems += s.problems
        total.to_row += s.to_row
        total.to_publish += s.to_publish
        total.to_client += s.to_client
        total.usage.add(s.usage)
    return total


def worker_env(env: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """The worker processes' settings."""
    return {
        **env,
        "JOB_CONCURRENCY": str(args.concurrency),
        "LONG_JOB_CONCURRENCY": str(args.long_concurrency),
    }


def measure(database: str, provider: Provider, args: argparse.Namespace) -> Result:
    """The durable rounds on a fresh database, then the direct rounds."""
    db = prepare_database(database)
    flush_redis()
    web, workers = None, []
    rounds = [("warm", args.warmup_tokens)] * args.warmup + [("run", args.tokens)] * args.runs
    try:
        db.hold()  # the benchmark's own connection, before the app's pools take theirs
        env = app_env(db, provider.url, 0, free_port())  # WORKERS=0: the workers are ours
        web_env = dict(env)
        if args.gevent_monitor:  # gevent reads its config from the environment
            web_env.update(
                GEVENT_MONITOR_THREAD_ENABLE="true",
                GEVENT_MAX_BLOCKING_TIME=str(args.gevent_monitor / 1000),
            )
        web, base_url = start_app(web_env)
        for index in range(args.workers):
            workers.append(
                Proc(
                    f"worker{index}",
                    [PYTHON, str(ROOT / "worker.py")],
                    worker_env(env, args),
                    " ready: ",
                )
            )
        app = App(web, base_url, workers, provider, db)
        token = create_account(env)
        projects = create_projects(base_url, token, args.jobs * len(rounds))
        durable = []
        for number, (kind, tokens) in enumerate(rounds):
            mine = projects[number * args.jobs : (number + 1) * args.jobs]
            label = f"{database[:2]}{number}"
            sample = durable_round(app, token, mine, label, args, tokens, db, kind == "run")
            if kind == "run":
                durable.append(sample)
            provider.reset()
        for proc in [web, *workers]:
            said = {k: v for k, v in proc.counts.items() if k != "appears to be blocked"}
            if said and durable:
                counted = ", ".join(f"{n} × {phrase!r}" for phrase, n in said.items())
                durable[-1].problems.append(
                    f"{proc.name} printed {counted} (the database's max_connections is "
                    f"{db.max_connections() or '-'})"
                )
        if args.gevent_monitor and durable:
            blocked = web.counts.get("appears to be blocked", 0)
            durable[-1].problems.append(
                f"web: gevent's monitor reported the hub blocked > {args.gevent_monitor:g} ms "
                f"{blocked} times (warm-up and timed rounds; its output lines are in the app log)"
            )
        problems = any(s.problems for s in durable)
        app_log = "".join(p.output() for p in [web, *workers]) if problems else ""
        if args.app_log:
            Path(args.app_log).write_text("".join(p.output() for p in [web, *workers]))
    finally:
        for proc in [*workers, web]:
            if proc is not None:
                proc.stop()
        db.cleanup()
    proxy = Proc(
        "direct",
        [PYTHON, str(ROOT / "bench" / "stream_latency.py"), "--serve-direct", provider.url],
        {},
        "READY",
    )
    try:
        direct = []
        for number, (kind, tokens) in enumerate(rounds):
            sample = direct_round(provider, proxy, f"x{database[:2]}{number}", args, tokens)
            if kind == "run":
                direct.append(sample)
            provider.reset()
    finally:
        proxy.stop()
    return Result(database, merge(durable), merge(direct), app_log)


def per_token_us(cpu: float, delivered: int) -> float:
    """CPU microseconds per token delivered to one viewer."""
    return cpu / delivered * 1e6 if delivered else math.nan


def report(results: list[Result], args: argparse.Namespace, context: str) -> None:
    """Print the figures."""
    many = args.jobs >= MANY_JOBS
    print("Stream latency: a token leaving the model server → its chunk received by SSE viewers")
    print(
        f"  {args.jobs} concurrent jobs × {args.tokens} tokens, one per {args.delay_ms:g} ms, "
        f"{args.viewers} viewers each; {args.runs} timed round(s) after {args.warmup} warm-up"
    )
    print(
        f"  durable: app.py (web, WORKERS=0) + {args.workers} × worker.py with "
        f"JOB_CONCURRENCY={args.concurrency}; JSON stream GET /api/streaming/transform/<id>; "
        "latency = receipt − send time of the chunk's last token (first token: includes the "
        "coalescing wait)"
    )
    print(
        f"  direct: a proxy with no persistence (openai client, stream=True), one upstream "
        f"request per job fanned out to its {args.viewers} viewers, an event per token"
    )
    print(f"  {context}")
    table = Table(["database", "path", "basis", "chunks", "p50 ms", "p99 ms", "mean ms", "max ms"])
    for r in results:
        rows = [
            ("durable", "last token", r.durable.last, r.durable.events),
            ("durable", "first token", r.durable.first, r.durable.events),
            ("direct", "per token", r.direct.last, r.direct.events),
        ]
        for path, basis, sample, events in rows:
            s = Summary.of(sample)
            table.add(r.database, path, basis, events, s.p50, s.p99, s.mean, s.max)
    print(table.render())
    print("Where the durable path's time goes (each received chunk; seconds of one clock):")
    stages = Table(["database", "stage", "n", "p50 ms", "p99 ms", "mean ms", "max ms"])
    for r in results:
        for name, values in (
            ("token sent → row inserted", r.durable.to_row),
            ("row inserted → publish seen", r.durable.to_publish),
            ("publish seen → client", r.durable.to_client),
        ):
            s = Summary.of(values)
            stages.add(r.database, name, s.n, s.p50, s.p99, s.mean, s.max)
    print(stages.render())
    for r in results:
        durable, direct = Summary.of(r.durable.last), Summary.of(r.direct.last)
        added50, added99 = durable.p50 - direct.p50, durable.p99 - direct.p99
        if many:
            ok = added99 <= TARGET_ADDED_P99_MANY_MS
            target = f"p99 added ≤ {TARGET_ADDED_P99_MANY_MS:g} ms with {MANY_JOBS} jobs"
        else:
            ok = added50 <= TARGET_ADDED_P50_MS and added99 <= TARGET_ADDED_P99_MS
            target = f"≤ {TARGET_ADDED_P50_MS:g} / ≤ {TARGET_ADDED_P99_MS:g} ms"
        verdict = "meets" if ok else "MISSES"
        if direct.p99 > REFERENCE_SANE_P99_MS:
            verdict = (
                f"NO VERDICT: the direct reference itself fell behind (its p99 {direct.p99:.0f} ms"
                f" > {REFERENCE_SANE_P99_MS:g} ms), so 'added' means nothing; read the absolute"
                " figures —"
            )
        ratio = r.durable.rows / r.durable.tokens if r.durable.tokens else float("nan")
        print(
            f"{r.database}: durable (last token) adds p50 {added50:+.2f} ms, p99 {added99:+.2f} ms"
            f" over direct: {verdict} the target ({target}); chunk rows "
            f"{r.durable.rows} for {r.durable.tokens} tokens ({ratio:.3f} rows per token, "
            f"{1 / ratio if ratio else 0:.1f} tokens per row)"
        )
        keep_latency(r, args, durable, direct)
        du, xu = r.durable.usage, r.direct.usage
        cpu = du.cpu.get("web", 0.0) + du.cpu.get("workers", 0.0)
        ours = per_token_us(cpu, r.durable.delivered)
        theirs = per_token_us(xu.cpu.get("proxy", 0.0), r.direct.delivered)
        cpu_ratio = ours / theirs if theirs else math.nan
        verdict = "meets" if cpu_ratio <= TARGET_CPU_RATIO else "MISSES"
        print(
            f"  CPU per token delivered to one viewer: durable {ours:.1f} µs (web "
            f"{du.cpu.get('web', 0):.2f} s + workers {du.cpu.get('workers', 0):.2f} s over "
            f"{du.wall:.1f} s, {r.durable.delivered} deliveries) vs direct {theirs:.1f} µs "
            f"(proxy {xu.cpu.get('proxy', 0):.2f} s over {xu.wall:.1f} s, "
            f"{r.direct.delivered} deliveries): {cpu_ratio:.2f}× — {verdict} the target "
            f"(≤ {TARGET_CPU_RATIO:g}×)"
        )
        issue_load = issue_configuration(args)
        record(
            "M7",
            "CPU per token delivered",
            ours,
            "µs",
            database=r.database,
            reference=theirs,
            target=f"≤ {TARGET_CPU_RATIO:g}× the reference" if issue_load else "",
            met=cpu_ratio <= TARGET_CPU_RATIO if issue_load else None,
            ratio=cpu_ratio,
            jobs=args.jobs,
        )
        machine_db = du.cpu.get("postgres (machine)", 0.0)
        ours_all = sum(v for k, v in du.cpu.items() if "machine" not in k)
        cores = os.cpu_count() or 1
        print(
            f"  also spent during the durable rounds: provider {du.cpu.get('provider', 0):.2f} s,"
            f" redis-server {du.cpu.get('redis (machine)', 0):.2f} s"
            + (f", postgres {machine_db:.2f} s" if r.database == "postgres" else "")
            + f"; the machine was {du.machine_busy / du.wall / cores * 100 if du.wall else 0:.0f}%"
            f" busy ({cores} cores), {ours_all / du.wall / cores * 100 if du.wall else 0:.0f}%"
            " by the processes above (other load skews every figure)"
        )
        pss = du.pss_mb.get("workers", 0.0)
        verdict = "meets" if pss <= TARGET_PSS_MB else "MISSES"
        scope = "" if many else f" (the target is for {MANY_JOBS} jobs)"
        if r.database == "postgres":
            print(
                f"  PostgreSQL connections to the benchmark's database during the durable rounds:"
                f" peak {du.connections} (the worker's pool may open JOB_CONCURRENCY + "
                f"LONG_JOB_CONCURRENCY + 2 = {args.concurrency + args.long_concurrency + 2} per "
                "worker process, the web's DB_POOL_SIZE more)"
            )
        print(
            f"  PSS of the {args.workers} worker process(es) with {args.jobs} jobs running: peak "
            f"{pss:.1f} MB — {verdict} the target (≤ {TARGET_PSS_MB:g} MB){scope}; web "
            f"{du.pss_mb.get('web', 0):.1f} MB; direct proxy {xu.pss_mb.get('proxy', 0):.1f} MB"
        )
        for name, sample in (("durable", r.durable), ("direct", r.direct)):
            problems = sorted(set(sample.problems))
            for problem in problems[:10]:
                print(f"  {r.database} {name}: {problem}")
            if len(problems) > 10:
                print(f"  {r.database} {name}: … {len(problems) - 10} more")
        if r.app_log:
            print(f"  {r.database}: the app's last output lines:")
            print("    " + "\n    ".join(r.app_log.rstrip().splitlines()[-40:]))


def issue_configuration(args: argparse.Namespace) -> bool:
    """Whether the run is the load the issue's M1 and M7 targets are for."""
    return (args.jobs, args.viewers, args.delay_ms) == (ISSUE_JOBS, ISSUE_VIEWERS, ISSUE_DELAY_MS)


def keep_latency(r: Result, args: argparse.Namespace, durable: Summary, direct: Summary) -> None:
    """Record the run's added latency: M1's row at the issue's load, a point of the suite's
    curve at any load (no verdict when the reference itself fell behind)."""
    issue_load = issue_configuration(args)
    sane = direct.p99 <= REFERENCE_SANE_P99_MS
    for name, target, added, theirs, ours in (
        ("p50", TARGET_ADDED_P50_MS, durable.p50 - direct.p50, direct.p50, durable.p50),
        ("p99", TARGET_ADDED_P99_MS, durable.p99 - direct.p99, direct.p99, durable.p99),
    ):
        record(
            "M1",
            f"added {name}",
            added,
            "ms",
            database=r.database,
            reference=theirs,
            target=f"≤ {target:g} ms" if issue_load else "",
            met=added <= target if issue_load and sane else None,
            jobs=args.jobs,
            durable=ours,
            note="" if sane else "the reference fell behind: no verdict",
        )


def main() -> None:
    """Parse the knobs, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--runs", type=int, default=1, help="timed rounds per path")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--jobs", type=int, default=20, help="concurrent jobs (20 and 100)")
    parser.add_argument("--workers", type=int, default=1, help="worker.py processes (default: 1)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="JOB_CONCURRENCY of each worker (default: enough for every job: jobs / workers)",
    )
    parser.add_argument("--long-concurrency", type=int, default=4, help="LONG_JOB_CONCURRENCY")
    parser.add_argument("--viewers", type=int, default=3, help="SSE clients per job")
    parser.add_argument("--tokens", type=int, default=300, help="marker tokens per job")
    parser.add_argument("--warmup-tokens", type=int, default=50)
    parser.add_argument("--delay-ms", type=float, default=10.0, help="model's pace per token")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the web and workers into DIR")
    parser.add_argument("--profile-gil", action="store_true", help="py-spy --gil (GIL holders)")
    parser.add_argument(
        "--gevent-monitor",
        type=float,
        metavar="MS",
        help="run gevent's monitor thread in the web process: count hub blocks longer than MS",
    )
    parser.add_argument("--app-log", metavar="PATH", help="write the processes' last lines here")
    parser.add_argument("--serve-direct", metavar="PROVIDER_URL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 100 tokens per job (20 to warm up)"
    )
    if parser.parse_known_args()[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args()
    if args.serve_direct:
        serve_direct(args.serve_direct)
        return
    args.concurrency = args.concurrency or math.ceil(args.jobs / args.workers)
    if args.concurrency * args.workers < args.jobs:
        parser.error("--concurrency × --workers must be at least --jobs (all run at once)")
    install_cleanup()
    context, load_before = machine(), load()
    provider_proc, provider_url = start_provider()
    provider = Provider(provider_url, provider_proc.proc.pid)
    results = []
    try:
        for database in databases(args.database):
            results.append(measure(database, provider, args))
    finally:
        provider.http.close()
        provider_proc.stop()
    report(results, args, f"{context}; load average {load_before} before, {load()} after")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
