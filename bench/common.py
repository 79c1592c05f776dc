"""Shared benchmark helpers: processes, databases, accounts, projects and percentiles."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx2
import redis
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FLASK = str(Path(PYTHON).with_name("flask"))
# Databases the benchmarks own; the tests use the `test` database and Redis db 0.
POSTGRES_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qc"]
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/swbench"
REDIS_URL = "redis://127.0.0.1:6379/2"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
USERNAME, PASSWORD = "bench", "bench-password"


# ---------------------------------------------------------------------------------- processes


class Proc:
    """A subprocess in its own process group that announces readiness with a line on stdout."""

    running: list[Proc] = []

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], ready: str, timeout: float = 60
    ) -> None:
        """Start the process and wait until it prints a line containing ``ready``."""
        self.name = name
        self.lines: deque[str] = deque(maxlen=200)
        self.ready_line = ""
        self._ready = threading.Event()
        self._marker = ready
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        Proc.running.append(self)
        threading.Thread(target=self._pump, daemon=True, name=f"out-{name}").start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = "".join(self.lines)
                raise RuntimeError(f"{name} did not become ready:\n{tail}")

    def _pump(self) -> None:
        """Keep reading output (the child never blocks on a full pipe); spot the ready line."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if not self._ready.is_set() and self._marker in line:
                self.ready_line = line.strip()
                self._ready.set()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the whole group, wait, then SIGKILL whatever of the group is left."""
        if self in Proc.running:
            Proc.running.remove(self)
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # Children (workers, work horses) may outlive the leader: the group goes too.
        _signal_group(self.proc.pid, signal.SIGKILL)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def output(self) -> str:
        """The last lines the process printed."""
        return "".join(self.lines)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    """Stop every process still running, newest first."""
    for proc in reversed(list(Proc.running)):
        proc.stop()


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop every started process at exit: also on Ctrl-C (even if inherited as ignored),
    SIGTERM and SIGHUP."""
    atexit.register(stop_all)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)


def start_provider() -> tuple[Proc, str]:
    """The fake OpenAI-compatible server; returns it and its base URL."""
    proc = Proc(
        "provider", [PYTHON, str(ROOT / "tests" / "fake_provider.py"), "--port", "0"], {}, "READY"
    )
    return proc, proc.ready_line.split()[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------- the app


@dataclass
class Database:
    """Where one benchmark pass keeps its data."""

    kind: str
    url: str
    _tmp: str | None = None
    _engine: Engine | None = None

    def engine(self) -> Engine:
        """A SQLAlchemy engine on the database, to read what the app wrote."""
        if self._engine is None:
            url = self.url.replace("postgresql://", "postgresql+psycopg://", 1)
            self._engine = create_engine(url, poolclass=NullPool)
        return self._engine

    def cleanup(self) -> None:
        """Close the engine; remove the SQLite directory (PostgreSQL's stays for inspection)."""
        if self._engine is not None:
            self._engine.dispose()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def prepare_database(kind: str) -> Database:
    """A fresh SQLite file in a temporary directory, or the recreated `swbench` database."""
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="swbench-")
        return Database(kind, f"sqlite:///{tmp}/script_writer.db", tmp)
    if kind == "postgres":
        for sql in ("DROP DATABASE IF EXISTS swbench WITH (FORCE)", "CREATE DATABASE swbench"):
            subprocess.run([*POSTGRES_ADMIN, sql], check=True, capture_output=True, text=True)
        return Database(kind, POSTGRES_URL)
    raise ValueError(f"unknown database {kind!r}")


def redis_client() -> redis.Redis:
    """The benchmarks' Redis database (never db 0, which the tests use)."""
    client = redis.Redis.from_url(REDIS_URL)
    assert client.connection_pool.connection_kwargs.get("db") == 2
    return client


def flush_redis() -> None:
    """Empty the benchmarks' Redis database."""
    client = redis_client()
    client.flushdb()
    client.close()


