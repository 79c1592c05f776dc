"""Process-level faults, injected for real: killed and stopped workers, a deploy's SIGTERM,
Redis restarted and flushed, database connections killed, SQLite locked by another process,
two web servers and two workers at once.

Each test runs its own cluster (`tests/cluster.py`): `python app.py` (web only) and
`python worker.py` processes with short leases, on a database of this module and a Redis
the test owns. Wherever a client follows the job, the invariant is checked: the text the
client assembled is the stored raw response of the one attempt that completed the job, and
the job is in exactly one final state. Recovery times are printed (run with -s) and summed
up at the end of the module with the number of faults injected.
"""

import json
import signal
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from cluster import (
    RECORD,
    Cluster,
    Store,
    after_idea,
    check_invariant,
    ideas_content,
    make_account,
    start_echo,
    start_job,
    stopped,
)
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from support import Process, Web, is_postgres, wait_for

from app.config import database_url as map_database_url
from app.jobs.queue import QUEUE_NAME

pytestmark = pytest.mark.slow
TOKEN_CHARS = 3


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    print("\n== fault suite ==\n" + RECORD.summary(), flush=True)


@pytest.fixture(autouse=True)
def _named(request: pytest.FixtureRequest) -> None:
    RECORD.test = request.node.name
    print(f"\n{request.node.name}", flush=True)


def script(provider, name: str, **options) -> str:
    """Register a three-idea answer under `name`; returns its text."""
    content = ideas_content(name)
    provider.script(name, content, token_chars=TOKEN_CHARS, **options)
    return content


def pause_index(content: str, idea: int) -> int:
    """The token index just after an idea closes (the stream pauses there)."""
    return after_idea(content, idea) // TOKEN_CHARS + 1


def stored_text(store: Store, job_id: int, attempt: int) -> str:
    return "".join(c["text"] for c in store.chunks(job_id, attempt))


# ----------------------------------------------------------------------------- 1. kill, stop


def test_sigkill_mid_stream_the_job_runs_again_elsewhere(cluster, store, provider):
    """SIGKILL the worker running the job: its lease expires and the sweeper of the other
    worker retries the job there."""
    [web], [first, second] = cluster.start(webs=1, workers=2)
    account = make_account(store.app)
    http = cluster.api(web, account)
    script(provider, "kill", delay_ms=15)
    job_id = start_job(http, "kill")
    client = cluster.stream(web, account, job_id)
    store.wait_chunks(job_id, 1, 10)
    worker = cluster.holder(store.job(job_id)["lease_owner"])
    written = len(store.chunks(job_id, 1))
    at = RECORD.fault("SIGKILL worker")
    worker.signal_group(signal.SIGKILL)
    attempt = store.wait_new_attempt(job_id, 1)
    RECORD.timing("SIGKILL worker → new attempt claimed", time.monotonic() - at)
    job = check_invariant(store, client, job_id)
    assert attempt == 2 and job["attempt"] == 2 and job["retry_count"] == 1
    assert client.resets >= 2  # told to start over when attempt 2 began
    # What the killed attempt wrote stays; it never ended (nobody was left to say so).
    assert len(store.chunks(job_id, 1)) >= written
    assert store.attempts(job_id)[0]["finished_at"] is None
    assert worker.process.proc.wait(5) == -signal.SIGKILL
    survivor = second if worker is first else first
    assert survivor.process.proc.poll() is None


