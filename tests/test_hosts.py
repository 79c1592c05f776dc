"""Many hosts, for real: two web hosts and two worker hosts, each a process group on a
loopback address of its own, against one PostgreSQL and one Redis.

Web A (127.0.0.2) and web B (127.0.0.3) are gunicorn with a gevent worker, as the Procfile
runs them. Worker hosts 1 and 2 are `python worker.py`, each with a hostname of its own,
worker-1-127-0-0-4 and worker-2-127-0-0-5 (a UTS namespace, where the test may make one),
so the leases they take name their host; their connections still leave from 127.0.0.1
(libpq and redis-py are given no source address). Redis listens on 127.0.0.6. The jobs are
of the test-only echo kind, answered by the fake provider.

What it shows: a client on A follows a job running on worker host 2 live; reloaded against
B, it goes on without gap or repeat; when A stops, a client streaming from it reconnects to
B with Last-Event-ID and misses nothing; worker host 1 killed mid-job, host 2 finishes its
jobs. Recovery times are printed (run with -s).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cluster import (
    Cluster,
    RedisServer,
    Store,
    StreamClient,
    WebServer,
    Worker,
    make_account,
    start_echo,
)
from support import Account, Process, Provider, is_postgres, wait_for

WEB_A, WEB_B = "127.0.0.2", "127.0.0.3"
WORKER_1, WORKER_2 = "127.0.0.4", "127.0.0.5"
REDIS_HOST = "127.0.0.6"
# Small slot budgets: six jobs fill both worker hosts, three each.
SLOTS = {"JOB_CONCURRENCY": "3", "LONG_JOB_CONCURRENCY": "1"}
TOKEN_CHARS = 3


def _loopback_addresses() -> bool:
    """Linux routes all of 127.0.0.0/8 to the loopback device (macOS only 127.0.0.1)."""
    try:
        with socket.socket() as sock:
            sock.bind((REDIS_HOST, 0))
        return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not is_postgres(os.environ.get("TEST_DATABASE_URL", "")),
        reason="many hosts share one PostgreSQL: set TEST_DATABASE_URL=postgresql://…",
    ),
    pytest.mark.skipif(not _loopback_addresses(), reason="127.0.0.2-6 are not local addresses"),
]


def _can_rename() -> bool:
    """Whether a process may get a hostname of its own (a UTS namespace: root or a user
    namespace); without, the worker hosts are told apart by their process ids alone."""
    try:
        done = subprocess.run(["unshare", "--uts", "hostname", "probe"], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


def common_port(*hosts: str) -> int:
    """A port free on every one of these addresses."""
    for _try in range(50):
        with socket.socket() as sock:
            sock.bind((hosts[0], 0))
            port = sock.getsockname()[1]
        try:
            for host in hosts[1:]:
                with socket.socket() as sock:
                    sock.bind((host, port))
            return port
        except OSError:
            continue
    raise AssertionError(f"no port free on all of {hosts}")


class Hosts:
    """The cluster, with each web and worker a host of its own."""

    def __init__(self, cluster: Cluster, store: Store, folder: Path) -> None:
        self.cluster, self.store, self.folder = cluster, store, folder
        self.port = common_port(WEB_A, WEB_B)
        self.rename = _can_rename()
        self.webs: dict[str, Process] = {}
        self.names: dict[Worker, str] = {}

    def web(self, address: str) -> str:
        """gunicorn as the Procfile runs it (one gevent worker), bound to `address`."""
        env = {**self.cluster.env, "LOG_LEVEL": "WARNING", "WORKERS": "0"}
        args = [
            *(sys.executable, "-m", "gunicorn", "--worker-connections", "1000", "-w", "1"),
            *("-b", f"{address}:{self.port}", "app:create_app()"),
        ]
        process = Process(args, env, "Listening at:", timeout=60)
        url = f"http://{address}:{self.port}"
        self.cluster.webs.append(WebServer(url, process))
        self.webs[address] = process
        wait_for(lambda: _healthy(url), timeout=60, every=0.1)
        return url

    def worker(self, number: int, address: str) -> Worker:
        """worker.py as worker host `number`: hostname worker-<number>-<address> if allowed."""
        name = f"worker-{number}-{address.replace('.', '-')}"
        prefix: tuple[str, ...] = ()
        if self.rename:
            prefix = ("unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', name)
        worker = Worker(self.cluster.env, prefix)
        self.cluster.workers.append(worker)
        self.names[worker] = name if self.rename else socket.gethostname()
        return worker

    def holder(self, job_id: int) -> Worker:
        """The worker host holding the job's lease, checked against its hostname."""
        owner = self.store.job(job_id)["lease_owner"]
        worker = self.cluster.holder(owner)
        assert owner.split(":")[0] == self.names[worker], owner
        return worker

    def stream(self, url: str, account: Account, job_id: int, **state: Any) -> StreamClient:
        client = StreamClient(url, account.bearer, job_id, **state)
        self.cluster.clients.append(client)
        return client


