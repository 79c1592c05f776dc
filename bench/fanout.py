"""Fan-out per gevent web process (issue 13, M5): memory per tab and token → tab latency with
1,000 and 5,000 tabs on one job's stream, beside Flask-SSE in the same harness.

    .venv/bin/python bench/fanout.py [--database auto|sqlite|postgres|both] [--quick]
        [--tabs 1000 5000] [--rate 20] [--seconds 10] [--per-client 2500]

The durable path: ONE web process — gunicorn with the repo's gunicorn.conf.py (gevent worker
class), `-w 1`, `--worker-connections` raised above the tab count — and one `worker.py`. A
brainstorm job streams marker tokens from the fake provider (tests/fake_provider.py) at
`--rate` tokens/s (held before its first token while the tabs connect); every tab is a client
of GET /api/streaming/transform/<id> (bearer token). Latency = receipt at the tab − the
provider's send time of the marker's token (worker flush, row, publish, fan-out, client).

The reference, in the same harness: a small Flask app with Flask-SSE's blueprint (one Redis
subscription per tab: that is how Flask-SSE works), served by the same gunicorn single gevent
worker; the bench publishes the same markers at the same pace on a Redis channel of its own
(BENCH_REDIS_URL's server; pub/sub ignores the db number, so the channel name is unique).
Latency = receipt − the publish.

Tabs are raw sockets in separate client processes (epoll, `--per-client` tabs each, each
process on its own source address 127.0.0.x), which look only for the markers; their CPU is
printed, since they share the 2 cores with the server. Memory per tab = (PSS of the web
process with N tabs connected − with 10 warm tabs) / (N − 10), from a fresh web process per N;
also the peak while streaming. `--quick`: 200 and 1,000 tabs, 3 s of tokens."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from common import (
    PYTHON,
    REDIS_URL,
    ROOT,
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
    descendants,
    flush_redis,
    free_port,
    install_cleanup,
    load,
    machine,
    machine_cpu,
    operator,
    prepare_database,
    pss_kb,
    record,
    redis_client,
    start_provider,
    wait_until,
)

TARGET_KB_PER_TAB = 20.0
TARGET_P99_MS = {1000: 50.0, 5000: 150.0}  # tabs → p99 target
WARM_TABS = 10  # connected before the baseline: first-use costs are not a tab's
MARKER = re.compile(rb"m(\d{5}) ")
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
GENRE = ["女频", "爱情", "甜宠"]


def raise_nofile() -> int:
    """Raise the soft limit of open files to the hard one (children inherit it)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def marker(n: int) -> str:
    """The n-th marker token (1-based)."""
    return f"m{n:05d} "


# ------------------------------------------------------------------------------ tab clients


class Tab:
    """One SSE connection's parsing state."""

    __slots__ = ("sock", "head", "ready", "tail", "highest")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.head = False  # the HTTP head was read (200, text/event-stream)
        self.ready = False  # an event with data arrived (subscribed)
        self.tail = b""  # the last bytes read, so a marker split across reads is found
        self.highest = 0  # the highest marker seen (a marker is counted once per tab)


