"""Stream latency: a token leaving the model server to its receipt by SSE viewers."""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2
from common import (
    PYTHON,
    ROOT,
    Database,
    Proc,
    Summary,
    Table,
    app_env,
    create_account,
    create_projects,
    databases,
    flush_redis,
    free_port,
    install_cleanup,
    load,
    machine,
    prepare_database,
    redis_client,
    start_app,
    start_provider,
    wait_until,
)
from rq import Worker
from sqlalchemy import text

TARGET_ADDED_P50_MS, TARGET_ADDED_P99_MS = 5.0, 25.0
GENRE = ["女频", "爱情", "甜宠"]


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
class Sample:
    """Latencies of one path (seconds) and its chunk accounting."""

    last: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    events: int = 0
    tokens: int = 0
    rows: int = 0
    viewers: int = 0
    problems: list[str] = field(default_factory=list)
    to_row: list[float] = field(default_factory=list)  # last token sent → its row inserted
    to_viewer: list[float] = field(default_factory=list)  # row inserted → received

    def absorb(self, jobs: list[Job], viewers: list[Viewer]) -> None:
        """Map each received chunk to the tokens it carries and add its latencies."""
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
                self.last.append(at - job.sent_at[last])
                self.first.append(at - job.sent_at[first])
                if chunk["seq"] in job.inserted:
                    self.to_row.append(job.inserted[chunk["seq"]] - job.sent_at[last])
                    self.to_viewer.append(at - job.inserted[chunk["seq"]])
            if position != offset:
                self.problems.append(f"{job.name}: got {position} of {offset} characters")


class Provider:
    """The fake provider's control API."""

    def __init__(self, url: str) -> None:
        """Talk to the provider at ``url``."""
        self.url = url
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
) -> None:
    """Hold every stream at its first token until all viewers listen, release, receive all."""
    receiver = Receiver(viewers)
    receiver.start()
    try:
        wait_until(lambda: provider.active() == len(jobs), 120, "every job to reach the model")
        wait_until(lambda: receiver.all(lambda v: v.ready), 60, "every viewer to subscribe")
        for job in jobs:
            provider.release(job)
        longest = max(len(job.tokens) for job in jobs) * delay_ms / 1000
        receiver.join(longest * 10 + 120)
        if receiver.is_alive():
            raise TimeoutError("the streams did not end")
    finally:
        receiver.stop()
        receiver.join(5)
    for job in jobs:
        provider.fetch_sent(job)


def durable_round(
    provider: Provider,
    base_url: str,
    token: str,
    projects: list[int],
    label: str,
    args: argparse.Namespace,
    tokens: int,
    database: Database,
) -> Sample:
    """One round through the app: jobs started over the API, viewed on the JSON stream."""
    jobs = [Job(f"{label}-{i}", job_tokens(f"{label}-{i}", tokens)) for i in range(args.jobs)]
    for job in jobs:
        provider.script(job, args.delay_ms)
    bearer = {"Authorization": f"Bearer {token}"}
    http = httpx2.Client(base_url=base_url, headers=bearer, timeout=30)
    host, port = urlsplit(base_url).hostname or "", urlsplit(base_url).port or 80
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
    try:
        stream_round(provider, jobs, viewers, args.delay_ms)
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
                raise RuntimeError(f"job {job.transform_id}: {state['status']} {state['error']}")
            if state["attempt"] != 1:
                job.notes.append(
                    f"{job.name}: ran {state['attempt']} attempts (retries {state['retryCount']})"
                )
            job.attempt = state["attempt"]
            job.chunk_rows = len(state["chunks"])
            job.inserted = chunk_times(database, job.transform_id, job.attempt)
    finally:
        http.close()
    sample = Sample()
    sample.absorb(jobs, viewers)
    return sample


def chunk_times(database: Database, transform_id: int, attempt: int) -> dict[int, float]:
    """When each chunk row of the attempt was inserted (created_at, set before the commit)."""
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
    provider: Provider, direct_url: str, label: str, args: argparse.Namespace, tokens: int
) -> Sample:
    """One round through the direct proxy: each job's stream fanned out to its viewers."""
    jobs = [Job(f"{label}-{i}", job_tokens(f"{label}-{i}", tokens)) for i in range(args.jobs)]
    for job in jobs:
        provider.script(job, args.delay_ms)
    host, port = urlsplit(direct_url).hostname or "", urlsplit(direct_url).port or 80
    viewers = [
        Viewer(index, host, port, f"/stream/{job.name}", {})
        for index, job in enumerate(jobs)
        for _ in range(args.viewers)
    ]
    stream_round(provider, jobs, viewers, args.delay_ms)
    for job in jobs:
        job.chunk_rows = 0  # nothing is stored
    sample = Sample()
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
        total.rows += s.rows
        total.viewers += s.viewers
        total.problems += s.problems
        total.to_row += s.to_row
        total.to_viewer += s.to_viewer
    return total