def test_sigstop_past_the_lease_then_sigcont_the_stale_attempt_is_fenced(cluster, store, provider):
    """A frozen worker (SIGSTOP) loses its lease; the sweeper retries the job on another
    worker; thawed (SIGCONT) while the new attempt streams, its writes are all rejected."""
    [web], _workers = cluster.start(webs=1, workers=2)
    account = make_account(store.app)
    http = cluster.api(web, account)
    content = script(provider, "frozen", delay_ms=15, pause_at=20)
    job_id = start_job(http, "frozen")
    client = cluster.stream(web, account, job_id)
    wait_for(lambda: stored_text(store, job_id, 1) == content[: 20 * TOKEN_CHARS])
    worker = cluster.holder(store.job(job_id)["lease_owner"])
    # Freeze just after a heartbeat committed, so no transaction is left open (a frozen
    # SQLite writer would hold the lock; on PostgreSQL it would hold the job's row).
    lease = store.job(job_id)["lease_expires_at"]
    wait_for(lambda: store.job(job_id)["lease_expires_at"] != lease, every=0.005)
    at = RECORD.fault("SIGSTOP worker past the lease")
    worker.signal_group(signal.SIGSTOP)
    wait_for(lambda: stopped(worker.pid))
    before = store.chunks(job_id, 1)
    results_before = store.results(job_id)
    provider.release("frozen")  # the frozen attempt's answer waits in its socket
    assert store.wait_new_attempt(job_id, 1) == 2
    RECORD.timing("SIGSTOP → new attempt claimed (lease expiry)", time.monotonic() - at)
    taken_over = store.job(job_id)
    assert taken_over["retry_count"] == 1
    store.wait_chunks(job_id, 2, 5)
    RECORD.fault("SIGCONT the stale worker mid-attempt 2")
    worker.signal_group(signal.SIGCONT)
    # The stale attempt wakes, reads what its stream buffered, tries to write, is fenced out.
    stale = wait_for(lambda: (a := store.attempts(job_id)[0])["finished_at"] and a)
    assert "taken over" in stale["error"]
    job = check_invariant(store, client, job_id)
    assert job["attempt"] == 2 and job["retry_count"] == 1
    after = store.chunks(job_id, 1)
    assert [(c["seq"], c["text"]) for c in after] == [(c["seq"], c["text"]) for c in before]
    stale_results = [r for r in store.results(job_id) if r["attempt"] == 1]
    assert stale_results == [r for r in results_before if r["attempt"] == 1]
    assert stale["raw_response"].startswith(content[: 20 * TOKEN_CHARS])  # it did read on
    assert worker.process.proc.poll() is None


def start_many(store: Store, cluster: Cluster, web: str, provider, count: int) -> list[int]:
    """`count` brainstorms of three ideas, each paused after its first idea, all running on
    the cluster's only worker; returns their ids."""
    account = make_account(store.app)
    http = cluster.api(web, account)
    jobs = []
    for index in range(count):
        content = ideas_content(f"many{index}")
        pause = pause_index(content, 1)
        name = f"many{index}"
        provider.script(name, content, token_chars=TOKEN_CHARS, delay_ms=2, pause_at=pause)
        jobs.append(start_job(http, name, project=f"P{index}"))
    for job_id in jobs:
        wait_for(lambda job_id=job_id: len(store.results(job_id)) == 1, timeout=60)
    return jobs


def release_all(provider, count: int) -> None:
    for index in range(count):
        provider.release(f"many{index}")


def test_sigkill_a_worker_running_ten_jobs_loses_none(cluster, store, provider):
    """Ten attempts in one worker process; SIGKILL it: another worker's sweeper retries all ten,
    each ends with its text equal to its stored answer and no idea stored twice."""
    [web], [doomed] = cluster.start(webs=1, workers=1)
    jobs = start_many(store, cluster, web, provider, 10)
    assert {cluster.holder(store.job(j)["lease_owner"]) for j in jobs} == {doomed}
    survivor = cluster.worker()
    release_all(provider, 10)  # answers the next attempts at once (the paused ones are dead)
    at = RECORD.fault("SIGKILL a worker running 10 jobs")
    doomed.signal_group(signal.SIGKILL)
    for job_id in jobs:
        job = check_invariant(store, None, job_id)
        assert job["attempt"] == 2 and job["retry_count"] == 1
    RECORD.timing("SIGKILL 10-job worker → all 10 completed", time.monotonic() - at)
    assert survivor.process.proc.poll() is None


def test_sigterm_a_worker_running_ten_jobs_hands_all_back(cluster, store, provider):
    """Ten attempts in one worker process; SIGTERM (a deploy): all ten are handed back at their
    next heartbeat and finished by another worker without spending a retry."""
    [web], [leaving] = cluster.start(webs=1, workers=1)
    jobs = start_many(store, cluster, web, provider, 10)
    staying = cluster.worker()
    at = RECORD.fault("SIGTERM a worker running 10 jobs")
    leaving.signal_group(signal.SIGTERM)
    assert leaving.process.proc.wait(20) == 0  # a warm shutdown, once all ten handed back
    RECORD.timing("SIGTERM 10-job worker → exited", time.monotonic() - at)
    release_all(provider, 10)
    for job_id in jobs:
        job = check_invariant(store, None, job_id)
        assert job["retry_count"] == 0 and job["attempt"] == 2
        assert store.attempts(job_id)[0]["error"] == "Handed back: the worker was stopping."
    assert staying.process.proc.poll() is None