class TabClient:
    """A process holding tabs: opened on command, read with epoll, each marker's receipt
    stamped; commands come line by line on a control connection."""

    def __init__(self, spec: dict[str, Any]) -> None:
        """``spec``: host, port, path, headers, source (address to bind)."""
        self.spec = spec
        lines = [f"GET {spec['path']} HTTP/1.1", f"Host: {spec['host']}:{spec['port']}"]
        lines += [f"{k}: {v}" for k, v in spec["headers"].items()]
        lines += ["Accept: text/event-stream", "Connection: close"]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.selector = selectors.EpollSelector()
        self.tabs: dict[int, Tab] = {}
        self.to_open = 0
        self.errors: list[str] = []
        self.refused = 0  # 503 answers, each opened again
        self.closed = 0
        self.markers = array("H")
        self.times = array("d")

    def run(self) -> None:
        """Serve commands and read tabs until the control connection closes."""
        control = socket.socket()
        control.bind(("127.0.0.1", 0))
        control.listen(1)
        print(f"READY {control.getsockname()[1]}", flush=True)
        conn, _ = control.accept()
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, None)
        pending = b""
        while True:
            if self.to_open:
                self._open(min(self.to_open, 50))
            for key, _mask in self.selector.select(0 if self.to_open else 1.0):
                if key.data is not None:
                    self._read(key.data)
                    continue
                data = conn.recv(4096)
                if not data:
                    return
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    conn.sendall((self._command(line.decode().split()) + "\n").encode())

    def _command(self, words: list[str]) -> str:
        if words[0] == "open":
            self.to_open += int(words[1])
            return "ok"
        if words[0] == "status":
            ready = sum(tab.ready for tab in self.tabs.values())
            return json.dumps(
                {
                    "open": len(self.tabs),
                    "ready": ready,
                    "closed": self.closed,
                    "errors": len(self.errors),
                    "refused": self.refused,
                    "first_error": self.errors[0] if self.errors else "",
                    "received": len(self.markers),
                    "pending": self.to_open,
                }
            )
        if words[0] == "dump":
            Path(words[1] + ".m").write_bytes(self.markers.tobytes())
            Path(words[1] + ".t").write_bytes(self.times.tobytes())
            return str(len(self.markers))
        if words[0] == "close":
            for tab in list(self.tabs.values()):
                self._drop(tab)
            return "ok"
        return "unknown"

    def _open(self, count: int) -> None:
        for _ in range(count):
            self.to_open -= 1
            sock = socket.socket()
            try:
                # Each client process has its own source address: its own ephemeral ports.
                sock.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
                sock.bind((self.spec["source"], 0))
                sock.settimeout(10)
                sock.connect((self.spec["host"], self.spec["port"]))
                sock.sendall(self.request)
            except OSError as error:
                self.errors.append(f"connect: {error}")
                sock.close()
                continue
            sock.setblocking(False)
            tab = Tab(sock)
            self.tabs[sock.fileno()] = tab
            self.selector.register(sock, selectors.EVENT_READ, tab)

    def _drop(self, tab: Tab) -> None:
        self.selector.unregister(tab.sock)
        del self.tabs[tab.sock.fileno()]
        tab.sock.close()
        self.closed += 1

    def _read(self, tab: Tab) -> None:
        try:
            data = tab.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self.errors.append(f"recv: {error}")
            data = b""
        at = time.time()
        if not data:
            self._drop(tab)
            return
        scan = tab.tail + data
        if not tab.head:
            end = scan.find(b"\r\n\r\n")
            if end < 0:
                tab.tail = scan
                return
            head = scan[:end].lower()
            if head.startswith(b"http/1.1 503"):
                # The web process sheds load (no database connection free within
                # DB_POOL_TIMEOUT while thousands connect at once): come back, as clients do.
                self.refused += 1
                self._drop(tab)
                self.to_open += 1
                return
            if not head.startswith(b"http/1.1 200") or b"text/event-stream" not in head:
                self.errors.append(f"answer: {scan[:end].splitlines()[0]!r}")
                self._drop(tab)
                return
            tab.head, scan = True, scan[end + 4 :]
        if not tab.ready and b"data:" in scan:
            tab.ready = True
        for match in MARKER.finditer(scan):
            n = int(match.group(1))
            if n > tab.highest:
                tab.highest = n
                self.markers.append(n)
                self.times.append(at)
        tab.tail = scan[-8:]


