"""Outline with the offline demo model: POST /api/outlines/start → first section visible → done.

    .venv/bin/python bench/outline_demo.py [--database auto|sqlite|postgres|both] [--runs 3]

The app runs without LLM_API_KEY / LLM_BASE_URL, so the offline demo model answers at its own
pacing (DEMO_TOKEN_DELAY_MS, left as configured: that pacing is what is measured): `app.py`
(web, WORKERS=0) and one `worker.py`. Per run, in one project: a brainstorm (the tests'
BRAINSTORM_PARAMS, 3 ideas), then an outline of its first idea with the default params (60
episodes), each polled with GET every 50 ms until it ends (one outline per project is active
at a time, so the runs follow each other). Figures, from just before the POST:

- outline: the first section visible in GET /api/outlines/<id> (`components.title` non-empty),
  the first episode visible, the job completed; episodes written (`job.progressDone`) and the
  model calls (rows of llm_transforms; the kind makes 1 + ceil(episodes / 15));
- reference in the same run: the brainstorm's first idea in GET /api/ideations/<id>, and its
  completion, with the same demo model.

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Redis: db 2 (BENCH_REDIS_URL)."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
from common import (
    PYTHON,
    ROOT,
    Database,
    Proc,
    Summary,
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
    prepare_database,
    start_app,
)
from sqlalchemy import text

sys.path.insert(0, str(ROOT))

from app.config import SETTINGS  # noqa: E402

POLL_SECONDS = 0.05
BATCH = 15  # episodes per model call (app/outline/kind.py)
FINISHED = ("completed", "failed", "cancelled")
# The tests' brainstorm params (tests/factories.py BRAINSTORM_PARAMS).
BRAINSTORM_PARAMS: dict[str, Any] = {
    "platform": "douyin",
    "genrePaths": [["女频", "爱情", "甜宠"]],
    "genreProportions": [100],
    "requirements": "",
    "numIdeas": 3,
}


# ---------------------------------------------------------------------- the app, demo model


def demo_delay_ms() -> float:
    """The demo model's pacing the app will use (DEMO_TOKEN_DELAY_MS, or its default)."""
    raw = os.environ.get("DEMO_TOKEN_DELAY_MS")
    return float(raw) if raw else float(SETTINGS["DEMO_TOKEN_DELAY_MS"][0])


def demo_env(db: Database, port: int) -> dict[str, str]:
    """The app's environment without a model key: the offline demo model answers. Empty
    values, not absent ones, so that a key in this shell's environment cannot leak in."""
    env = app_env(db, "", 0, port)  # WORKERS=0: the worker is ours
    env.update(LLM_API_KEY="", LLM_BASE_URL="", LLM_MODEL="")
    return env