def app_env(database: Database, provider_url: str, workers: int, port: int) -> dict[str, str]:
    """The environment of the app, its workers and the operator commands."""
    return {
        "PORT": str(port),
        "WORKERS": str(workers),
        "DATABASE_URL": database.url,
        "REDIS_URL": REDIS_URL,
        "LLM_API_KEY": "bench",
        "LLM_BASE_URL": provider_url + "/v1",
        "LLM_MODEL": "fake-model",
        "SECRET_KEY": "bench-secret-key",
        "RATELIMIT_JOBS": "100000 per minute",
        "RATELIMIT_LOGIN": "100000 per minute",
        "LOG_LEVEL": "WARNING",
    }


def start_app(env: dict[str, str]) -> tuple[Proc, str]:
    """python app.py; returns it and its URL."""
    script = ROOT / "app.py"
    proc = Proc("app", [PYTHON, str(script)], env, "is running at", timeout=120)
    return proc, f"http://127.0.0.1:{env['PORT']}"


def operator(env: dict[str, str], *args: str) -> str:
    """Run `flask --app app ARGS` with the app's environment; return what it printed."""
    result = subprocess.run(
        [FLASK, "--app", "app", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def create_account(env: dict[str, str]) -> str:
    """Create the bench user with the operator commands; return a new API token."""
    operator(env, "users", "create", USERNAME, "--password", PASSWORD)
    return operator(env, "tokens", "create", USERNAME).strip().splitlines()[-1]


def create_projects(base_url: str, token: str, count: int, prefix: str = "Bench") -> list[int]:
    """Create ``count`` projects through the JSON API."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=base_url, headers=headers, timeout=30) as http:
        ids = []
        for index in range(count):
            response = http.post("/api/projects", json={"name": f"{prefix} {index}"})
            response.raise_for_status()
            ids.append(response.json()["projectId"])
        return ids


def csrf_token(html: str) -> str:
    """The CSRF token of a form page."""
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1) or match.group(2)


def sign_in(base_url: str) -> httpx2.Client:
    """A keep-alive browser-like session signed in as the bench user."""
    http = httpx2.Client(base_url=base_url, timeout=30, follow_redirects=False)
    token = csrf_token(http.get("/login").text)
    response = http.post(
        "/login", data={"csrf_token": token, "username": USERNAME, "password": PASSWORD}
    )
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
    return http


# ---------------------------------------------------------------------------------- figures


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Summary:
    """p50, p99, mean and max of a sample, in milliseconds."""

    n: int
    p50: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> Summary:
        """Summarise durations given in seconds."""
        ms = [s * 1000 for s in seconds]
        mean = sum(ms) / len(ms) if ms else float("nan")
        return cls(len(ms), percentile(ms, 50), percentile(ms, 99), mean, max(ms, default=0.0))


@dataclass
class Table:
    """A plain-text table printed once all rows are in."""

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        """Add a row; floats get two decimals."""
        self.rows.append([f"{c:.2f}" if isinstance(c, float) else str(c) for c in cells])

    def render(self) -> str:
        """The table with aligned columns."""
        widths = [
            max(len(r[i]) for r in [self.headers, *self.rows]) for i in range(len(self.headers))
        ]
        line = "  ".join("-" * w for w in widths)
        out = ["  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True)), line]
        out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in self.rows]
        return "\n".join(out)


def databases(choice: str) -> list[str]:
    """The databases named by --database."""
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.02) -> Any:
    """Poll until check() is truthy; return its value or raise naming what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def load() -> str:
    """The machine's load averages (1, 5 and 15 minutes)."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    """One line about what the figures come from: the code and the machine."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
        changed = [line for line in dirty.stdout.splitlines() if not line.endswith("bench/")]
        code = f"code {head.stdout.strip()}"
        code += f" + {len(changed)} uncommitted paths" if changed else ""
    else:
        code = f"code in {ROOT} (not a git checkout)"
    return f"{code}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