def test_a_takeover_with_a_checkpoint_continues_the_same_attempt(cluster, store, provider):
    """A kind that keeps a checkpoint can go on where a dead worker stopped: the sweeper hands
    the job to another worker without spending a retry, the attempt and its text go on (an
    open page sees no reset), and nothing is stored twice."""
    [web], [first, second] = cluster.start(webs=1, workers=2)
    account = make_account(store.app)
    items = [{"text": f"item {n}"} for n in range(3)]
    content = json.dumps(items, indent=1)
    after_first = content.index("}") + 1
    provider.script("resume", content, token_chars=1, delay_ms=2, pause_at=after_first + 5)
    job_id = start_echo(
        cluster, account, {"prompt": "[[script:resume]]", "count": 3, "checkpoint": True}
    )
    client = cluster.stream(web, account, job_id)
    wait_for(lambda: len(store.results(job_id)) == 1)
    written = store.job(job_id)["last_seq"]
    worker = cluster.holder(store.job(job_id)["lease_owner"])
    provider.script("resume", content, token_chars=1, delay_ms=2)  # the next call runs through
    at = RECORD.fault("SIGKILL the worker of a job with a checkpoint")
    worker.signal_group(signal.SIGKILL)
    job = store.wait_status(job_id, "completed")
    RECORD.timing("SIGKILL → checkpointed job continued and completed", time.monotonic() - at)
    assert (job["attempt"], job["retry_count"], job["error"]) == (1, 0, None)
    seqs = [c["seq"] for c in store.chunks(job_id, 1)]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > written
    assert [r["text"] for r in store.results(job_id)] == [i["text"] for i in items]
    assert client.wait_done() == {"status": "completed"} and client.resets == 1  # the start
    assert client.text == "".join(c["text"] for c in store.chunks(job_id, 1))
    calls = store.attempts(job_id)
    assert [c["call"] for c in calls] == [1, 2] and calls[1]["raw_response"] == content
    survivor = second if worker is first else first
    assert survivor.process.proc.poll() is None


# ----------------------------------------------------------------------------- 2. deploy


def test_sigterm_hands_the_job_back_without_spending_a_retry(cluster, store, provider):
    """A deploy: SIGTERM mid-job. The attempt hands the job back at its next flush (or
    heartbeat), another worker finishes it asking only for the rest; no retry is spent."""
    [web], [first, second] = cluster.start(webs=1, workers=2)
    account = make_account(store.app)
    http = cluster.api(web, account)
    content = ideas_content("deploy")
    pause = pause_index(content, 1)
    provider.script("deploy", content, token_chars=TOKEN_CHARS, delay_ms=5, pause_at=pause)
    job_id = start_job(http, "deploy")
    client = cluster.stream(web, account, job_id)
    wait_for(lambda: stored_text(store, job_id, 1) == content[: pause * TOKEN_CHARS])
    assert len(store.results(job_id)) == 1
    worker = cluster.holder(store.job(job_id)["lease_owner"])
    other = second if worker is first else first
    at = RECORD.fault("SIGTERM worker (deploy)")
    worker.signal_group(signal.SIGTERM)
    assert store.wait_new_attempt(job_id, 1) == 2
    RECORD.timing("SIGTERM → handed back and claimed elsewhere", time.monotonic() - at)
    running = store.job(job_id)
    assert running["retry_count"] == 0
    assert cluster.holder(running["lease_owner"]) is other
    assert worker.process.proc.wait(15) == 0  # a warm shutdown, once its attempt handed back
    provider.release("deploy")
    job = check_invariant(store, client, job_id)
    assert job["retry_count"] == 0 and job["attempt"] == 2
    handed = store.attempts(job_id)[0]
    assert handed["error"] == "Handed back: the worker was stopping."
    assert handed["raw_response"] == content[: pause * TOKEN_CHARS]
    results = store.results(job_id)
    assert [r["attempt"] for r in results] == [1, 2, 2]
    # The next attempt asked only for the rest; its model repeated the kept idea anyway,
    # which was not stored twice.
    asked = provider.requests("deploy")[-1]["body"]["messages"][-1]["content"]
    assert '"numIdeas": 2' in asked and results[0]["title"] in asked


# ----------------------------------------------------------------------------- 3. Redis