class Clients:
    """The tab client processes of one round, driven over their control connections."""

    def __init__(self, url: str, path: str, headers: dict[str, str], processes: int) -> None:
        """Start ``processes`` clients of ``url`` + ``path``."""
        host, port = url.split("//")[1].split(":")
        self.procs: list[Proc] = []
        self.controls: list[Any] = []
        for index in range(processes):
            spec = {
                "host": host,
                "port": int(port),
                "path": path,
                "headers": headers,
                "source": f"127.0.0.{10 + index}",
            }
            args = [PYTHON, str(Path(__file__).resolve()), "--tab-client", json.dumps(spec)]
            proc = Proc(f"tabs{index}", args, {}, "READY")
            control = socket.create_connection(("127.0.0.1", int(proc.ready_line.split()[1])))
            self.procs.append(proc)
            self.controls.append(control.makefile("rw", encoding="utf-8"))
        self.opened = 0

    def ask(self, index: int, command: str) -> str:
        """Send a command to one client; its one-line answer."""
        control = self.controls[index]
        control.write(command + "\n")
        control.flush()
        return control.readline().strip()

    def open(self, count: int) -> None:
        """Open ``count`` more tabs, spread over the processes."""
        for index in range(len(self.procs)):
            share = count // len(self.procs) + (index < count % len(self.procs))
            if share:
                self.ask(index, f"open {share}")
        self.opened += count

    def status(self) -> dict[str, Any]:
        """The clients' counters, summed (first_error: the first one of any)."""
        total: dict[str, Any] = {}
        for index in range(len(self.procs)):
            for key, value in json.loads(self.ask(index, "status")).items():
                if key == "first_error":
                    total[key] = total.get(key) or value
                else:
                    total[key] = total.get(key, 0) + value
        return total

    def wait_ready(self, timeout: float) -> float:
        """Wait until every opened tab got its first event; seconds it took."""
        start = time.monotonic()
        while True:
            status = self.status()
            if status["errors"]:
                raise RuntimeError(f"{status['errors']} tabs failed: {status['first_error']}")
            if status["ready"] >= self.opened:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"{status['ready']} of {self.opened} tabs ready: {status}")
            time.sleep(0.1)

    def wait_received(self, expected: int, quiet: float, timeout: float) -> dict[str, Any]:
        """Wait until the tabs hold ``expected`` markers, or nothing came for ``quiet`` s."""
        start = last_change = time.monotonic()
        last = -1
        while time.monotonic() - start < timeout:
            status = self.status()
            if status["received"] >= expected:
                return status
            if status["received"] != last:
                last, last_change = status["received"], time.monotonic()
            elif time.monotonic() - last_change > quiet:
                break
            time.sleep(0.2)
        return self.status()

    def collect(self) -> tuple[array, array]:
        """Every marker received and its receipt time, all processes."""
        markers, times = array("H"), array("d")
        with tempfile.TemporaryDirectory(prefix="swbench-fan-") as folder:
            for index in range(len(self.procs)):
                base = f"{folder}/{index}"
                self.ask(index, f"dump {base}")
                markers.frombytes(Path(base + ".m").read_bytes())
                times.frombytes(Path(base + ".t").read_bytes())
        return markers, times

    def pids(self) -> list[int]:
        """The client processes."""
        return [proc.proc.pid for proc in self.procs]

    def stop(self) -> None:
        """Close the tabs and end the processes."""
        for index in range(len(self.procs)):
            try:
                self.ask(index, "close")
            except OSError:
                pass
        for control in self.controls:
            control.close()
        for proc in self.procs:
            proc.stop()


# ------------------------------------------------------------------------------ the servers


def sse_app() -> Any:
    """The reference: Flask-SSE's blueprint at /stream (?channel=…), Redis from REDIS_URL."""
    from flask import Flask
    from flask_sse import sse

    app = Flask(__name__)
    app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    app.register_blueprint(sse, url_prefix="/stream")
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    return app


def gunicorn(name: str, target: str, env: dict[str, str], connections: int) -> tuple[Proc, str]:
    """One gunicorn gevent worker (the repo's gunicorn.conf.py) serving ``target``."""
    port = free_port()
    args = [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "-w", "1", "--no-control-socket"]
    args += ["--worker-connections", str(connections), "-b", f"127.0.0.1:{port}"]
    args += ["--pythonpath", str(ROOT / "bench")] if target.startswith("fanout:") else []
    args.append(target)
    proc = Proc(name, args, env, "Booting worker", timeout=60)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx2.get(url + "/healthz", timeout=2).status_code == 200
        except httpx2.HTTPError:
            return False

    wait_until(up, 60, f"{name} to answer")
    return proc, url


