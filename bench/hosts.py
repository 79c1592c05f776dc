"""Many hosts: completed demo jobs per second, and CPU per host, with 1, 2 and 4 worker hosts
(issue 13, figure H).

    .venv/bin/python bench/hosts.py [--database auto|sqlite|postgres|both] [--quick]
        [--hosts 1,2,4] [--webs 2] [--jobs 200] [--slots 8] [--long-slots 1] [--token-ms 2]

Each host is a process group on a loopback address of its own: web hosts are gunicorn with
one gevent worker, as the Procfile runs it, on 127.0.0.2 and 127.0.0.3 (--webs 1: the first
only); worker hosts are `python worker.py` with JOB_CONCURRENCY=--slots and
LONG_JOB_CONCURRENCY=--long-slots (no long job runs here), named
worker-N-127-0-0-X (their own hostname in a UTS namespace, where this process may make one:
the leases they take say which host holds a job). Their outgoing connections all leave from
127.0.0.1: neither libpq nor redis-py is given a source address. One database, one Redis
(BENCH_REDIS_URL), migrated first as the Procfile's release phase does.

A round per worker-host count: the worker hosts start, a few untimed jobs warm them up, then
--jobs brainstorms of one idea (the offline demo model, a token every --token-ms) are POSTed
by four threads, alternately to each web host, each in a project of its own (one active
job per project and kind). Jobs per second: jobs / (last finished_at − first created_at),
both written by the app. CPU per host: utime + stime of its process group (/proc) over the
round (from the first POST until all have ended), as seconds, share of one core and
milliseconds per job; beside them the database's backends (PostgreSQL; on SQLite the
workers write the file themselves), the shared Redis server (others' use included), this
script (the clients) and the whole machine.

On a machine of few cores every host shares the same cores, so more worker hosts add
coordination (processes polling the queue, heartbeats, sweepers, connections), not
capacity: the figures show its cost, not scaling. `--quick`: 40 jobs a round.

Found with it: while all of a worker's short slots are busy and a long slot is free, its
loop waits on the long queue alone (BLPOP, up to 1 s), so a short slot freed meanwhile
stays idle until that wait ends; a busy worker starts each queued short job up to a second
late. `--long-slots 0` shows the figures without that wait.

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Records figure H (jobs/s, hosts=N)."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import httpx2
from common import (
    PYTHON,
    REDIS_URL,
    Database,
    Proc,
    Table,
    add_database_option,
    app_env,
    cpu_seconds,
    create_account,
    create_projects,
    databases,
    flush_redis,
    install_cleanup,
    load,
    machine,
    machine_cpu,
    operator,
    prepare_database,
    record,
    wait_until,
)
from sqlalchemy import text

WEB_ADDRESSES = ["127.0.0.2", "127.0.0.3"]
WORKER_ADDRESSES = ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"]
PARAMS = {
    "platform": "douyin",
    "genrePaths": [["女频", "爱情", "甜宠"]],
    "genreProportions": [100],
    "requirements": "",
    "numIdeas": 1,
}
SENDERS = 4  # threads POSTing the jobs


@dataclass
class Host:
    """A process group standing for one host, and its CPU seconds at the round's start."""

    name: str
    address: str
    proc: Proc
    start: float = 0.0


@dataclass
class Round:
    """One worker-host count's figures."""

    database: str
    hosts: int
    webs: int
    jobs: int
    seconds: float
    failed: int
    cpu: dict[str, tuple[str, float]] = field(default_factory=dict)  # name → (address, s)
    window: float = 0.0  # seconds the CPU was measured over
    machine: float = 0.0  # CPU seconds the whole machine was busy

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0

    @property
    def ours(self) -> float:
        """CPU seconds of the hosts and the database (not the shared Redis, not the client)."""
        return sum(s for name, (_a, s) in self.cpu.items() if name not in ("redis", "client"))


# ---------------------------------------------------------------------------------- hosts