@pytest.mark.parametrize("fault", ["restart", "FLUSHALL", "FLUSHDB"])
def test_redis_loses_a_queued_job_the_sweeper_enqueues_it_again(cluster, store, provider, fault):
    """A job waits in the queue behind a running one when Redis restarts (empty) or is
    flushed: the running job ends normally, the lost one is enqueued again from the DB."""
    cluster.env["JOB_CONCURRENCY"] = "1"  # the second job waits for the worker's one slot
    [web], _workers = cluster.start(webs=1, workers=1)
    account = make_account(store.app)
    http = cluster.api(web, account)
    script(provider, "queued", delay_ms=5)
    content = script(provider, "busy", delay_ms=5, pause_at=10)
    busy = start_job(http, "busy", project="Busy")
    wait_for(lambda: stored_text(store, busy, 1) == content[: 10 * TOKEN_CHARS])
    queued = start_job(http, "queued", project="Queued")
    busy_client = cluster.stream(web, account, busy)
    client = cluster.stream(web, account, queued)
    connection = cluster.redis.client()
    assert connection.llen(f"rq:queue:{QUEUE_NAME}") == 1
    at = RECORD.fault(f"Redis {fault} with a job queued")
    if fault == "restart":
        cluster.redis.kill()
        cluster.redis.start()
    else:
        connection.execute_command(fault)
    assert connection.llen(f"rq:queue:{QUEUE_NAME}") == 0
    provider.release("busy")
    check_invariant(store, busy_client, busy)
    assert store.wait_new_attempt(queued, 0) == 1
    RECORD.timing(f"Redis {fault} → lost queued job claimed", time.monotonic() - at)
    job = check_invariant(store, client, queued)
    assert job["attempt"] == 1 and job["retry_count"] == 0
    connection.close()


def test_redis_restart_while_a_job_streams(cluster, store, provider):
    """Redis crashes mid-stream and comes back empty: the worker writes on (the DB is the
    truth), the stream keeps going from the DB, live again once Redis is back; the workers
    then take new jobs from the new Redis."""
    [web], workers = cluster.start(webs=1, workers=2)
    account = make_account(store.app)
    http = cluster.api(web, account)
    script(provider, "blip", delay_ms=30)
    job_id = start_job(http, "blip")
    client = cluster.stream(web, account, job_id)
    store.wait_chunks(job_id, 1, 10)
    wait_for(lambda: len(client.chunks()) >= 10)
    at = RECORD.fault("Redis crash + restart mid-stream")
    cluster.redis.kill()
    seq = store.job(job_id)["last_seq"]
    time.sleep(2.5)
    during = [r for r in client.chunks() if r.at > at + 0.1]
    written = store.job(job_id)["last_seq"] - seq
    back = cluster.redis.start()
    RECORD.note("Redis down 2.5 s: chunks written / received", f"{written} / {len(during)}")
    assert during, "the open stream did not fall back to reading the database"
    wait_for(lambda: client.first_chunk_after(back), timeout=30, every=0.01)
    RECORD.timing("Redis back → next chunk at the client", client.first_chunk_after(back) - back)
    job = check_invariant(store, client, job_id)
    assert job["attempt"] == 1 and job["retry_count"] == 0
    # The web process says so in its figures: its listener connected again.
    figures = http.get("/metrics").text
    assert "sw_redis_listener_reconnects_total 1.0" in figures, figures
    # Both workers outlived the outage and serve the new (empty) Redis.
    assert all(w.process.proc.poll() is None for w in workers)
    script(provider, "after", delay_ms=2)
    again = start_job(http, "after", project="After")
    check_invariant(store, cluster.stream(web, account, again), again)


# ----------------------------------------------------------------------------- 4. PostgreSQL


TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND backend_type = 'client backend'"
)


def test_database_connections_killed_mid_job(cluster, store, provider, cluster_db):
    """pg_terminate_backend on every other connection to the database, several times while
    a job streams: web, worker, sweeper and the test itself reconnect; the job completes."""
    if not is_postgres(cluster_db):
        pytest.skip("kills PostgreSQL server backends; SQLite has no connections to kill")
    [web], workers = cluster.start(webs=1, workers=2)
    account = make_account(store.app)
    http = cluster.api(web, account)
    script(provider, "pgkill", delay_ms=15)
    job_id = start_job(http, "pgkill")
    client = cluster.stream(web, account, job_id)
    store.wait_chunks(job_id, 1, 5)
    admin = create_engine(map_database_url(cluster_db, ""), poolclass=NullPool)
    killed = []
    try:
        for _ in range(12):  # ~2 s of it, while the first attempt streams
            RECORD.fault("pg_terminate_backend(all other connections)")
            with admin.begin() as conn:
                killed.append(conn.execute(TERMINATE).scalar())
            time.sleep(0.15)
    finally:
        admin.dispose()
    assert sum(killed) > 0
    job = check_invariant(store, client, job_id)
    retried = sum(w.output().count("database write failed") for w in workers)
    print(f"  backends terminated per round: {killed}; worker writes retried: {retried}")
    print(f"  completed by attempt {job['attempt']} (retries spent: {job['retry_count']})")
    # Every worker lives on, its sweeper too (which un-sticks whatever else a blip breaks).
    time.sleep(1)
    assert all(w.process.proc.poll() is None for w in workers), [
        w.output()[-3000:] for w in workers
    ]
    assert http.get(f"/api/jobs/{job_id}").status_code == 200