def quit_now(server: Proc) -> None:
    """gunicorn's quick shutdown (SIGQUIT): Flask-SSE's streams would otherwise hold the
    worker for the whole graceful timeout."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGQUIT)
        try:
            server.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
    server.stop()


def worker_pid(server: Proc) -> int:
    """gunicorn's worker process (the arbiter's only child)."""
    children = descendants(server.proc.pid)
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return children[0]


def steady_pss(pid: int, samples: int = 3) -> int:
    """The median of a few PSS readings (kB), 0.3 s apart."""
    readings = []
    for _ in range(samples):
        time.sleep(0.3)
        readings.append(pss_kb(pid))
    return sorted(readings)[len(readings) // 2]


def redis_memory() -> tuple[int, int]:
    """Redis's used_memory (bytes, whole server) and its connected clients."""
    client = redis_client()
    try:
        info = client.info()
        return int(info["used_memory"]), int(info["connected_clients"])
    finally:
        client.close()


# ------------------------------------------------------------------------------ a round


@dataclass
class Round:
    """One path at one tab count: memory, latency and what the processes spent."""

    path: str
    tabs: int
    tokens: int
    rate: float
    base_kb: int = 0
    idle_kb: int = 0
    peak_kb: int = 0
    connect_s: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds
    missing: int = 0
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: list[float] = field(default_factory=list)
    other_cpu: float = 0.0  # worker.py and its children (durable)
    machine_busy: float = 0.0
    redis_kb: float = 0.0  # Redis used_memory growth with the tabs (whole server)
    redis_clients: int = 0
    notes: list[str] = field(default_factory=list)

    def per_tab_kb(self, peak: bool = False) -> float:
        """Memory per tab (kB) with N tabs connected (or at the streaming peak)."""
        grown = (self.peak_kb if peak else self.idle_kb) - self.base_kb
        return grown / (self.tabs - WARM_TABS)


def connect_tabs(
    clients: Clients, result: Round, pid: int, hello: Any = None, subscribed: Any = None
) -> None:
    """Warm tabs, the baseline, then the rest of the tabs; PSS with all connected.
    ``subscribed(n)`` waits until n tabs listen and ``hello()`` makes them see an event
    (Flask-SSE sends nothing before a message)."""

    def ready(count: int) -> float:
        if subscribed is not None:
            start = time.monotonic()
            subscribed(count)
            hello()
            return time.monotonic() - start + clients.wait_ready(60)
        return clients.wait_ready(120)

    clients.open(WARM_TABS)
    ready(WARM_TABS)
    time.sleep(0.5)
    before = redis_memory()
    result.base_kb = steady_pss(pid)
    clients.open(result.tabs - WARM_TABS)
    result.connect_s = ready(result.tabs)
    if refused := clients.status()["refused"]:
        result.notes.append(f"{refused} connections were answered 503 and opened again")
    time.sleep(0.5)
    result.idle_kb = steady_pss(pid)
    after = redis_memory()
    result.redis_kb = (after[0] - before[0]) / 1024 / (result.tabs - WARM_TABS)
    result.redis_clients = after[1] - before[1]


def stream(
    result: Round,
    clients: Clients,
    web: Proc,
    start: Any,
    others: list[int],
) -> tuple[array, array]:
    """Start the tokens (``start()``), wait for every tab to hold every marker; the CPU
    spent meanwhile and the web process's peak PSS."""
    pid = worker_pid(web)
    sampler = Sampler(lambda: [pid], every=0.2)
    sampler.start()
    groups = [[pid], clients.pids(), others]
    cpu0 = [sum(cpu_seconds(p) for p in group) for group in groups]
    clients0 = [cpu_seconds(p) for p in clients.pids()]
    machine0, t0 = machine_cpu()[0], time.monotonic()
    start()
    expected = result.tabs * result.tokens
    longest = result.tokens / result.rate
    status = clients.wait_received(expected, quiet=5, timeout=longest + 300)
    result.wall = time.monotonic() - t0
    result.machine_busy = machine_cpu()[0] - machine0
    cpu1 = [sum(cpu_seconds(p) for p in group) for group in groups]
    result.server_cpu, _, result.other_cpu = (b - a for a, b in zip(cpu0, cpu1, strict=True))
    result.client_cpu = [cpu_seconds(p) - c for p, c in zip(clients.pids(), clients0, strict=True)]
    sampler.stop()
    result.peak_kb = max(sampler.peak, result.idle_kb)
    result.missing = expected - status["received"]
    if pid not in descendants(web.proc.pid):
        # e.g. gunicorn's arbiter killed a worker whose heartbeat greenlet starved (--timeout)
        said = [line.strip() for line in web.lines if "WORKER TIMEOUT" in line or "Boot" in line]
        result.notes.append(f"the web worker was replaced during the round: {said[-2:]}")
        result.server_cpu = float("nan")
    if status["errors"]:
        result.notes.append(f"{status['errors']} tab errors, e.g. {status['first_error']}")
    return clients.collect()


