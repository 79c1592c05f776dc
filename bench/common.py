"""Shared benchmark helpers: processes, databases, accounts, projects, /proc figures and
percentiles.

Databases: every script measures SQLite (a fresh file in a temporary directory) and, when
BENCH_DATABASE_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/swbench8), PostgreSQL
too. The database named in BENCH_DATABASE_URL is DROPPED and CREATED afresh for each pass
(through the server's `postgres` maintenance database, with the URL's user and host): give
the benchmarks a database of their own, never one that others use. Redis: db 2 of
127.0.0.1:6379 (BENCH_REDIS_URL overrides it; never db 0, which the tests use)."""

from __future__ import annotations

import atexit
import json
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
from urllib.parse import urlsplit, urlunsplit

import httpx2
import redis
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FLASK = str(Path(PYTHON).with_name("flask"))
# Databases the benchmarks own; the tests use the `test` database and Redis db 0.
POSTGRES_URL = os.environ.get("BENCH_DATABASE_URL", "")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
# Databases a benchmark must never drop, whatever BENCH_DATABASE_URL says.
NOT_OURS = {"postgres", "template0", "template1", "test", "swdev", "swtest2"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
USERNAME, PASSWORD = "bench", "bench-password"
# Phrases counted in every process's output: a refused database connection, a worker's write
# retried, gevent's monitor thread reporting a hub blocked longer than
# GEVENT_MAX_BLOCKING_TIME, and any traceback.
WATCHED = ("too many clients", "database write failed", "appears to be blocked", "Traceback")


# ---------------------------------------------------------------------------------- processes


class Proc:
    """A subprocess in its own process group that announces readiness with a line on stdout."""

    running: list[Proc] = []

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], ready: str, timeout: float = 60
    ) -> None:
        """Start the process and wait until it prints a line containing ``ready``."""
        self.name = name
        self.lines: deque[str] = deque(maxlen=2000)
        self.counts: dict[str, int] = {}  # watched phrase → lines that contained it
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
            for phrase in WATCHED:
                if phrase in line:
                    self.counts[phrase] = self.counts.get(phrase, 0) + 1
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
        """A SQLAlchemy engine on the database, to read what the app wrote: one connection,
        kept (open it before the app starts, with hold(), so that a server whose
        max_connections the app's pools use up still lets the benchmark read)."""
        if self._engine is None:
            url = self.url.replace("postgresql://", "postgresql+psycopg://", 1)
            if self.kind == "sqlite":
                self._engine = create_engine(url, poolclass=NullPool)
            else:
                self._engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        return self._engine

    def hold(self) -> None:
        """Open the benchmark's own connection now (it stays in the engine's pool)."""
        with self.engine().connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def connections(self) -> int:
        """Connections to this PostgreSQL database now (pg_stat_activity); 0 on SQLite."""
        if self.kind != "postgres":
            return 0
        with self.engine().connect() as connection:
            return connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            ).scalar_one()

    def max_connections(self) -> int:
        """The server's max_connections (0 on SQLite)."""
        if self.kind != "postgres":
            return 0
        with self.engine().connect() as connection:
            return int(connection.exec_driver_sql("SHOW max_connections").scalar_one())

    def cleanup(self) -> None:
        """Close the engine; remove the SQLite directory (PostgreSQL's stays for inspection)."""
        if self._engine is not None:
            self._engine.dispose()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def postgres_url(suffix: str = "") -> str:
    """BENCH_DATABASE_URL (its database name + ``suffix``), or exit saying it is not set."""
    if not POSTGRES_URL:
        raise SystemExit("PostgreSQL figures need BENCH_DATABASE_URL (see bench/common.py)")
    parts = urlsplit(POSTGRES_URL)
    name = parts.path.lstrip("/") + suffix
    if not name or name in NOT_OURS:
        raise SystemExit(f"BENCH_DATABASE_URL names {name!r}: give the benchmarks their own")
    return urlunsplit(parts._replace(path="/" + name))


def recreate_postgres(url: str) -> None:
    """Drop and create the database named in ``url`` (connected to its server's `postgres`)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_database(kind: str, suffix: str = "") -> Database:
    """A fresh SQLite file in a temporary directory, or the recreated BENCH_DATABASE_URL."""
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="swbench-")
        return Database(kind, f"sqlite:///{tmp}/script_writer.db", tmp)
    if kind == "postgres":
        url = postgres_url(suffix)
        recreate_postgres(url)
        return Database(kind, url)
    raise ValueError(f"unknown database {kind!r}")


def redis_client() -> redis.Redis:
    """The benchmarks' Redis database (never db 0, which the tests use)."""
    client = redis.Redis.from_url(REDIS_URL)
    assert client.connection_pool.connection_kwargs.get("db", 0) not in (0, 4, 6), REDIS_URL
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
        # One user starts every job: the per-user limits must not refuse them.
        "RATELIMIT_JOBS": "100000 per minute",
        "MAX_ACTIVE_JOBS_PER_USER": "100000",
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