def measure(database: str, provider: Provider, args: argparse.Namespace) -> Result:
    """The durable rounds on a fresh database, then the direct rounds."""
    db = prepare_database(database)
    flush_redis()
    app = None
    rounds = [("warm", args.warmup_tokens)] * args.warmup + [("run", args.tokens)] * args.runs
    try:
        env = app_env(db, provider.url, args.jobs, free_port())
        app, base_url = start_app(env)
        token = create_account(env)
        projects = create_projects(base_url, token, args.jobs * len(rounds))
        connection = redis_client()
        wait_until(lambda: Worker.count(connection=connection) >= args.jobs, 120, "the workers")
        connection.close()
        durable = []
        for number, (kind, tokens) in enumerate(rounds):
            mine = projects[number * args.jobs : (number + 1) * args.jobs]
            label = f"{database[:2]}{number}"
            sample = durable_round(provider, base_url, token, mine, label, args, tokens, db)
            if kind == "run":
                durable.append(sample)
            provider.reset()
        app_log = app.output() if any(s.problems for s in durable) else ""
    finally:
        if app is not None:
            app.stop()
        db.cleanup()
    proxy = Proc(
        "direct",
        [PYTHON, str(ROOT / "bench" / "stream_latency.py"), "--serve-direct", provider.url],
        {},
        "READY",
    )
    try:
        direct_url = proxy.ready_line.split()[1]
        direct = []
        for number, (kind, tokens) in enumerate(rounds):
            sample = direct_round(provider, direct_url, f"x{database[:2]}{number}", args, tokens)
            if kind == "run":
                direct.append(sample)
            provider.reset()
    finally:
        proxy.stop()
    return Result(database, merge(durable), merge(direct), app_log)


def report(results: list[Result], args: argparse.Namespace, context: str) -> None:
    """Print the figures."""
    print("Stream latency: a token leaving the model server → its chunk received by SSE viewers")
    print(
        f"  {args.jobs} concurrent jobs × {args.tokens} tokens, one per {args.delay_ms:g} ms, "
        f"{args.viewers} viewers each; {args.runs} timed round(s) after {args.warmup} warm-up; "
        f"app WORKERS={args.jobs}"
    )
    print(
        "  durable: JSON stream GET /api/streaming/transform/<id>; latency = receipt − send time"
        " of the chunk's last token (first token: includes the coalescing wait)"
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
    for r in results:
        durable, direct = Summary.of(r.durable.last), Summary.of(r.direct.last)
        added50, added99 = durable.p50 - direct.p50, durable.p99 - direct.p99
        ok = added50 <= TARGET_ADDED_P50_MS and added99 <= TARGET_ADDED_P99_MS
        ratio = r.durable.rows / r.durable.tokens if r.durable.tokens else float("nan")
        print(
            f"{r.database}: durable (last token) adds p50 {added50:+.2f} ms, p99 {added99:+.2f} ms"
            f" over direct: {'meets' if ok else 'misses'} the target (≤ {TARGET_ADDED_P50_MS:g}"
            f" / ≤ {TARGET_ADDED_P99_MS:g} ms); chunk rows {r.durable.rows} for "
            f"{r.durable.tokens} tokens ({ratio:.3f} rows per token, "
            f"{1 / ratio if ratio else 0:.1f} tokens per row)"
        )
        to_row, to_viewer = Summary.of(r.durable.to_row), Summary.of(r.durable.to_viewer)
        print(
            f"  where: last token sent → its chunk row inserted p50 {to_row.p50:.2f} / p99 "
            f"{to_row.p99:.2f} ms; row inserted → received p50 {to_viewer.p50:.2f} / p99 "
            f"{to_viewer.p99:.2f} ms"
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


def main() -> None:
    """Parse the knobs, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=1, help="timed rounds per path")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--jobs", type=int, default=20, help="concurrent jobs (= app workers)")
    parser.add_argument("--viewers", type=int, default=3, help="SSE clients per job")
    parser.add_argument("--tokens", type=int, default=300, help="marker tokens per job")
    parser.add_argument("--warmup-tokens", type=int, default=50)
    parser.add_argument("--delay-ms", type=float, default=10.0, help="model's pace per token")
    parser.add_argument("--serve-direct", metavar="PROVIDER_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_direct:
        serve_direct(args.serve_direct)
        return
    install_cleanup()
    context, load_before = machine(), load()
    provider_proc, provider_url = start_provider()
    provider = Provider(provider_url)
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