def latencies(markers: array, times: array, sent: dict[int, float]) -> list[float]:
    """Receipt − send time of every marker received."""
    return [at - sent[n] for n, at in zip(markers, times, strict=True) if n in sent]


# ---------------------------------------------------------------------------------- durable


@dataclass
class Durable:
    """The app's lasting pieces across rounds: database, worker, account."""

    env: dict[str, str]
    token: str
    provider_url: str
    worker: Proc


def durable_round(app: Durable, tabs: int, args: argparse.Namespace, label: str) -> Round:
    """A fresh web process, one job held at its first token while the tabs connect, then
    its markers at --rate tokens/s."""
    result = Round("durable", tabs, args.tokens, args.rate)
    control = httpx2.Client(base_url=app.provider_url, timeout=30)
    name = f"fan-{label}"
    tokens = ['{"ideas":[{"title":"', f"Fanout {label}", '","body":"']
    tokens += [marker(n) for n in range(1, args.tokens + 1)] + ['"}]}']
    script = {"name": name, "tokens": tokens, "delay_ms": 1000 / args.rate, "pause_at": 0}
    control.post("/_control/scripts", json=script).raise_for_status()
    web, url = gunicorn("web", "app:create_app()", app.env, tabs + 100)
    clients = None
    bearer = {"Authorization": f"Bearer {app.token}"}
    try:
        pid = worker_pid(web)
        params = {
            "platform": "douyin",
            "genrePaths": [GENRE],
            "genreProportions": [100],
            "requirements": f"[[script:{name}]]",
            "numIdeas": 1,
        }
        project = create_projects(url, app.token, 1, label)[0]
        body = {"projectId": project, "params": params}
        started = httpx2.post(url + "/api/brainstorm/start", json=body, headers=bearer)
        if started.status_code != 202:
            raise RuntimeError(f"start answered {started.status_code}: {started.text}")
        job = started.json()["transformId"]
        wait_until(lambda: control.get("/_control/active").json() == 1, 60, "the job's model call")
        processes = math.ceil(tabs / args.per_client)
        clients = Clients(url, f"/api/streaming/transform/{job}", bearer, processes)
        connect_tabs(clients, result, pid)

        def release() -> None:
            control.post(f"/_control/scripts/{name}/release").raise_for_status()

        markers, times = stream(result, clients, web, release, [app.worker.proc.pid])
        sent = {}
        for entry in control.get("/_control/sent", params={"script": name}).json():
            if match := MARKER.fullmatch(entry["token"].encode()):
                sent[int(match.group(1))] = entry["at"]
        result.latencies = latencies(markers, times, sent)
        said = {k: v for k, v in web.counts.items() if k != "appears to be blocked"}
        if said:
            result.notes.append(f"web printed {said}")
    finally:
        if clients is not None:
            clients.stop()
        quit_now(web)
        control.delete("/_control/scripts")
        control.delete("/_control/sent")
        control.close()
    return result


# ---------------------------------------------------------------------------------- Flask-SSE