@dataclass
class DemoApp:
    """app.py (web) and one worker.py on a fresh database, with the demo model."""

    db: Database
    web: Proc
    worker: Proc
    base_url: str
    env: dict[str, str]
    token: str

    @classmethod
    def start(cls, database: str, worker_env: dict[str, str] | None = None) -> DemoApp:
        """Fresh database and Redis db, the web process, one worker, the bench account."""
        db = prepare_database(database)
        flush_redis()
        web = worker = None
        try:
            db.hold()  # the benchmark's own connection, before the app's pools take theirs
            env = demo_env(db, free_port())
            web, base_url = start_app(env)
            if "offline demo model" not in web.ready_line:
                raise RuntimeError(f"the app is not on the demo model: {web.ready_line}")
            worker = Proc(
                "worker",
                [PYTHON, str(ROOT / "worker.py")],
                {**env, **(worker_env or {})},
                " ready: ",
            )
            token = create_account(env)
        except BaseException:
            for proc in (worker, web):
                if proc is not None:
                    proc.stop()
            db.cleanup()
            raise
        return cls(db, web, worker, base_url, env, token)

    def client(self) -> httpx2.Client:
        """A keep-alive JSON API client with the bench account's bearer token."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx2.Client(base_url=self.base_url, headers=headers, timeout=60)

    def project(self, name: str) -> int:
        """A new project of the bench account."""
        return create_projects(self.base_url, self.token, 1, prefix=name)[0]

    def calls(self, job_id: int) -> tuple[int, int]:
        """Model calls the job made (rows of llm_transforms) and their completion tokens."""
        with self.db.engine().connect() as connection:
            count, tokens = connection.execute(
                text(
                    "SELECT count(*), coalesce(sum(completion_tokens), 0) FROM llm_transforms"
                    " WHERE transform_id = :id"
                ),
                {"id": job_id},
            ).one()
        return int(count), int(tokens)

    def problems(self) -> list[str]:
        """Watched phrases (tracebacks, refused connections …) the processes printed."""
        found = []
        for proc in (self.web, self.worker):
            for phrase, count in proc.counts.items():
                found.append(f"{proc.name} printed {count} × {phrase!r}")
        return found

    def stop(self) -> None:
        """Stop the worker, then the web process; close the database."""
        self.worker.stop()
        self.web.stop()
        self.db.cleanup()


# ---------------------------------------------------------------------- polled jobs


@dataclass
class Polled:
    """One job followed from its start: seconds from just before the POST to each milestone."""

    job_id: int
    marks: dict[str, float] = field(default_factory=dict)
    final: dict[str, Any] = field(default_factory=dict)
    gets: list[float] = field(default_factory=list)  # each poll's own request time
    size: int = 0  # bytes of the last answer


def follow(
    http: httpx2.Client,
    start: str,
    body: dict[str, Any],
    id_key: str,
    read: str,
    milestones: dict[str, Any],
    timeout: float = 1800,
) -> Polled:
    """POST ``start``, then GET ``read`` (formatted with the id) every POLL_SECONDS until the
    job ends; note when each milestone (a predicate of the answer) first held."""
    began = time.perf_counter()
    response = http.post(start, json=body)
    if response.status_code != 202:
        raise RuntimeError(f"POST {start} answered {response.status_code}: {response.text}")
    polled = Polled(response.json()[id_key])
    path = read.format(id=polled.job_id)
    tick = began
    while True:
        tick += POLL_SECONDS
        time.sleep(max(0.0, tick - time.perf_counter()))
        sent = time.perf_counter()
        answer = http.get(path)
        now = time.perf_counter()
        polled.gets.append(now - sent)
        answer.raise_for_status()
        polled.size = len(answer.content)
        data = answer.json()
        for name, holds in milestones.items():
            if name not in polled.marks and holds(data):
                polled.marks[name] = now - began
        if data["status"] in FINISHED:
            polled.marks["done"] = now - began
            polled.final = data
            if data["status"] != "completed":
                raise RuntimeError(f"{path} ended {data['status']}: {data.get('job')}")
            return polled
        if now - began > timeout:
            raise TimeoutError(f"{path} still {data['status']} after {timeout:.0f}s")
        tick = max(tick, now - POLL_SECONDS)  # a slow GET: the next one goes at once


def brainstorm(http: httpx2.Client, project: int, **params: Any) -> Polled:
    """A brainstorm run to its end, timed to its first idea and to completion."""
    return follow(
        http,
        "/api/brainstorm/start",
        {"projectId": project, "params": {**BRAINSTORM_PARAMS, **params}},
        "ideationRunId",
        "/api/ideations/{id}",
        {"first idea": lambda d: bool(d["ideas"])},
    )


def outline(http: httpx2.Client, project: int, idea: int, **params: Any) -> Polled:
    """An outline of the idea version run to its end, timed to its first section, its first
    episode and completion."""
    return follow(
        http,
        "/api/outlines/start",
        {"projectId": project, "sourceArtifactId": idea, "params": params},
        "outlineId",
        "/api/outlines/{id}",
        {
            "first section": lambda d: bool(d["components"].get("title")),
            "first episode": lambda d: bool(d["components"].get("episodes")),
        },
    )


# ---------------------------------------------------------------------- the benchmark


@dataclass
class Result:
    """One database's pass."""

    database: str
    brainstorms: list[Polled]
    outlines: list[Polled]
    calls: list[tuple[int, int]]  # per outline: model calls, completion tokens
    problems: list[str]


