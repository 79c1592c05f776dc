"""Research: start → questions, tokens billed across a crash, worker slots held by parked jobs.

    .venv/bin/python bench/research.py [--database auto|sqlite|postgres|both] [--sessions 10]

Per database pass, against the fake provider (tests/fake_provider.py): `app.py` serving only
the web (WORKERS=0) and `worker.py` processes this script starts and stops itself (so that a
SIGKILL hits exactly one worker), with the fault tests' short lease timings (LEASE_SECONDS=3,
SWEEP_SECONDS=0.5, RETRY_BASE_SECONDS=0.2, RETRY_MAX_SECONDS=1), RESEARCH_POLL_SECONDS=5 and
MAX_ACTIVE_JOBS_PER_USER=40. Then the same app with the offline demo model. Figures:

1. start → questions: for --sessions research sessions, each in a project of its own, one after
   another, the time from just before `POST /api/workflows/<p>/outline-generation/start`
   (202) until `GET …/sessions/<id>` (polled every 20 ms) shows phase "needs_input" with its
   questions; the fake answers the questions JSON at once. Reference in the same run,
   alternating with them: a brainstorm's `POST /api/brainstorm/start` → its first idea in
   `GET /api/ideations/<id>` → completed, the fake answering at once (one short job's round
   trip). Then both again with the offline demo model (an app without LLM_API_KEY), at its own
   pacing (DEMO_TOKEN_DELAY_MS). One untimed warm-up of each first; each session is cancelled
   once its questions are read.
2. tokens billed in a crash-and-resume run: one background research (questions skipped) of
   ~450 tokens at 25 ms/token with usage 900 in + 700 out; once its text streams, the worker
   running it is SIGKILLed and another worker.py started; when the job completes, the sum of
   `total_tokens` of its llm_transforms rows for the research calls (parameters has "mode")
   and the creates the fake counted. Reference: the same run without a crash.
3. worker slots held by 20 parked research jobs: 20 background research jobs (questions
   skipped), the fake refusing to stream a response again (stream_again_seconds=0) and
   dropping each first stream after 3 events at 1.5 s/token, so that every job polls its
   response every RESEARCH_POLL_SECONDS, parked in between. Once each has polled, ~3 s of
   samples (every 100 ms) of the slots the live workers report in Redis (app/jobs/worker.py
   status_key) and of the jobs' states. Reference in the same run, just before: 4 research
   jobs streaming (background responses followed without a break) at the same time. Every
   job is cancelled at the end (and its response cancelled at the provider).

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Redis: db 2 (BENCH_REDIS_URL)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from common import (
    PYTHON,
    REDIS_URL,
    ROOT,
    Database,
    Proc,
    Table,
    add_database_option,
    app_env,
    create_account,
    create_projects,
    databases,
    flush_redis,
    free_port,
    install_cleanup,
    load,
    machine,
    percentile,
    prepare_database,
    redis_client,
    start_app,
    start_provider,
    wait_until,
)
from outline_demo import BRAINSTORM_PARAMS, DemoApp, demo_delay_ms
from sqlalchemy import bindparam, text

sys.path.insert(0, str(ROOT))

from app.jobs.events import channel_prefix  # noqa: E402

POLL_SECONDS = 0.02
SAMPLE_SECONDS = 0.1
SAMPLE_FOR = 3.0
FINISHED = ("completed", "failed", "cancelled")
QUESTIONS = json.dumps({"questions": ["Which platform?", "How many episodes?"]})
# The fault tests' research text: 40 cited findings, ~3,600 characters (~450 tokens of 8).
TEXT = "# Research\n\n" + "".join(
    f"- Finding {n}: short dramas hook in three seconds, [source {n}](https://example.org/{n}).\n"
    for n in range(1, 41)
)
TOKEN_CHARS = 8
USAGE = {"input_tokens": 900, "output_tokens": 700}
# The fault tests' short timings: a SIGKILLed worker's job is taken over within seconds.
FAST = {
    "LEASE_SECONDS": "3",
    "SWEEP_SECONDS": "0.5",
    "RETRY_BASE_SECONDS": "0.2",
    "RETRY_MAX_SECONDS": "1",
}
RESEARCH_ENV = {"RESEARCH_POLL_SECONDS": "5", "MAX_ACTIVE_JOBS_PER_USER": "40"}
PARKED_JOBS = 20
STREAMING_JOBS = 4  # a worker's long slots (LONG_JOB_CONCURRENCY's default)


def base(project_id: int) -> str:
    return f"/api/workflows/{project_id}/outline-generation"


# ---------------------------------------------------------------------- the fake provider


class Provider:
    """The fake provider's control endpoints."""

    def __init__(self, url: str) -> None:
        self.http = httpx2.Client(base_url=url, timeout=10)

    def script(self, name: str, content: str, **options: Any) -> int:
        """Register what the model says for requests marked [[script:name]]; its tokens."""
        response = self.http.post(
            "/_control/scripts", json={"name": name, **options, "content": content}
        )
        response.raise_for_status()
        return len(response.json()["tokens"])

    def responses(self, name: str) -> list[dict[str, Any]]:
        """The Responses API responses created for the script (one per create)."""
        return self.http.get("/_control/responses", params={"script": name}).json()

    def configure(self, **config: Any) -> None:
        self.http.post("/_control/config", json=config).raise_for_status()