def reference_round(tabs: int, args: argparse.Namespace, label: str) -> Round:
    """Flask-SSE in one gunicorn gevent worker; the bench publishes the markers."""
    from flask_sse import Message

    result = Round("Flask-SSE", tabs, args.tokens, args.rate)
    channel = f"swbench-fanout-{os.getpid()}-{label}"
    web, url = gunicorn("reference", "fanout:sse_app()", {"REDIS_URL": REDIS_URL}, tabs + 100)
    publisher = redis_client()
    clients = None
    sent: dict[int, float] = {}

    def subscribed(count: int) -> None:
        def listening() -> bool:
            return publisher.pubsub_numsub(channel)[0][1] >= count

        wait_until(listening, 120, f"{count} Flask-SSE subscriptions")

    def hello() -> None:
        publisher.publish(channel, json.dumps(Message({"hello": True}, type="hello").to_dict()))

    def publish() -> None:
        start = time.monotonic()
        for n in range(1, args.tokens + 1):
            time.sleep(max(0.0, start + n / args.rate - time.monotonic()))
            data = {"seq": n, "text": marker(n)}
            message = json.dumps(Message(data, type="chunk", id=str(n)).to_dict())
            sent[n] = time.time()
            publisher.publish(channel, message)
        publisher.publish(channel, json.dumps(Message({"done": True}, type="done").to_dict()))

    try:
        pid = worker_pid(web)
        processes = math.ceil(tabs / args.per_client)
        clients = Clients(url, f"/stream?channel={channel}", {}, processes)
        connect_tabs(clients, result, pid, hello, subscribed)
        thread = threading.Thread(target=publish, daemon=True, name="publisher")
        markers, times = stream(result, clients, web, thread.start, [])
        thread.join(5)
        result.latencies = latencies(markers, times, sent)
    finally:
        if clients is not None:
            clients.stop()
        quit_now(web)
        publisher.close()
    return result


# ---------------------------------------------------------------------------------- main


def measure(database: str, provider_url: str, args: argparse.Namespace) -> list[Round]:
    """Both paths at every tab count, on a fresh database."""
    db = prepare_database(database, "")
    flush_redis()
    worker = None
    rounds = []
    try:
        env = app_env(db, provider_url, 0, 0)
        # The job waits at its first token while thousands of tabs connect.
        env.update(STALL_SECONDS="600", LLM_TIMEOUT="600", STREAM_MAX_SECONDS="0")
        operator(env, "db", "upgrade")
        worker = Proc("worker", [PYTHON, str(ROOT / "worker.py")], env, " ready: ")
        app = Durable(env, create_account(env), provider_url, worker)
        for index, tabs in enumerate(args.tabs):
            label = f"{database[:2]}{index}"
            rounds.append(durable_round(app, tabs, args, label))
            rounds.append(reference_round(tabs, args, label))
    finally:
        if worker is not None:
            worker.stop()
        db.cleanup()
    return rounds


