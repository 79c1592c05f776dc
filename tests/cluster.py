"""Real processes for the fault tests: a private Redis, web servers and workers that a test
may kill, a stream client that assembles a job's text as any client must, and a record of
the faults injected and the recovery times measured."""

import json
import os
import signal
import statistics
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import redis
from factories import BRAINSTORM_PARAMS
from flask import Flask
from sqlalchemy import select
from support import Account, Process, create_account, events, python, wait_for

from app.artifacts.models import Artifact, TransformOutput
from app.embedded import server_binary
from app.extensions import db
from app.jobs.models import RESULT_ROLE, LlmTransform, Transform, TransformChunk

# Short timings, so that a lost worker is noticed in seconds (LEASE_SECONDS) and retried at once.
FAST = {
    "LEASE_SECONDS": "3",
    "SWEEP_SECONDS": "0.5",
    "RETRY_BASE_SECONDS": "0.2",
    "RETRY_MAX_SECONDS": "1",
    "STALL_SECONDS": "10",
    "LOG_LEVEL": "INFO",
}
MARK = "SW_FAULT_CLUSTER"  # in the environment of every process a cluster starts (and forks)
PARAMS = BRAINSTORM_PARAMS


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------- the record


class Record:
    """Faults injected and recovery times measured, printed as a summary after the module."""

    def __init__(self) -> None:
        self.faults: list[tuple[str, str]] = []
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.notes: dict[str, list[str]] = defaultdict(list)
        self.test = ""

    def fault(self, kind: str) -> float:
        """Count a fault as it is injected; returns its time (time.monotonic)."""
        self.faults.append((self.test, kind))
        print(f"  fault: {kind}", flush=True)
        return time.monotonic()

    def timing(self, name: str, seconds: float) -> float:
        self.timings[name].append(seconds)
        print(f"  {name}: {seconds:.3f}s", flush=True)
        return seconds

    def note(self, name: str, value: str) -> None:
        self.notes[name].append(value)
        print(f"  {name}: {value}", flush=True)

    def summary(self) -> str:
        kinds: dict[str, int] = defaultdict(int)
        for _test, kind in self.faults:
            kinds[kind] += 1
        lines = [f"faults injected: {len(self.faults)}"]
        lines += [f"  {count:3d} × {kind}" for kind, count in sorted(kinds.items())]
        lines.append("recovery times (s): n, min / median / max")
        for name, values in sorted(self.timings.items()):
            lines.append(
                f"  {name}: n={len(values)}, {min(values):.2f} / "
                f"{statistics.median(values):.2f} / {max(values):.2f}"
            )
        lines += [f"  {name}: {', '.join(values)}" for name, values in sorted(self.notes.items())]
        return "\n".join(lines)


RECORD = Record()


# ----------------------------------------------------------------------------- processes


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    """The live child processes of a process (what `ps --ppid` lists)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read(f"/proc/{entry}/stat").decode(errors="replace")
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry))
    return found


def cmdline(pid: int) -> list[str]:
    return [part.decode(errors="replace") for part in _read(f"/proc/{pid}/cmdline").split(b"\0")]


def alive(pid: int) -> bool:
    stat = _read(f"/proc/{pid}/stat").decode(errors="replace")
    return bool(stat) and stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def stopped(pid: int) -> bool:
    stat = _read(f"/proc/{pid}/stat").decode(errors="replace")
    return bool(stat) and stat.rsplit(")", 1)[-1].split()[0] == "T"


def marked(mark: str) -> list[int]:
    """Every live process whose environment carries this cluster's mark (forks included)."""
    needle = f"{MARK}={mark}".encode()
    return [
        int(entry)
        for entry in os.listdir("/proc")
        if entry.isdigit() and needle in _read(f"/proc/{entry}/environ").split(b"\0")
    ]


class RedisServer:
    """A redis-server this test owns (never the machine's): restart it, flush it, kill it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host  # the many-hosts test gives it a loopback address of its own
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def start(self) -> float:
        """Start it (empty: no persistence) and wait until it answers; returns that time."""
        self.proc = subprocess.Popen(
            [
                str(server_binary()),
                "--port", str(self.port),
                "--bind", self.host,
                "--save", "",
                "--appendonly", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_for(self.answers, timeout=10, every=0.01)
        return time.monotonic()

    def answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """Crash it: what it held in memory is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        self.kill()