# ---------------------------------------------------------------------- the app, fake model


@dataclass
class Cluster:
    """app.py (web, WORKERS=0) and the worker.py processes this script starts, on a fresh
    database, with the fake provider."""

    db: Database
    web: Proc
    env: dict[str, str]
    base_url: str
    token: str
    workers: list[Proc] = field(default_factory=list)
    others: list[Proc] = field(default_factory=list)  # stopped or killed workers

    @classmethod
    def start(cls, database: str, provider_url: str) -> Cluster:
        db = prepare_database(database)
        flush_redis()
        web = None
        try:
            db.hold()  # the benchmark's own connection, before the app's pools take theirs
            env = {**app_env(db, provider_url, 0, free_port()), **FAST, **RESEARCH_ENV}
            web, base_url = start_app(env)
            cluster = cls(db, web, env, base_url, create_account(env))
            cluster.worker()
        except BaseException:
            if web is not None:
                web.stop()
            db.cleanup()
            raise
        return cluster

    def worker(self) -> Proc:
        """Another `python worker.py` (its own process group: a signal hits it alone)."""
        proc = Proc(
            f"worker{len(self.workers) + len(self.others) + 1}",
            [PYTHON, str(ROOT / "worker.py")],
            self.env,
            " ready: ",
        )
        self.workers.append(proc)
        return proc

    def kill(self, worker: Proc) -> None:
        """SIGKILL one worker process (and nothing else)."""
        os.killpg(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(10)
        self.workers.remove(worker)
        self.others.append(worker)
        worker.stop()

    def client(self) -> httpx2.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx2.Client(base_url=self.base_url, headers=headers, timeout=60)

    def projects(self, count: int, prefix: str) -> list[int]:
        return create_projects(self.base_url, self.token, count, prefix=prefix)

    def jobs(self, ids: list[int]) -> list[dict[str, Any]]:
        """The jobs' rows (status, attempt, last_seq, next_attempt_at, lease_owner)."""
        query = text(
            "SELECT id, status, attempt, last_seq, next_attempt_at, lease_owner FROM transforms"
            " WHERE id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        with self.db.engine().connect() as connection:
            return [dict(row) for row in connection.execute(query, {"ids": ids}).mappings()]

    def calls(self, job_id: int) -> list[dict[str, Any]]:
        """The job's model calls (rows of llm_transforms), parameters decoded."""
        query = text(
            "SELECT attempt, parameters, total_tokens FROM llm_transforms"
            " WHERE transform_id = :id ORDER BY id"
        )
        with self.db.engine().connect() as connection:
            rows = [dict(row) for row in connection.execute(query, {"id": job_id}).mappings()]
        for row in rows:
            if isinstance(row["parameters"], str):
                row["parameters"] = json.loads(row["parameters"])
            row["parameters"] = row["parameters"] or {}
        return rows

    def slots(self, connection: Any) -> int:
        """Attempts the live workers report running now (status keys of dead ones ignored:
        they stay in Redis for STATUS_TTL)."""
        live = {str(w.proc.pid) for w in self.workers}
        held = 0
        for key in connection.scan_iter(f"{channel_prefix(REDIS_URL)}worker:*"):
            if key.decode().rsplit(":", 1)[-1] not in live:
                continue
            report = connection.get(key)
            if report:
                held += sum(json.loads(report)["running"].values())
        return held

    def problems(self) -> list[str]:
        """Watched phrases the processes printed (with the last error line, if any)."""
        return problems(self.web, *self.workers, *self.others)

    def stop(self) -> None:
        for proc in reversed(self.workers):
            proc.stop()
        self.web.stop()
        self.db.cleanup()


def problems(*procs: Proc) -> list[str]:
    """Watched phrases (tracebacks, refused connections …) the processes printed; for a
    traceback, the last exception line it printed."""
    found = []
    for proc in procs:
        errors = [
            line.strip()
            for line in proc.lines
            if line[:1].isalpha() and ("Error: " in line or "Exception: " in line)
        ]
        for phrase, count in proc.counts.items():
            last = f" (last: {errors[-1]})" if phrase == "Traceback" and errors else ""
            found.append(f"{proc.name} printed {count} × {phrase!r}{last}")
    return found


# ---------------------------------------------------------------------- sessions


def session(http: httpx2.Client, project_id: int, sid: int) -> dict[str, Any]:
    response = http.get(f"{base(project_id)}/sessions/{sid}")
    response.raise_for_status()
    return response.json()


def start_session(http: httpx2.Client, project_id: int, prompt: str, mode: str) -> int:
    response = http.post(f"{base(project_id)}/start", json={"prompt": prompt, "mode": mode})
    if response.status_code != 202:
        raise RuntimeError(f"research start answered {response.status_code}: {response.text}")
    return response.json()["sessionId"]


def skip_questions(http: httpx2.Client, project_id: int, sid: int) -> None:
    """Wait for the questions, then skip them."""
    wait_until(
        lambda: session(http, project_id, sid)["phase"] == "needs_input", 60, "questions", 0.05
    )
    response = http.post(f"{base(project_id)}/answers", json={"sessionId": sid, "skip": True})
    if response.status_code != 202:
        raise RuntimeError(f"skip answered {response.status_code}: {response.text}")


def cancel(http: httpx2.Client, project_id: int, sid: int) -> None:
    http.post(f"{base(project_id)}/cancel", json={"sessionId": sid})  # 409 if it had ended


def ended(http: httpx2.Client, project_id: int, sid: int, timeout: float) -> dict[str, Any]:
    return wait_until(
        lambda: (s := session(http, project_id, sid))["status"] in FINISHED and s,
        timeout,
        f"session {sid} to end",
        0.05,
    )


def poll(
    http: httpx2.Client, path: str, marks: dict[str, Callable[[dict[str, Any]], bool]], began: float
) -> dict[str, float]:
    """GET ``path`` every POLL_SECONDS until every mark (a predicate of the answer) has held,
    or the job ended; the seconds from ``began`` to each."""
    seen: dict[str, float] = {}
    tick = began
    while True:
        tick += POLL_SECONDS
        time.sleep(max(0.0, tick - time.perf_counter()))
        answer = http.get(path)
        now = time.perf_counter()
        answer.raise_for_status()
        data = answer.json()
        for name, holds in marks.items():
            if name not in seen and holds(data):
                seen[name] = now - began
        if len(seen) == len(marks):
            return seen
        if data["status"] in FINISHED:
            raise RuntimeError(f"{path} ended {data['status']} before {set(marks) - set(seen)}")
        if now - began > 120:
            raise TimeoutError(f"{path}: {set(marks) - set(seen)} not seen after 120 s")
        tick = max(tick, now - POLL_SECONDS)


def to_questions(http: httpx2.Client, project_id: int, prompt: str) -> float:
    """POST start → the session's questions visible; the session is cancelled afterwards."""
    began = time.perf_counter()
    sid = start_session(http, project_id, prompt, "streaming")
    seen = poll(
        http,
        f"{base(project_id)}/sessions/{sid}",
        {"questions": lambda d: d["phase"] == "needs_input" and bool(d["clarificationQuestions"])},
        began,
    )
    cancel(http, project_id, sid)
    return seen["questions"]


def brainstorm(http: httpx2.Client, project_id: int) -> tuple[float, float]:
    """POST /api/brainstorm/start → first idea visible → completed."""
    began = time.perf_counter()
    response = http.post(
        "/api/brainstorm/start", json={"projectId": project_id, "params": BRAINSTORM_PARAMS}
    )
    if response.status_code != 202:
        raise RuntimeError(f"brainstorm start answered {response.status_code}: {response.text}")
    seen = poll(
        http,
        f"/api/ideations/{response.json()['ideationRunId']}",
        {"first idea": lambda d: bool(d["ideas"]), "done": lambda d: d["status"] == "completed"},
        began,
    )
    return seen["first idea"], seen["done"]


@dataclass
class Latency:
    """Part 1 with one model: start → questions, and the brainstorm reference."""

    questions: list[float] = field(default_factory=list)
    first_idea: list[float] = field(default_factory=list)
    brainstorm_done: list[float] = field(default_factory=list)


def latencies(http: httpx2.Client, projects: list[int], prompt: str) -> Latency:
    """One untimed warm-up of each, then start → questions and a brainstorm, alternating (a
    project each)."""
    result = Latency()
    for index in range(0, len(projects), 2):
        asked = to_questions(http, projects[index], prompt)
        first, done = brainstorm(http, projects[index + 1])
        if index:
            result.questions.append(asked)
            result.first_idea.append(first)
            result.brainstorm_done.append(done)
    return result


# ---------------------------------------------------------------------- crash and resume


@dataclass
class Billing:
    """One background research run: billed tokens and creates, with or without a crash."""

    crash: bool
    tokens: int = 0  # of the script
    status: str = ""
    billed: int = 0
    creates: int = 0
    calls: list[str] = field(default_factory=list)  # per research call: how, tokens
    attempt: int = 0
    intact: bool = False
    kill_to_done: float | None = None
    seconds: float = 0.0


def crash_and_resume(
    cluster: Cluster, http: httpx2.Client, provider: Provider, crash: bool
) -> Billing:
    name = f"bill{'crash' if crash else 'ref'}"
    tokens = provider.script(
        name, TEXT, chat_replies=[QUESTIONS], token_chars=TOKEN_CHARS, delay_ms=25, usage=USAGE
    )
    project_id = cluster.projects(1, f"Billing {name}")[0]
    began = time.perf_counter()
    sid = start_session(http, project_id, f"Research the paywall [[script:{name}]]", "background")
    skip_questions(http, project_id, sid)
    result = Billing(crash, tokens)
    killed = 0.0
    if crash:
        # Mid-way through the research text (the questions call wrote the first chunks).
        wait_until(
            lambda: session(http, project_id, sid)["phase"] == "writing", 60, "the text", 0.02
        )
        job = wait_until(
            lambda: (j := cluster.jobs([sid])[0])["last_seq"] >= 60 and j, 60, "60 chunks"
        )
        pid = int(job["lease_owner"].split(":")[1])
        [running] = [w for w in cluster.workers if w.proc.pid == pid]
        killed = time.perf_counter()
        cluster.kill(running)
        cluster.worker()
    done = ended(http, project_id, sid, 120)
    now = time.perf_counter()
    result.seconds = now - began
    if crash:
        result.kill_to_done = now - killed
    result.status = done["status"]
    result.intact = done["finalOutline"] == TEXT
    result.attempt = cluster.jobs([sid])[0]["attempt"]
    research = [c for c in cluster.calls(sid) if c["parameters"].get("mode")]
    result.billed = sum(c["total_tokens"] or 0 for c in research)
    for call in research:
        how = next(
            (k for k in ("create", "resume", "retrieved") if call["parameters"].get(k)), "chat"
        )
        billed = call["total_tokens"]
        result.calls.append(f"{how} {'none' if billed is None else billed}")
    result.creates = len(provider.responses(name))
    return result


# ---------------------------------------------------------------------- slots held


@dataclass
class Slots:
    """Samples of one group of research jobs: (slots held, jobs parked, jobs running)."""

    what: str
    jobs: int
    samples: list[tuple[int, int, int]] = field(default_factory=list)
    cancelled: int = 0
    provider_cancels: int = 0
    creates: int = 0
    polls: list[int] = field(default_factory=list)  # each job's pollingAttempts at the end


def sample(cluster: Cluster, ids: list[int], result: Slots) -> None:
    """SAMPLE_FOR seconds of (slots held by live workers, jobs parked, jobs running)."""
    connection = redis_client()
    try:
        until = time.perf_counter() + SAMPLE_FOR
        while time.perf_counter() < until:
            held = cluster.slots(connection)
            rows = cluster.jobs(ids)
            parked = sum(1 for r in rows if r["status"] == "pending" and r["next_attempt_at"])
            running = sum(1 for r in rows if r["status"] == "running")
            result.samples.append((held, parked, running))
            time.sleep(SAMPLE_SECONDS)
    finally:
        connection.close()


def research_jobs(
    cluster: Cluster, http: httpx2.Client, name: str, count: int
) -> list[tuple[int, int]]:
    """``count`` background research jobs of the script, a project each, questions skipped."""
    sessions = []
    for project_id in cluster.projects(count, name):
        sid = start_session(http, project_id, f"Research [[script:{name}]]", "background")
        sessions.append((project_id, sid))
    for project_id, sid in sessions:
        skip_questions(http, project_id, sid)
    return sessions


def cancel_all(
    http: httpx2.Client,
    provider: Provider,
    name: str,
    sessions: list[tuple[int, int]],
    result: Slots,
) -> None:
    """Cancel every job; wait until each is cancelled and its response cancelled upstream."""
    for project_id, sid in sessions:
        cancel(http, project_id, sid)
    result.cancelled = sum(ended(http, p, s, 60)["status"] == "cancelled" for p, s in sessions)
    try:
        wait_until(
            lambda: sum(bool(r["cancel_calls"]) for r in provider.responses(name)) >= len(sessions),
            60,
            "the provider's cancels",
            0.2,
        )
    except TimeoutError:
        pass  # printed as found
    found = provider.responses(name)
    result.provider_cancels = sum(bool(r["cancel_calls"]) for r in found)
    result.creates = len(found)


def slots_held(cluster: Cluster, http: httpx2.Client, provider: Provider) -> list[Slots]:
    """The reference (4 jobs streaming), then 20 parked jobs; each group cancelled after."""
    provider.configure(stream_again_seconds=0)
    try:
        provider.script(
            "steady",
            TEXT,
            chat_replies=[QUESTIONS] * STREAMING_JOBS,
            token_chars=TOKEN_CHARS,
            delay_ms=200,
        )
        streaming = Slots("streaming (ref)", STREAMING_JOBS)
        sessions = research_jobs(cluster, http, "steady", STREAMING_JOBS)
        ids = [sid for _p, sid in sessions]
        wait_until(
            lambda: all(session(http, p, s)["phase"] == "writing" for p, s in sessions),
            60,
            "the streaming jobs to write",
            0.1,
        )
        sample(cluster, ids, streaming)
        cancel_all(http, provider, "steady", sessions, streaming)

        provider.script(
            "parked",
            TEXT,
            chat_replies=[QUESTIONS] * PARKED_JOBS,
            token_chars=TOKEN_CHARS,
            delay_ms=1500,
            fault={"kind": "drop", "after": 3},
            fault_on=[0],
        )
        parked = Slots("parked", PARKED_JOBS)
        sessions = research_jobs(cluster, http, "parked", PARKED_JOBS)
        ids = [sid for _p, sid in sessions]
        for project_id, sid in sessions:
            wait_until(
                lambda p=project_id, s=sid: session(http, p, s)["pollingAttempts"] >= 1,
                120,
                f"session {sid} to poll",
                0.1,
            )
        sample(cluster, ids, parked)
        parked.polls = [session(http, p, s)["pollingAttempts"] for p, s in sessions]
        cancel_all(http, provider, "parked", sessions, parked)
    finally:
        provider.configure(stream_again_seconds=300)
    return [streaming, parked]


# ---------------------------------------------------------------------- the benchmark


@dataclass
class Result:
    """One database's pass."""

    database: str
    fake: Latency
    demo: Latency
    billing: list[Billing]
    slots: list[Slots]
    problems: list[str]


def measure(database: str, provider: Provider, provider_url: str, sessions: int) -> Result:
    cluster = Cluster.start(database, provider_url)
    try:
        with cluster.client() as http:
            provider.script("ask", QUESTIONS, token_chars=len(QUESTIONS))
            projects = cluster.projects(2 * (sessions + 1), f"Questions {database}")
            fake = latencies(http, projects, "Research a revenge drama [[script:ask]]")
            print(f"  [{database}] start → questions with the fake: done", flush=True)
            billing = [crash_and_resume(cluster, http, provider, crash) for crash in (True, False)]
            print(f"  [{database}] crash and resume: done", flush=True)
            slots = slots_held(cluster, http, provider)
            print(f"  [{database}] slots held: done", flush=True)
        found = cluster.problems()
    finally:
        cluster.stop()
    demo_app = DemoApp.start(database)
    try:
        with demo_app.client() as http:
            projects = [demo_app.project(f"Demo {n}") for n in range(2 * (sessions + 1))]
            demo = latencies(http, projects, "一个豪门千金复仇的短剧")
            print(f"  [{database}] start → questions with the demo model: done", flush=True)
        found += [f"demo app: {p}" for p in problems(demo_app.web, demo_app.worker)]
    finally:
        demo_app.stop()
    return Result(database, fake, demo, billing, slots, found)


def ms(values: list[float]) -> list[str]:
    """n, p50, p95 and max of durations in seconds, as milliseconds."""
    return [
        str(len(values)),
        *(f"{percentile(values, p) * 1000:.0f}" for p in (50, 95)),
        f"{max(values) * 1000:.0f}",
    ]


def main() -> None:
    """Parse the knobs, run each database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--sessions", type=int, default=10, help="timed starts per model")
    args = parser.parse_args()
    install_cleanup()
    context, load_before = machine(), load()
    delay = demo_delay_ms()
    provider_proc, provider_url = start_provider()
    provider = Provider(provider_url)
    results = []
    try:
        for database in databases(args.database):
            results.append(measure(database, provider, provider_url, args.sessions))
    finally:
        provider_proc.stop()
    print("Research: start → questions, tokens billed across a crash, slots held by parked jobs")
    print(
        "  app.py (web, WORKERS=0) + worker.py processes of the bench (16 short + 4 long slots"
        f" each); {' '.join(f'{k}={v}' for k, v in {**FAST, **RESEARCH_ENV}.items())}"
    )
    print(f"  {context}; load average {load_before} before, {load()} after")

    print(
        f"1. Start → questions: POST …/start (202) → GET …/sessions/<id> phase needs_input with"
        f" questions, polled every {POLL_SECONDS * 1000:.0f} ms; {args.sessions} sessions, a"
        " project each, one after another (1 untimed warm-up)"
    )
    print(
        "   reference, alternating with them: POST /api/brainstorm/start → first idea in GET"
        " /api/ideations/<id> → completed (3 ideas), same model"
    )
    print(
        f"   fake: answers at once; demo: the offline demo model at its own pace"
        f" (DEMO_TOKEN_DELAY_MS={delay:g}, {1000 / delay:.0f} tokens/s per call)"
    )
    table = Table(["database", "model", "what", "n", "p50 ms", "p95 ms", "max ms"])
    for r in results:
        for model, latency in (("fake", r.fake), ("demo", r.demo)):
            rows = [
                ("start → questions", latency.questions),
                ("brainstorm (ref) → first idea", latency.first_idea),
                ("brainstorm (ref) → completed", latency.brainstorm_done),
            ]
            for what, values in rows:
                table.rows.append([r.database, model, what, *ms(values)])
    print(table.render())

    print(
        f"2. Tokens billed in a crash-and-resume run: one background research, questions"
        f" skipped, {results[0].billing[0].tokens} tokens of {TOKEN_CHARS} chars at 25 ms,"
        f" usage {USAGE['input_tokens']} in + {USAGE['output_tokens']} out; SIGKILL of the worker"
        " running it once 60 chunks are stored, another worker.py started"
    )
    print("   reference: the same run without a crash")
    table = Table(
        [
            "database", "run", "status", "creates", "research calls (tokens)", "billed",
            "attempt", "text intact", "SIGKILL → done s", "start → done s",
        ]
    )  # fmt: skip
    for r in results:
        for b in r.billing:
            table.add(
                r.database,
                "crash + resume" if b.crash else "no crash (ref)",
                b.status,
                b.creates,
                ", ".join(b.calls),
                b.billed,
                b.attempt,
                "yes" if b.intact else "NO",
                b.kill_to_done if b.kill_to_done is not None else "-",
                b.seconds,
            )
    print(table.render())
    for r in results:
        crash, reference = r.billing
        same = crash.billed == reference.billed and crash.creates == reference.creates
        print(
            f"{r.database}: billed {crash.billed} tokens in {crash.creates} create(s) with a crash,"
            f" {reference.billed} in {reference.creates} without:"
            f" {'billed once' if same else 'NOT billed once'}"
        )

    print(
        f"3. Worker slots held: {PARKED_JOBS} background research jobs parked between polls"
        " (fake: stream_again_seconds=0, first stream dropped after 3 events, 1.5 s/token),"
        f" sampled every {SAMPLE_SECONDS * 1000:.0f} ms for {SAMPLE_FOR:g} s once each has polled;"
        " one worker.py (4 long slots); parked: pending with a wake-up time (next_attempt_at);"
        " slots: the live workers' reports in Redis (read just before the jobs' rows)"
    )
    print(
        f"   reference, just before: {STREAMING_JOBS} research jobs streaming their background"
        " responses at the same time (200 ms/token)"
    )
    table = Table(
        [
            "database", "jobs", "state", "samples", "all parked", "slots max", "slots median",
            "slots max (all parked)", "slots median (all parked)", "running median",
            "cancelled", "upstream cancels",
        ]
    )  # fmt: skip
    for r in results:
        for s in r.slots:
            held = [h for h, _p, _r in s.samples]
            full = [h for h, p, _r in s.samples if p == s.jobs]
            table.add(
                r.database,
                s.jobs,
                s.what,
                len(s.samples),
                len(full),
                max(held, default=0),
                f"{statistics.median(held):g}" if held else "-",
                max(full) if full else "-",
                f"{statistics.median(full):g}" if full else "-",
                f"{statistics.median([n for _h, _p, n in s.samples]):g}",
                f"{s.cancelled}/{s.jobs}",
                f"{s.provider_cancels}/{s.creates}",
            )
    print(table.render())
    for r in results:
        streaming, parked = r.slots
        held = [h for h, _p, _r in parked.samples]
        reference = max((h for h, _p, _r in streaming.samples), default=0)
        print(
            f"{r.database}: {parked.jobs} parked jobs held at most {max(held, default=0)} slot(s)"
            f" (median {statistics.median(held):g}); {streaming.jobs} streaming jobs held at most"
            f" {reference}; polls per parked job {min(parked.polls)}–{max(parked.polls)}"
        )
        for problem in r.problems:
            print(f"{r.database}: {problem}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