def report(database: str, rounds: list[Round], args: argparse.Namespace) -> None:
    """The table, the targets and the records."""
    print(f"\n{database}:")
    table = Table(
        [
            "tabs",
            "path",
            "KB/tab",
            "KB/tab peak",
            "web MB",
            "p50 ms",
            "p99 ms",
            "max ms",
            "missing",
            "connect s",
            "web CPU",
            "µs/delivery",
            "clients CPU",
            "Redis KB/tab",
        ]
    )
    for r in rounds:
        s = Summary.of(r.latencies)
        clients = "+".join(f"{c / r.wall * 100:.0f}%" for c in r.client_cpu)
        table.add(
            r.tabs,
            r.path,
            r.per_tab_kb(),
            r.per_tab_kb(peak=True),
            r.idle_kb / 1024,
            s.p50,
            s.p99,
            s.max,
            r.missing,
            r.connect_s,
            f"{r.server_cpu / r.wall * 100:.0f}%",
            r.server_cpu / max(1, r.tabs * r.tokens - r.missing) * 1e6,
            clients,
            r.redis_kb,
        )
    print(table.render())
    print(
        "  KB/tab: (web PSS with N tabs connected − with 10) / (N − 10); peak: the highest PSS"
        " while streaming. CPU: % of one core over the streaming window, from the release of"
        " the first token to the last marker received (the clients read every tab's every"
        " event); µs/delivery: the web process's CPU per marker delivered to one tab. Redis"
        " KB/tab: growth of the whole server's used_memory (other users' data included)."
    )
    for tabs in args.tabs:
        ours = next(r for r in rounds if r.tabs == tabs and r.path == "durable")
        theirs = next(r for r in rounds if r.tabs == tabs and r.path == "Flask-SSE")
        mine, ref = Summary.of(ours.latencies), Summary.of(theirs.latencies)
        kb, ok_kb = ours.per_tab_kb(), ours.per_tab_kb() <= TARGET_KB_PER_TAB
        target_ms = TARGET_P99_MS.get(tabs)
        print(
            f"  {tabs} tabs: memory per tab {kb:.1f} KB (Flask-SSE {theirs.per_tab_kb():.1f}) — "
            f"{'meets' if ok_kb else 'MISSES'} the target (≤ {TARGET_KB_PER_TAB:g} KB)"
        )
        record(
            "M5",
            f"memory per tab, {tabs} tabs",
            round(kb, 2),
            "KB",
            database=database,
            reference=round(theirs.per_tab_kb(), 2),
            target=f"≤ {TARGET_KB_PER_TAB:g} KB",
            met=ok_kb,
            tabs=tabs,
            peak=round(ours.per_tab_kb(peak=True), 2),
        )
        if target_ms is None:
            verdict, met = f"(the targets are for {', '.join(map(str, TARGET_P99_MS))} tabs)", None
        else:
            met = mine.p99 <= target_ms and not ours.missing
            verdict = f"{'meets' if met else 'MISSES'} the target (≤ {target_ms:g} ms)"
        print(
            f"  {tabs} tabs: p50 {mine.p50:.1f} ms, p99 {mine.p99:.1f} ms "
            f"(Flask-SSE {ref.p50:.1f} / {ref.p99:.1f} ms), {ours.missing} deliveries missing "
            f"— {verdict}"
        )
        for name, value, other in (("p50", mine.p50, ref.p50), ("p99", mine.p99, ref.p99)):
            record(
                "M5",
                f"delivery {name}, {tabs} tabs",
                round(value, 2),
                "ms",
                database=database,
                reference=round(other, 2),
                target=f"≤ {target_ms:g} ms" if name == "p99" and target_ms else "",
                met=met if name == "p99" else None,
                tabs=tabs,
            )
        for r in (ours, theirs):
            busy = r.machine_busy / r.wall / (os.cpu_count() or 1) * 100
            worker = f"worker.py CPU {r.other_cpu:.1f} s; " if r.path == "durable" else ""
            print(
                f"    {r.path}: {r.tabs * r.tokens} deliveries in {r.wall:.1f} s, the machine "
                f"{busy:.0f}% busy; {worker}Redis connections {r.redis_clients:+d} with the tabs"
            )
            for note in r.notes:
                print(f"    {r.path}: {note}")


def main() -> None:
    """Parse the knobs, run each database, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 tabs, 3 s of tokens")
    parser.add_argument("--tabs", type=int, nargs="+", help="tab counts (default 1000 5000)")
    parser.add_argument("--rate", type=float, default=20.0, help="tokens per second")
    parser.add_argument("--seconds", type=float, help="seconds of tokens (default 10; quick 3)")
    parser.add_argument("--per-client", type=int, default=2500, help="tabs per client process")
    parser.add_argument("--tab-client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    limit = raise_nofile()
    if args.tab_client:
        TabClient(json.loads(args.tab_client)).run()
        return
    args.tabs = args.tabs or ([200, 1000] if args.quick else [1000, 5000])
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.tokens = max(1, round(args.seconds * args.rate))
    if min(args.tabs) <= WARM_TABS:
        parser.error(f"--tabs must exceed the {WARM_TABS} warm tabs")
    # The web process holds each tab's socket and, for Flask-SSE, its Redis connection.
    if 2 * max(args.tabs) + 200 > limit:
        raise SystemExit(
            f"{max(args.tabs)} tabs need about {2 * max(args.tabs) + 200} open "
            f"files per process; RLIMIT_NOFILE's hard limit is {limit}"
        )
    install_cleanup()
    context, load_before = machine(), load()
    provider, provider_url = start_provider()
    results = {}
    try:
        for database in databases(args.database):
            results[database] = measure(database, provider_url, args)
    finally:
        provider.stop()
    print("Fan-out per gevent web process: one job's stream to N tabs, beside Flask-SSE")
    print(
        f"  one gunicorn gevent worker (gunicorn.conf.py, -w 1); {args.tokens} marker tokens at "
        f"{args.rate:g}/s; tabs in {', '.join(map(str, args.tabs))}; latency = receipt − the "
        "provider's send (durable) or the publish (Flask-SSE)"
    )
    print(f"  {context}; load average {load_before} before, {load()} after")
    for database, rounds in results.items():
        report(database, rounds, args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