# ----------------------------------------------------------------------------- 5. SQLite

LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("released", flush=True)
"""


def test_sqlite_write_lock_held_by_another_process(cluster, store, provider, cluster_db):
    """Another process holds SQLite's write lock for 2 s while a job streams and a writer
    posts a form and loads pages: everyone waits, nobody sees "database is locked"."""
    if is_postgres(cluster_db):
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")
    [web], _workers = cluster.start(webs=1, workers=1)
    account = make_account(store.app)
    http = cluster.api(web, account)
    browser = Web(web).login(account)
    script(provider, "locked", delay_ms=15)
    job_id = start_job(http, "locked")
    client = cluster.stream(web, account, job_id)
    project = store.job(job_id)["project_id"]
    store.wait_chunks(job_id, 1, 5)
    path = cluster_db.removeprefix("sqlite:///")
    locker = Process([sys.executable, "-c", LOCKER, path, "2"], {}, "locked")
    at = RECORD.fault("SQLite write lock held 2 s by another process")
    answers: list[tuple[str, int, str]] = []

    def load(label: str, call) -> None:
        response = call()
        answers.append((label, response.status_code, response.text))

    calls = [
        ("POST /projects/", lambda: browser.post_form("/projects/", {"name": "While locked"})),
        ("GET /projects/", lambda: browser.http.get("/projects/")),
        ("GET /jobs/<id>", lambda: browser.http.get(f"/jobs/{job_id}")),
        ("GET /projects/<id>", lambda: browser.http.get(f"/projects/{project}")),
        ("GET /api/jobs/<id>", lambda: http.get(f"/api/jobs/{job_id}")),
        ("POST /api/projects", lambda: http.post("/api/projects", json={"name": "API"})),
    ]
    threads = [threading.Thread(target=load, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert locker.proc.wait(30) == 0
    RECORD.timing("SQLite lock: slowest response", time.monotonic() - at)
    locker.stop()
    browser.http.close()
    for label, status, body in answers:
        assert status < 400, (label, status, body[:300])
        assert "database is locked" not in body, label
    assert len(answers) == len(calls)
    assert {s for label, s, _ in answers if label.startswith("POST")} <= {201, 303}
    check_invariant(store, client, job_id)
    gaps = [b.at - a.at for a, b in zip(client.chunks(), client.chunks()[1:], strict=False)]
    RECORD.timing("SQLite lock: longest pause between chunks", max(gaps))


# ----------------------------------------------------------------------------- 9. scale-out


def test_two_web_servers_and_two_workers(cluster, store, provider):
    """Two web processes and two workers on one database and one Redis: a job started
    through one web server is followed live through the other, both ways."""
    [web_a, web_b], _workers = cluster.start(webs=2, workers=2)
    account = make_account(store.app)
    via_a, via_b = cluster.api(web_a, account), cluster.api(web_b, account)
    script(provider, "east", delay_ms=10, pause_at=0)
    script(provider, "west", delay_ms=10, pause_at=0)
    east = start_job(via_a, "east", project="East")
    west = start_job(via_b, "west", project="West")
    east_on_b = cluster.stream(web_b, account, east)
    west_on_a = cluster.stream(web_a, account, west)
    for job_id in (east, west):
        store.wait_status(job_id, "running")
    owners = {cluster.holder(store.job(j)["lease_owner"]) for j in (east, west)}
    assert owners <= set(cluster.workers)
    assert east_on_b.chunks() == [] and west_on_a.chunks() == []
    released = time.monotonic()
    provider.release("east")
    provider.release("west")
    for job_id, client in ((east, east_on_b), (west, west_on_a)):
        check_invariant(store, client, job_id)
        # Every chunk came live: none existed when the client connected.
        assert len(client.chunks()) == store.job(job_id)["last_seq"]
        RECORD.timing("other web server: release → first chunk", client.chunks()[0].at - released)