def measure(database: str, runs: int) -> Result:
    """``runs`` × (brainstorm, then an outline of its first idea) in one project."""
    app = DemoApp.start(database)
    try:
        with app.client() as http:
            project = app.project(f"Outline demo {database}")
            brainstorms, outlines, calls = [], [], []
            for run in range(runs):
                ideas = brainstorm(http, project)
                brainstorms.append(ideas)
                first = ideas.final["ideas"][0]["artifactId"]
                made = outline(http, project, first)
                outlines.append(made)
                calls.append(app.calls(made.job_id))
                job = made.final["job"]
                print(
                    f"  [{database}] run {run + 1}/{runs}: brainstorm {ideas.marks['done']:.1f}s,"
                    f" outline {made.marks['done']:.1f}s, {job['progressDone']}"
                    f"/{job['progressTotal']} episodes",
                    flush=True,
                )
        return Result(database, brainstorms, outlines, calls, app.problems())
    finally:
        app.stop()


def summary_rows(table: Table, result: Result) -> None:
    """p50 / max of each milestone, outline first, then the reference brainstorm."""
    rows = [
        ("outline", "POST → first section (title)", result.outlines, "first section"),
        ("outline", "POST → first episode", result.outlines, "first episode"),
        ("outline", "POST → completed", result.outlines, "done"),
        ("brainstorm (ref)", "POST → first idea", result.brainstorms, "first idea"),
        ("brainstorm (ref)", "POST → completed", result.brainstorms, "done"),
    ]
    for job, what, polled, mark in rows:
        s = Summary.of([p.marks[mark] for p in polled])
        table.add(result.database, job, what, s.n, s.p50 / 1000, s.max / 1000)


def main() -> None:
    """Parse the knobs, run each database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--runs", type=int, default=3, help="outlines per database")
    args = parser.parse_args()
    install_cleanup()
    context, load_before = machine(), load()
    delay = demo_delay_ms()
    results = [measure(database, args.runs) for database in databases(args.database)]
    print("Outline with the offline demo model: 60 episodes (default params), polled every 50 ms")
    print(
        f"  demo pacing DEMO_TOKEN_DELAY_MS={delay:g} ({1000 / delay:.0f} tokens/s per call);"
        " app.py (web, WORKERS=0) + 1 worker.py; one project, runs one after another"
    )
    print("  reference: the brainstorm (3 ideas) each outline is made from, same demo model")
    print(f"  {context}; load average {load_before} before, {load()} after")
    table = Table(["database", "job", "milestone", "n", "p50 s", "max s"])
    for result in results:
        summary_rows(table, result)
    print(table.render())
    details = Table(
        ["database", "run", "episodes", "progressDone", "calls", "1+ceil(n/15)", "tokens", "tok/s"]
    )
    for result in results:
        for run, (made, (count, tokens)) in enumerate(
            zip(result.outlines, result.calls, strict=True), 1
        ):
            done = made.final["job"]["progressDone"]
            episodes = len(made.final["components"]["episodes"])
            expected = 1 + math.ceil(done / BATCH)
            rate = tokens / made.marks["done"]
            details.add(result.database, run, episodes, done, count, expected, tokens, rate)
    print(details.render())
    for result in results:
        for path, polled in (
            ("/api/outlines/<id>", result.outlines),
            ("/api/ideations/<id>", result.brainstorms),
        ):
            gets = Summary.of([g for p in polled for g in p.gets])
            size = max(p.size for p in polled) / 1024
            print(
                f"{result.database}: {gets.n} polling GETs of {path}: p50 {gets.p50:.1f} ms,"
                f" p99 {gets.p99:.1f} ms, max {gets.max:.1f} ms; last answer {size:.0f} kB"
            )
        for problem in result.problems:
            print(f"{result.database}: {problem}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