@dataclass
class WebServer:
    url: str
    process: Process


class Worker:
    """A `python worker.py` process: its attempts and its sweeper run in its threads."""

    def __init__(self, env: dict[str, str], prefix: tuple[str, ...] = ()) -> None:
        """`prefix` runs it through another command that execs it (same pid), e.g. `unshare`."""
        self.process = Process([*prefix, *python("worker.py")], env, " ready: ", timeout=60)
        self.pid = self.process.proc.pid

    def signal_group(self, sig: int) -> None:
        """Signal the worker (its process group: the process and nothing else)."""
        os.killpg(self.pid, sig)

    def output(self) -> str:
        return self.process.output()


class Cluster:
    """Web servers and workers on one database and one Redis, all stopped at the end."""

    def __init__(self, env: dict[str, str], redis_server: RedisServer) -> None:
        self.redis = redis_server
        self.mark = uuid.uuid4().hex
        self.env = {**env, **FAST, "REDIS_URL": redis_server.url, MARK: self.mark}
        self.webs: list[WebServer] = []
        self.workers: list[Worker] = []
        self.clients: list[StreamClient] = []
        self.http: list[httpx2.Client] = []

    def web(self) -> str:
        """`python app.py` serving only the web (WORKERS=0); its URL."""
        port = free_port()
        env = {**self.env, "PORT": str(port), "WORKERS": "0", "LOG_LEVEL": "WARNING"}
        process = Process(python("app.py"), env, "is running at", timeout=60)
        self.webs.append(WebServer(f"http://127.0.0.1:{port}", process))
        return self.webs[-1].url

    def worker(self) -> Worker:
        self.workers.append(Worker(self.env))
        return self.workers[-1]

    def start(self, webs: int, workers: int) -> tuple[list[str], list[Worker]]:
        """Start web servers and workers side by side (each takes seconds to import)."""
        with ThreadPoolExecutor(webs + workers) as pool:
            urls = [pool.submit(self.web) for _ in range(webs)]
            started = [pool.submit(self.worker) for _ in range(workers)]
            return [f.result() for f in urls], [f.result() for f in started]

    def api(self, url: str, account: "Account") -> httpx2.Client:
        self.http.append(httpx2.Client(base_url=url, headers=account.bearer, timeout=15))
        return self.http[-1]

    def stream(self, url: str, account: "Account", job_id: int) -> "StreamClient":
        self.clients.append(StreamClient(url, account.bearer, job_id))
        return self.clients[-1]

    def holder(self, owner: str | None) -> "Worker":
        """The worker holding a lease "host:pid:thread"."""
        assert owner, "the job has no lease owner"
        pid = int(owner.split(":")[1])
        for worker in self.workers:
            if worker.pid == pid:
                return worker
        raise AssertionError(f"lease owner {owner} is not a worker of this cluster")

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for http in self.http:
            http.close()
        # SIGKILL everything we started, by the cluster's mark (whatever it started itself).
        for _round in range(3):
            pids = [p for p in marked(self.mark) if p != os.getpid()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for process in [w.process for w in self.workers] + [w.process for w in self.webs]:
            process.stop(signal.SIGKILL, timeout=5)
        self.redis.stop()


# ----------------------------------------------------------------------------- accounts, jobs


make_account = create_account  # the name the fault tests use


def start_echo(cluster: "Cluster", account: "Account", params: dict[str, Any]) -> int:
    """A job of the test-only echo kind (it has no API), started the way the app starts jobs,
    on the cluster's database and queue."""
    from echo import ECHO

    from app import create_app
    from app.auth.models import User
    from app.extensions import db
    from app.jobs.control import launch
    from app.jobs.starting import start_job as record_job
    from app.projects.domain import create_project

    app = create_app({"TESTING": True, "DATABASE_URL": cluster.env["DATABASE_URL"]})
    app.config["REDIS_URL"] = cluster.env["REDIS_URL"]
    with app.app_context():
        project = create_project(db.session.get(User, account.id), "Echo")
        db.session.flush()
        started = record_job(ECHO, project.id, account.id, ECHO.params(**params), None)
        db.session.commit()
        launch(started.transform)
        job_id = started.transform.id
        db.session.remove()
        db.engine.dispose()
    return job_id


def start_job(http: httpx2.Client, script: str, project: str = "Faults") -> int:
    """A project and a brainstorm whose model answer is the named script."""
    response = http.post("/api/projects", json={"name": project})
    assert response.status_code == 201, response.text
    body = {
        "projectId": response.json()["projectId"],
        "params": {**PARAMS, "requirements": f"[[script:{script}]]"},
    }
    response = http.post("/api/brainstorm/start", json=body)
    assert response.status_code == 202, response.text
    return response.json()["transformId"]


def ideas_content(tag: str) -> str:
    """Three ideas, pretty-printed like real models write them."""
    ideas = [
        {"title": f"{tag} 雨夜重逢", "body": "她在雨里等了三年，等来的却是他的婚礼请柬。" * 2},
        {"title": f"{tag} Second chance", "body": "A body that takes a while to write. " * 3},
        {"title": f"{tag} 第三个故事", "body": "反转之后还有反转，直到最后一秒。" * 3},
    ]
    return json.dumps({"ideas": ideas}, ensure_ascii=False, indent=2)


def after_idea(content: str, number: int) -> int:
    """The character offset just after the given idea (1-based) closes."""
    at = 0
    for _ in range(number):
        at = content.index("}", content.index('"title"', at)) + 1
    return at


# ----------------------------------------------------------------------------- the database


class Store:
    """Read a cluster's database from the test (a fresh session each time: no stale reads)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _read(self, query: Any) -> list[dict[str, Any]]:
        with self.app.app_context():
            try:
                return [dict(row) for row in db.session.execute(query).mappings()]
            finally:
                db.session.remove()

    def job(self, job_id: int) -> dict[str, Any]:
        return self._read(select(Transform.__table__).where(Transform.id == job_id))[0]

    def attempts(self, job_id: int) -> list[dict[str, Any]]:
        table = LlmTransform.__table__
        return self._read(
            select(table).where(table.c.transform_id == job_id).order_by(table.c.attempt)
        )

    def chunks(self, job_id: int, attempt: int) -> list[dict[str, Any]]:
        table = TransformChunk.__table__
        return self._read(
            select(table)
            .where(table.c.transform_id == job_id, table.c.attempt == attempt)
            .order_by(table.c.seq)
        )

    def results(self, job_id: int) -> list[dict[str, Any]]:
        rows = self._read(
            select(Artifact.data, TransformOutput.attempt)
            .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
            .where(TransformOutput.transform_id == job_id, TransformOutput.role == RESULT_ROLE)
            .order_by(TransformOutput.position)
        )
        return [{**row["data"], "attempt": row["attempt"]} for row in rows]

    def wait_status(self, job_id: int, *statuses: str, timeout: float = 60) -> dict[str, Any]:
        return wait_for(
            lambda: (job := self.job(job_id))["status"] in statuses and job, timeout, every=0.05
        )

    def wait_new_attempt(self, job_id: int, attempt: int, timeout: float = 60) -> int:
        """Wait until an attempt after `attempt` is claimed (the job runs again)."""
        job = wait_for(
            lambda: (j := self.job(job_id))["attempt"] > attempt and j["status"] != "pending" and j,
            timeout,
            every=0.02,
        )
        return job["attempt"]

    def wait_chunks(self, job_id: int, attempt: int, count: int, timeout: float = 30) -> None:
        wait_for(
            lambda: (j := self.job(job_id))["attempt"] == attempt and j["last_seq"] >= count,
            timeout,
            every=0.02,
        )


# ----------------------------------------------------------------------------- stream client


@dataclass
class Received:
    at: float  # time.monotonic()
    event: str
    data: dict[str, Any]


@dataclass
class StreamClient:
    """Follows /api/streaming/transform/<id> on a thread, like any API client: starts over
    when told to (a status event with "reset"), resumes with Last-Event-ID after a drop.
    Each connection goes to `base_url` as it is then (a test may move it to another host)."""

    base_url: str
    headers: dict[str, str]
    job_id: int
    received: list[Received] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    attempt: int | None = None
    seq: int = 0
    last_id: str | None = None  # the cursor it resumes from (sent as Last-Event-ID)
    anomalies: list[str] = field(default_factory=list)
    done: dict[str, Any] | None = None
    reconnects: int = 0
    resets: int = 0
    settled: bool = False  # the end was read from the job's state, not from the stream
    connected: threading.Event = field(default_factory=threading.Event)
    _closed: bool = False
    _response: Any = None

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="sse-client")
        self._thread.start()
        assert self.connected.wait(15), "the stream did not open"

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def chunks(self) -> list[Received]:
        return [r for r in self.received if r.event == "chunk"]

    def first_chunk_after(self, moment: float) -> float | None:
        return next((r.at for r in self.chunks() if r.at > moment), None)

    def wait_done(self, timeout: float = 60) -> dict[str, Any]:
        self._thread.join(timeout)
        assert self.done is not None, f"no done event; received {len(self.received)} events"
        return self.done

    def close(self) -> None:
        self._closed = True
        response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # noqa: BLE001 - closing under a reading thread
                pass

    def _run(self) -> None:
        timeout = httpx2.Timeout(30, connect=5)
        with httpx2.Client(headers=self.headers, timeout=timeout) as http:
            while not self._closed and self.done is None:
                headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
                base = self.base_url
                try:
                    url = f"{base}/api/streaming/transform/{self.job_id}"
                    with http.stream("GET", url, headers=headers) as response:
                        self._response = response
                        self.connected.set()
                        if not response.headers["content-type"].startswith("text/event-stream"):
                            response.read()
                            self._settle(http.get(f"{base}/api/jobs/{self.job_id}").json())
                            return
                        for event in events(response):
                            self.last_id = event.id or self.last_id
                            self._handle(event.event, event.json())
                            if self.done is not None:
                                return
                except (httpx2.HTTPError, OSError, ValueError):
                    pass
                if not self._closed and self.done is None:
                    self.reconnects += 1
                    time.sleep(0.2)

    def _settle(self, state: dict[str, Any]) -> None:
        """The job ended while we were away (the stream answers JSON): take the rest of the
        text from the job's state, as a client must."""
        if state["attempt"] != self.attempt:
            self.parts, self.attempt, self.seq = [], state["attempt"], 0
        for chunk in state["chunks"]:
            if chunk["seq"] > self.seq:
                self.parts.append(chunk["text"])
                self.seq = chunk["seq"]
        self.settled = True
        self.done = {"status": state["status"]}

    def _handle(self, name: str, data: dict[str, Any]) -> None:
        self.received.append(Received(time.monotonic(), name, data))
        if name == "status" and data.get("reset"):
            self.parts, self.attempt, self.seq = [], data["attempt"], 0
            self.resets += 1
        elif name == "chunk":
            if data["attempt"] != self.attempt:
                self.anomalies.append(f"chunk of attempt {data['attempt']} without a reset")
            elif data["seq"] != self.seq + 1:
                self.anomalies.append(f"chunk {data['seq']} after {self.seq}")
            self.parts.append(data["text"])
            self.attempt, self.seq = data["attempt"], data["seq"]
        elif name == "done":
            self.done = data


# ----------------------------------------------------------------------------- the invariant


def check_invariant(
    store: Store, client: StreamClient | None, job_id: int, ideas: int = 3
) -> dict[str, Any]:
    """The job is completed, once, by one attempt whose stored raw response is what the
    client assembled; its ideas are the requested number, none twice."""
    if client is not None:
        assert client.wait_done() == {"status": "completed"}, client.done
    job = store.wait_status(job_id, "completed", "failed", "cancelled")
    assert job["status"] == "completed", job
    assert job["finished_at"] is not None and job["lease_owner"] is None
    attempts = store.attempts(job_id)
    winners = [a for a in attempts if a["error"] is None and a["finished_at"] is not None]
    assert [w["attempt"] for w in winners] == [job["attempt"]], attempts
    raw = winners[0]["raw_response"]
    assert raw and "".join(c["text"] for c in store.chunks(job_id, job["attempt"])) == raw
    if client is not None:
        assert client.anomalies == [], client.anomalies
        assert client.attempt == job["attempt"]
        assert client.text == raw
    results = store.results(job_id)
    titles = [r["title"] for r in results]
    assert len(titles) == ideas and len(set(titles)) == ideas, titles
    time.sleep(0.3)  # nothing moves it out of its final state afterwards
    assert store.job(job_id)["status"] == "completed"
    return job