def _healthy(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx2.HTTPError:
        return False


@pytest.fixture
def hosts(settings, cluster_db, store, provider, tmp_path) -> Iterator[Hosts]:
    """One Redis on its own address; the hosts the test starts; all stopped after."""
    provider.reset()
    server = RedisServer(REDIS_HOST)
    server.start()
    cluster = Cluster({**settings, **SLOTS, "DATABASE_URL": cluster_db}, server)
    try:
        yield Hosts(cluster, store, tmp_path)
    finally:
        provider.reset()  # paused streams end
        cluster.close()


def items(tag: str, length: int) -> str:
    """The model's answer to an echo job: three items, pretty-printed."""
    texts = [
        {"text": f"{tag} {n}: " + "a line that takes a while to write. " * length}
        for n in (1, 2, 3)
    ]
    return json.dumps(texts, indent=1)


def stored_text(store: Store, job_id: int, attempt: int) -> str:
    return "".join(c["text"] for c in store.chunks(job_id, attempt))


def seqs(*clients: StreamClient) -> list[int]:
    return [r.data["seq"] for client in clients for r in client.chunks()]


def check_done(store: Store, job_id: int, content: str) -> dict[str, Any]:
    """Completed, once, by one attempt whose stored text is the model's answer in full."""
    job = store.wait_status(job_id, "completed", "failed", "cancelled", timeout=30)
    assert job["status"] == "completed", job
    attempts = store.attempts(job_id)
    winners = [a for a in attempts if a["error"] is None and a["finished_at"] is not None]
    assert [w["attempt"] for w in winners] == [job["attempt"]], attempts
    assert winners[0]["raw_response"] == content
    chunks = store.chunks(job_id, job["attempt"])
    assert [c["seq"] for c in chunks] == list(range(1, len(chunks) + 1))
    assert "".join(c["text"] for c in chunks) == content
    assert [r["text"] for r in store.results(job_id)] == [i["text"] for i in json.loads(content)]
    return job


def test_two_web_hosts_and_two_worker_hosts(hosts: Hosts, store: Store, provider: Provider) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        web_a, web_b = pool.submit(hosts.web, WEB_A), pool.submit(hosts.web, WEB_B)
        host_2 = pool.submit(hosts.worker, 2, WORKER_2).result()
        web_a, web_b = web_a.result(), web_b.result()
    print(f"\nhosts up in {time.monotonic() - started:.1f}s", flush=True)
    account = make_account(store.app)

    # Worker host 2 alone is up: the job runs there. It waits for its first token.
    content = items("live", 6)
    provider.script("live", content, token_chars=TOKEN_CHARS, delay_ms=25, pause_at=0)
    job_id = start_echo(hosts.cluster, account, {"prompt": "[[script:live]]", "count": 3})
    wait_for(lambda: store.job(job_id)["lease_owner"])
    assert hosts.holder(job_id) is host_2
    print(f"the job runs on {store.job(job_id)['lease_owner']}", flush=True)
    with ThreadPoolExecutor(1) as pool:
        host_1 = pool.submit(hosts.worker, 1, WORKER_1)  # comes up while the job streams
        watch_reload_and_fail_over(hosts, store, provider, account, job_id, content, web_a, web_b)
        host_1 = host_1.result()
    take_over(hosts, store, provider, account, dead=host_1, survivor=host_2)
    print(f"whole story in {time.monotonic() - started:.1f}s", flush=True)


def watch_reload_and_fail_over(
    hosts: Hosts,
    store: Store,
    provider: Provider,
    account: Account,
    job_id: int,
    content: str,
    web_a: str,
    web_b: str,
) -> None:
    """(a) live on A, (b) reloaded on B, (c) A stops under an open stream."""
    first = hosts.stream(web_a, account, job_id)  # reloaded on B later
    second = hosts.stream(web_a, account, job_id)  # stays on A until A stops
    assert first.chunks() == [] and second.chunks() == []  # nothing written yet
    provider.release("live")

    # (a) Chunks arrive on A while the job runs on host 2.
    wait_for(lambda: len(first.chunks()) >= 30)
    assert store.job(job_id)["status"] == "running"
    first.close()
    first._thread.join(5)  # what it read is final
    assert store.job(job_id)["status"] == "running"

    # (b) A reload against B: a new connection from the cursor it had.
    cursor = first.last_id
    assert cursor == f"1.{first.seq}", cursor
    reloaded = hosts.stream(
        web_b, account, job_id, parts=list(first.parts), attempt=first.attempt,
        seq=first.seq, last_id=cursor,
    )  # fmt: skip
    wait_for(lambda: len(reloaded.chunks()) >= 30)
    assert store.job(job_id)["status"] == "running"

    # (c) A stops (a deploy: SIGTERM to its process group); its client goes to B.
    second.base_url = web_b  # the load balancer sends what comes back to B
    before = len(second.chunks())
    stopped_at = time.monotonic()
    process = hosts.webs[WEB_A]
    os.killpg(process.proc.pid, signal.SIGTERM)
    # It exits once its clients close their idle keep-alive connections (gunicorn waits
    # for them up to graceful_timeout); the streams themselves end at once.
    assert process.proc.wait(15) == 0
    print(f"web A exited {time.monotonic() - stopped_at:.2f}s after SIGTERM", flush=True)

    job = check_done(store, job_id, content)
    assert (job["attempt"], job["retry_count"]) == (1, 0)
    total = job["last_seq"]
    assert reloaded.wait_done() == {"status": "completed"}
    assert second.wait_done() == {"status": "completed"}
    # (b) No gap, no repeat: A's chunks then B's are 1..N, the text the database's.
    assert seqs(first, reloaded) == list(range(1, total + 1))
    assert reloaded.chunks()[0].data["seq"] == first.seq + 1
    assert reloaded.resets == 0 and reloaded.anomalies == []
    assert reloaded.text == content
    # (c) It reconnected (to B, with Last-Event-ID: no reset) and missed nothing.
    assert second.reconnects >= 1 and second.resets == 1 and second.anomalies == []
    assert len(second.chunks()) > before
    assert seqs(second) == list(range(1, total + 1))
    assert second.text == content == stored_text(store, job_id, 1)
    arrivals = [stopped_at] + [r.at for r in second.chunks() if r.at > stopped_at]
    pause = max(b - a for a, b in zip(arrivals, arrivals[1:], strict=False))
    print(
        f"live job: {total} chunks; reloaded on B after {first.seq}; "
        f"A's client back on B: longest pause {pause * 1000:.0f} ms",
        flush=True,
    )


def take_over(
    hosts: Hosts,
    store: Store,
    provider: Provider,
    account: Account,
    dead: Worker,
    survivor: Worker,
) -> None:
    """(d) Six jobs, three on each worker host; host 1 killed mid-job: host 2 finishes all."""
    contents = {}
    jobs = {}
    for n in range(6):
        name = f"take{n}"
        contents[name] = items(name, 2)
        pause = (contents[name].index("}") + 1) // TOKEN_CHARS + 2  # the first item is stored
        provider.script(name, contents[name], token_chars=TOKEN_CHARS, delay_ms=2, pause_at=pause)
        jobs[name] = start_echo(
            hosts.cluster, account, {"prompt": f"[[script:{name}]]", "count": 3}
        )
    for job_id in jobs.values():
        wait_for(lambda job_id=job_id: len(store.results(job_id)) == 1, timeout=30)
    holders = {name: hosts.holder(job_id) for name, job_id in jobs.items()}
    on_dead = [name for name, worker in holders.items() if worker is dead]
    assert len(on_dead) == 3 and set(holders.values()) == {dead, survivor}

    killed_at = time.monotonic()
    os.killpg(dead.pid, signal.SIGKILL)
    assert dead.process.proc.wait(5) == -signal.SIGKILL
    for name in jobs:
        if name not in on_dead:
            provider.release(name)  # host 2's own finish and free its slots
    for name in on_dead:  # their next attempts run on host 2 (and pause at the same place)
        wait_for(lambda job_id=jobs[name]: store.job(job_id)["attempt"] == 2, timeout=30)
        wait_for(lambda job_id=jobs[name]: store.job(job_id)["lease_owner"], timeout=10)
        assert hosts.holder(jobs[name]) is survivor
    print(f"host 1 killed → its jobs on host 2 in {time.monotonic() - killed_at:.2f}s", flush=True)
    for name in on_dead:
        provider.release(name)
    for name, job_id in jobs.items():
        job = check_done(store, job_id, contents[name])
        retried = name in on_dead
        assert (job["attempt"], job["retry_count"]) == ((2, 1) if retried else (1, 0)), job
    print(f"all six completed {time.monotonic() - killed_at:.2f}s after the kill", flush=True)
    assert survivor.process.proc.poll() is None