# ---------------------------------------------------------------------------------- /proc

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The process's live children, grandchildren …"""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as file:
                    children = [int(c) for c in file.read().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def cpu_seconds(pid: int, children: bool = True) -> float:
    """utime + stime of a process (from /proc/<pid>/stat); with ``children``, also its
    reaped children's (cutime + cstime) and its live descendants'."""
    total = 0.0
    for each in [pid, *(descendants(pid) if children else [])]:
        try:
            with open(f"/proc/{each}/stat") as file:
                fields = file.read().rpartition(")")[2].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        if children and each == pid:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime (16, 17)
        total += ticks / CLOCK_TICKS
    return total


def pss_kb(pid: int) -> int:
    """The process's proportional set size, in kB (/proc/<pid>/smaps_rollup)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_cpu() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy, and busy + idle, so far (/proc/stat)."""
    with open("/proc/stat") as file:
        fields = [int(v) for v in file.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    return busy / CLOCK_TICKS, (busy + idle + iowait) / CLOCK_TICKS


def processes_named(word: str) -> list[int]:
    """Pids whose command name (/proc/<pid>/comm) starts with ``word`` (e.g. postgres)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as file:
                    if file.read().startswith(word):
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


class Sampler(threading.Thread):
    """Samples a figure every ``every`` seconds until stopped: by default the summed PSS (kB)
    of some processes, or whatever ``measure`` returns."""

    def __init__(
        self,
        pids: Callable[[], list[int]] = list,
        every: float = 0.25,
        measure: Callable[[], int] | None = None,
    ) -> None:
        """``pids`` is called at each sample (processes may come and go)."""
        super().__init__(daemon=True, name="sampler")
        self.pids, self.every = pids, every
        self.measure = measure or (lambda: sum(pss_kb(pid) for pid in self.pids()))
        self.samples: list[int] = []
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until stop()."""
        while not self._halt.wait(self.every):
            try:
                self.samples.append(self.measure())
            except Exception:  # noqa: BLE001, S112 - a missed sample is no figure
                continue

    def stop(self) -> None:
        """End the sampling."""
        self._halt.set()
        self.join(5)

    @property
    def peak(self) -> int:
        """The largest sample."""
        return max(self.samples, default=0)

    @property
    def peak_mb(self) -> float:
        """The largest sample of kB, in MB."""
        return self.peak / 1024


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
    """The databases named by --database: "auto" is SQLite, and PostgreSQL when
    BENCH_DATABASE_URL is set; "postgres" and "both" need it set."""
    if choice == "auto":
        return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
    chosen = ["sqlite", "postgres"] if choice == "both" else [choice]
    if "postgres" in chosen:
        postgres_url()  # exits with a message when it is not set
    return chosen


def add_database_option(parser: Any) -> None:
    """--database sqlite|postgres|both|auto (auto: PostgreSQL only with BENCH_DATABASE_URL)."""
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both", "auto"],
        default="auto",
        help="auto: SQLite, and PostgreSQL when BENCH_DATABASE_URL is set",
    )


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
        # The benchmarks' own files do not count: what they measure is the rest.
        changed = [line for line in dirty.stdout.splitlines() if not line[3:].startswith("bench/")]
        code = f"code {head.stdout.strip()}"
        code += f" + {len(changed)} uncommitted paths" if changed else ""
    else:
        code = f"code in {ROOT} (not a git checkout)"
    return f"{code}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"


# ------------------------------------------------------------------------------ the record

RECORD_ENV = "BENCH_RECORD"  # a JSON-lines file the suite (bench/suite.py) reads back


def record(
    figure: str,
    measure: str,
    value: float,
    unit: str,
    *,
    database: str = "",
    reference: float | None = None,
    target: str = "",
    met: bool | None = None,
    **extra: Any,
) -> None:
    """Keep one figure for the suite's table: `figure` is the issue's id (M1, M2, …, J, S),
    `measure` what was measured ("added p99"), `reference` the same measure of the run's
    reference in the same unit, `target` the issue's words ("≤ 25 ms") and `met` whether the
    run met it (None: no target). Extra keys (e.g. jobs=20 for a point of a curve) go along.
    Written only when BENCH_RECORD names a file; a script run on its own just prints."""
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    row = {
        "figure": figure,
        "measure": measure,
        "value": value,
        "unit": unit,
        "database": database,
        "reference": reference,
        "target": target,
        "met": met,
        "script": Path(sys.argv[0]).name,
        "load": load(),
        **extra,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