def can_rename() -> bool:
    """Whether a process may get a hostname of its own (a UTS namespace: root, or a user
    namespace the kernel allows)."""
    try:
        done = subprocess.run(["unshare", "--uts", "hostname", "probe"], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


def common_port(addresses: list[str]) -> int:
    """A port free on every one of these addresses (each web host listens on the same)."""
    for _try in range(50):
        with socket.socket() as sock:
            sock.bind((addresses[0], 0))
            port = sock.getsockname()[1]
        try:
            for address in addresses[1:]:
                with socket.socket() as sock:
                    sock.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no port free on all of {addresses}")


def start_web(env: dict[str, str], address: str, port: int, folder: str) -> Host:
    """gunicorn as the Procfile runs it, with one gevent worker, bound to the address."""
    args = [
        *(PYTHON, "-m", "gunicorn", "--worker-connections", "1000", "-w", "1"),
        *("-b", f"{address}:{port}", "app:create_app()"),
    ]
    proc = Proc(f"web {address}", args, {**env, "DB_POOL_SIZE": "5"}, "Listening at:")
    url = f"http://{address}:{port}"
    wait_until(lambda: healthy(url), 60, f"{url}/healthz")
    return Host(f"web-{WEB_ADDRESSES.index(address) + 1}", address, proc)


def healthy(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx2.HTTPError:
        return False


def start_worker(env: dict[str, str], number: int, address: str, rename: bool) -> Host:
    """worker.py as worker host `number`, under a hostname of its own if allowed."""
    name = f"worker-{number}-{address.replace('.', '-')}"
    prefix = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', name] if rename else []
    proc = Proc(name, [*prefix, PYTHON, "worker.py"], env, " ready: ")
    return Host(name, address, proc)


def backends(database: Database) -> list[int]:
    """PostgreSQL's processes serving this database (their title names it)."""
    if database.kind != "postgres":
        return []
    name = urlsplit(database.url).path.lstrip("/")
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as file:
                    title = file.read().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {name} " in title:
                found.append(int(entry))
    return found


def redis_server() -> list[int]:
    """The redis-server listening on BENCH_REDIS_URL's port (shared with others)."""
    port = f":{urlsplit(REDIS_URL).port or 6379}"
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as file:
                    command = file.read().decode(errors="replace")
            except OSError:
                continue
            if command.startswith("redis-server") and port in command:
                found.append(int(entry))
    return found


# ---------------------------------------------------------------------------------- a round


class Meter:
    """CPU seconds of each host, the database's backends, Redis, this script and the machine,
    from one snapshot to the next (backends are summed per process: one that ends between
    the two is missed, one that starts counts from zero)."""

    def __init__(self, hosts: list[Host], database: Database) -> None:
        self.hosts, self.database = hosts, database
        self.backends = {pid: cpu_seconds(pid, children=False) for pid in backends(database)}
        self.redis = sum(cpu_seconds(pid, children=False) for pid in redis_server())
        for host in hosts:
            host.start = cpu_seconds(host.proc.proc.pid)
        self.client = time.process_time()
        self.busy = machine_cpu()[0]
        self.at = time.monotonic()

    def read(self) -> tuple[dict[str, tuple[str, float]], float, float]:
        """Per name (address, CPU seconds) since the snapshot; the seconds; the machine's."""
        cpu = {h.name: (h.address, cpu_seconds(h.proc.proc.pid) - h.start) for h in self.hosts}
        if self.database.kind == "postgres":
            now = {pid: cpu_seconds(pid, children=False) for pid in backends(self.database)}
            used = sum(s - self.backends.get(pid, 0.0) for pid, s in now.items())
            cpu["postgres"] = ("127.0.0.1", used)
        redis_now = sum(cpu_seconds(pid, children=False) for pid in redis_server())
        cpu["redis"] = ("127.0.0.1", redis_now - self.redis)
        cpu["client"] = ("127.0.0.1", time.process_time() - self.client)
        return cpu, time.monotonic() - self.at, machine_cpu()[0] - self.busy


def post_jobs(urls: list[str], token: str, projects: list[int]) -> list[int]:
    """Start a brainstorm in each project, POSTed by a few threads to the web hosts in turn."""
    headers = {"Authorization": f"Bearer {token}"}
    local = threading.local()

    def start(index: int) -> int:
        if not hasattr(local, "clients"):
            local.clients = [httpx2.Client(base_url=u, headers=headers, timeout=30) for u in urls]
        http = local.clients[index % len(urls)]
        body = {"projectId": projects[index], "params": PARAMS}
        response = http.post("/api/brainstorm/start", json=body)
        if response.status_code != 202:
            raise RuntimeError(f"start answered {response.status_code}: {response.text}")
        return response.json()["transformId"]

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(start, range(len(projects))))


def wait_ended(database: Database, ids: list[int], timeout: float) -> tuple[float, int]:
    """Wait until every job has ended; (last finished_at − first created_at, failed count)."""
    query = text(
        "SELECT count(*) FILTER (WHERE status IN ('completed', 'failed', 'cancelled')), "
        "count(*) FILTER (WHERE status IN ('failed', 'cancelled')), "
        "min(created_at), max(finished_at) FROM transforms WHERE id BETWEEN :low AND :high"
    )
    low, high = min(ids), max(ids)

    def ended() -> tuple[int, int, object, object] | None:
        with database.engine().connect() as connection:
            row = connection.execute(query, {"low": low, "high": high}).one()
        return row if row[0] == len(ids) else None

    done, failed, first, last = wait_until(ended, timeout, f"{len(ids)} jobs", every=0.05)
    if isinstance(first, str):  # SQLite hands back text
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    return (last - first).total_seconds(), failed


def run_round(
    database: Database,
    env: dict[str, str],
    webs: list[Host],
    urls: list[str],
    token: str,
    count: int,
    args: argparse.Namespace,
    rename: bool,
) -> Round:
    """Start `count` worker hosts, warm them up, time --jobs jobs, stop them."""
    worker_env = {
        **env,
        "JOB_CONCURRENCY": str(args.slots),
        "LONG_JOB_CONCURRENCY": str(args.long_slots),
    }
    with ThreadPoolExecutor(count) as pool:
        workers = list(
            pool.map(
                lambda n: start_worker(worker_env, n, WORKER_ADDRESSES[n - 1], rename),
                range(1, count + 1),
            )
        )
    try:
        warm = create_projects(urls[0], token, 2 * count, prefix=f"Warm {count}")
        wait_ended(database, post_jobs(urls, token, warm), 120)
        projects = create_projects(urls[0], token, args.jobs, prefix=f"Hosts {count}")
        meter = Meter(webs + workers, database)
        ids = post_jobs(urls, token, projects)
        seconds, failed = wait_ended(database, ids, 600)
        cpu, window, busy = meter.read()
    finally:
        for worker in workers:
            worker.proc.stop()
    return Round(database.kind, count, len(webs), len(ids), seconds, failed, cpu, window, busy)


def measure(kind: str, args: argparse.Namespace) -> list[Round]:
    """One database: migrate, start the web hosts, then a round per worker-host count."""
    database = prepare_database(kind)
    flush_redis()
    addresses = WEB_ADDRESSES[: args.webs]
    port = common_port(addresses)
    env = app_env(database, "http://127.0.0.1:9", workers=0, port=port)
    env.update({"LLM_API_KEY": "", "DEMO_TOKEN_DELAY_MS": str(args.token_ms)})  # demo model
    operator(env, "db", "upgrade")  # the Procfile's release phase
    token = create_account(env)
    database.hold()
    rename = can_rename()
    rounds = []
    folder = tempfile.mkdtemp(prefix="swbench-hosts-")
    webs = [start_web(env, address, port, folder) for address in addresses]
    urls = [f"http://{address}:{port}" for address in addresses]
    try:
        for count in args.hosts:
            rounds.append(run_round(database, env, webs, urls, token, count, args, rename))
            print(f"  {kind}: {count} worker host(s): {rounds[-1].rate:.1f} jobs/s", flush=True)
    finally:
        for web in webs:
            web.proc.stop()
        database.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    return rounds


# ---------------------------------------------------------------------------------- report


def report(rounds: list[Round], args: argparse.Namespace) -> None:
    """The throughput table, the CPU table, the note on cores; record figure H."""
    table = Table(
        ["database", "worker hosts", "web hosts", "slots", "jobs", "s", "jobs/s", "vs 1 host",
         "CPU ms/job", "ours", "machine busy"]
    )  # fmt: skip
    cpu_table = Table(["database", "worker hosts", "host", "address", "CPU s", "% of a core",
                       "CPU ms/job"])  # fmt: skip
    for r in rounds:
        single = next((x.rate for x in rounds if x.database == r.database and x.hosts == 1), None)
        ratio = f"{r.rate / single:.2f}×" if single else "—"
        cores = r.window * (os.cpu_count() or 1)
        ours = f"{(r.ours + r.cpu['client'][1]) / cores * 100:.0f}%"
        busy = f"{r.machine / cores * 100:.0f}%"
        table.add(r.database, r.hosts, r.webs, r.hosts * args.slots, r.jobs, r.seconds,
                  r.rate, ratio, r.ours / r.jobs * 1000, ours, busy)  # fmt: skip
        for name, (address, seconds) in r.cpu.items():
            label = f"{name} (shared)" if name == "redis" else name
            cpu_table.add(r.database, r.hosts, label, address, seconds,
                          f"{seconds / r.window * 100:.0f}%", seconds / r.jobs * 1000)  # fmt: skip
        extra = {"webs": r.webs, "slots": r.hosts * args.slots, "failed": r.failed}
        record("H", "completed jobs/s", round(r.rate, 2), "jobs/s", database=r.database,
               reference=round(single, 2) if single and r.hosts != 1 else None,
               hosts=r.hosts, cpu_ms_per_job=round(r.ours / r.jobs * 1000, 1), **extra)  # fmt: skip
        if r.failed:
            print(f"  ! {r.database}, {r.hosts} worker host(s): {r.failed} jobs failed")
    print(table.render())
    print()
    print("CPU per host over each round (from the first POST until every job had ended)")
    print(cpu_table.render())
    print()
    print(
        f"Note: {os.cpu_count()} CPUs, shared by every host, the database and this script: "
        "more worker hosts add coordination (queue pollers, heartbeats, sweepers, database\n"
        "connections), not capacity. These figures show the cost of coordination, not "
        "linear scaling; on machines of their own each worker host brings its own cores."
    )
    if args.long_slots:
        print(
            "With long slots free and short ones full, a worker waits up to 1 s on the long "
            "queue before a freed short slot takes the next job (--long-slots 0: without)."
        )


def main() -> None:
    """Parse the knobs, run each database, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--quick", action="store_true", help="40 jobs a round")
    parser.add_argument("--hosts", default="1,2,4", help="worker-host counts (at most 4)")
    parser.add_argument("--webs", type=int, choices=[1, 2], default=2, help="web hosts")
    parser.add_argument("--jobs", type=int, help="timed jobs a round (default 200)")
    parser.add_argument("--slots", type=int, default=8, help="JOB_CONCURRENCY of each host")
    parser.add_argument(
        "--long-slots", type=int, default=1, help="LONG_JOB_CONCURRENCY of each host (idle here)"
    )
    parser.add_argument("--token-ms", type=float, default=2.0, help="the demo model's pace")
    args = parser.parse_args()
    args.hosts = [int(n) for n in args.hosts.split(",")]
    if not all(1 <= n <= len(WORKER_ADDRESSES) for n in args.hosts):
        parser.error(f"--hosts: counts from 1 to {len(WORKER_ADDRESSES)}")
    args.jobs = args.jobs or (40 if args.quick else 200)
    install_cleanup()
    context, load_before = machine(), load()
    rounds = []
    for kind in databases(args.database):
        rounds += measure(kind, args)
    print()
    print("Many hosts: completed demo jobs per second, and CPU per host")
    print(
        f"  web hosts: gunicorn (1 gevent worker) on {', '.join(WEB_ADDRESSES[: args.webs])}; "
        f"worker hosts: worker.py with {args.slots} short and {args.long_slots} long slots each "
        "on 127.0.0.4…; "
        f"brainstorms of one idea, demo model at {args.token_ms:g} ms a token"
    )
    print(f"  {context}; load average {load_before} before, {load()} after")
    report(rounds, args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
