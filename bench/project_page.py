"""The project page's render time with a story graph of 40 and ~100 nodes, cold and warm.

    .venv/bin/python bench/project_page.py [--database auto|sqlite|postgres|both] [--runs 30]

The lineage is built the real way, with the offline demo model (app.py web + one worker.py,
no LLM_API_KEY / LLM_BASE_URL, the demo's own pacing): brainstorms of 10 ideas, idea edits
(POST /api/artifacts/<id>/edit), outlines of 10 episodes, until GET
/api/projects/<id>/lineage reports at least 40 nodes; measured; then on to 100 and measured
again, every job finished first (a running job changes the lineage at each flush).

GET /projects/<id> by a signed-in session (keep-alive), client wall time:
- cold: the first render after the graph's drawing left the cache (the keys `sw:lineage:*`
  of the Redis db are deleted before each sample: the lineage, and so its size, stays as it
  is; app/lineage.py `drawing` keys the cache on it);
- warm: the same page again, the drawing cached.
Reference in the same run: GET /login. The samples are interleaved (cold, warm, reference).

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Redis: db 2 (BENCH_REDIS_URL)."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
from common import (
    Summary,
    Table,
    add_database_option,
    databases,
    install_cleanup,
    load,
    machine,
    redis_client,
    sign_in,
)
from outline_demo import DemoApp, Polled, brainstorm, demo_delay_ms, outline

SIZES = (40, 100)
WARMUP = 3
# Nodes each step adds to the lineage: a brainstorm of 10 ideas (its params, the job, the
# ideas), an idea edit (the new version, the human transform), an outline (its params, the
# job, the outline).
STEP = {"brainstorm": 12, "edit": 2, "outline": 3}


@dataclass
class Builder:
    """Grows one project's lineage through the API, and knows what it has done."""

    http: httpx2.Client
    project: int
    ideas: list[dict[str, Any]] = field(default_factory=list)  # not yet edited nor outlined
    edited: list[int] = field(default_factory=list)  # idea versions made by edits
    running: threading.Thread | None = None  # the outline in the background
    outlines: list[Polled] = field(default_factory=list)
    _started: int = 0  # outlines finished when the running one started
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STEP, 0))
    seconds: float = 0.0

    def nodes(self) -> int:
        """The lineage's node count, as the API reports it."""
        response = self.http.get(f"/api/projects/{self.project}/lineage")
        response.raise_for_status()
        return len(response.json()["nodes"])

    def brainstorm(self) -> None:
        """A brainstorm of 10 ideas, to its end."""
        done = brainstorm(self.http, self.project, numIdeas=10)
        self.ideas += done.final["ideas"]
        self.counts["brainstorm"] += 1

    def edit(self) -> None:
        """An edit of an idea nobody edited yet: its title changes."""
        idea = self.ideas.pop(0)
        data = {"title": f"{idea['title']} (rev)", "body": idea["body"]}
        response = self.http.post(f"/api/artifacts/{idea['artifactId']}/edit", json={"data": data})
        if response.status_code != 201:
            raise RuntimeError(f"edit answered {response.status_code}: {response.text}")
        self.edited.append(response.json()["artifactId"])
        self.counts["edit"] += 1

    def outline(self) -> None:
        """An outline of 10 episodes of an edited idea (or an idea), in the background; the
        one before it must have ended (one outline per project at a time)."""
        self.wait()
        source = self.edited.pop(0) if self.edited else self.ideas.pop(0)["artifactId"]
        started = len(self.outlines)

        def run() -> None:
            headers = self.http.headers
            with httpx2.Client(base_url=self.http.base_url, headers=headers, timeout=60) as own:
                self.outlines.append(outline(own, self.project, source, episodeCount=10))

        self.running = threading.Thread(target=run, daemon=True, name="outline")
        self.running.start()
        self._started = started
        self.counts["outline"] += 1

    def wait(self) -> None:
        """Until the background outline (if any) has ended."""
        if self.running is not None:
            self.running.join()
            self.running = None
            if len(self.outlines) <= self._started:
                raise RuntimeError("the background outline failed (see its traceback above)")

    def grow(self, target: int) -> int:
        """Steps until the lineage has at least ``target`` nodes; the exact count then."""
        began = time.perf_counter()
        cycle = ["brainstorm", "edit", "edit", "outline"]
        step = 0
        count = self.nodes()
        while count < target:
            left = target - count
            kind = cycle[step % len(cycle)]
            step += 1
            if STEP[kind] > left:  # top up with the smallest steps that fit
                kind = "outline" if left >= 3 and (self.edited or self.ideas) else "edit"
            if kind in ("edit", "outline") and not self.ideas and not self.edited:
                kind = "brainstorm"
            if kind == "edit" and not self.ideas:
                kind = "brainstorm"
            getattr(self, kind)()
            count += STEP[kind]
        self.wait()
        self.seconds += time.perf_counter() - began
        return self.nodes()


def flush_drawings() -> int:
    """Delete the cached drawings (sw:lineage:*) in the benchmarks' Redis db; how many."""
    client = redis_client()
    try:
        keys = list(client.scan_iter("sw:lineage:*"))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


def get(http: httpx2.Client, path: str, needle: str) -> float:
    """One timed GET that must answer 200 with ``needle`` in the page."""
    began = time.perf_counter()
    response = http.get(path)
    elapsed = time.perf_counter() - began
    if response.status_code != 200 or needle not in response.text:
        raise RuntimeError(f"GET {path} answered {response.status_code} without {needle!r}")
    return elapsed


@dataclass
class Sample:
    """The timings at one lineage size, in seconds."""

    nodes: int
    edges: int
    cold: list[float]
    warm: list[float]
    reference: list[float]
    flushed: int  # cached drawings deleted before the cold samples (1 each: the check)
    svg_kb: float


def sample(page: httpx2.Client, api: httpx2.Client, project: int, runs: int) -> Sample:
    """Interleaved cold, warm and reference renders (after a few untimed ones)."""
    lineage = api.get(f"/api/projects/{project}/lineage").json()
    path = f"/projects/{project}"
    cold, warm, reference, flushed = [], [], [], 0
    for index in range(WARMUP + runs):
        deleted = flush_drawings()
        cold_s = get(page, path, "<svg")
        warm_s = get(page, path, "<svg")
        ref_s = get(page, "/login", "csrf_token")
        if index >= WARMUP:
            cold.append(cold_s)
            warm.append(warm_s)
            reference.append(ref_s)
            flushed += deleted
    html = page.get(path).text
    start, end = html.find("<svg"), html.find("</svg>")
    svg_kb = (end - start) / 1024 if start >= 0 else 0.0
    nodes, edges = len(lineage["nodes"]), len(lineage["edges"])
    return Sample(nodes, edges, cold, warm, reference, flushed, svg_kb)


@dataclass
class Result:
    """One database's pass."""

    database: str
    samples: list[Sample]
    counts: dict[str, int]
    build_seconds: float
    problems: list[str]


def measure(database: str, runs: int, sizes: tuple[int, ...]) -> Result:
    """Build the lineage in steps and sample the page at each size."""
    app = DemoApp.start(database)
    try:
        with app.client() as api:
            project = app.project(f"Story graph {database}")
            builder = Builder(api, project)
            page = sign_in(app.base_url)
            samples = []
            try:
                for size in sizes:
                    nodes = builder.grow(size)
                    print(
                        f"  [{database}] {nodes} nodes after {builder.counts}"
                        f" ({builder.seconds:.0f}s of demo jobs so far)",
                        flush=True,
                    )
                    samples.append(sample(page, api, project, runs))
            finally:
                page.close()
        return Result(database, samples, builder.counts, builder.seconds, app.problems())
    finally:
        app.stop()


def main() -> None:
    """Parse the knobs, run each database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--runs", type=int, default=30, help="timed samples of each case")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="lineage sizes (nodes)"
    )
    args = parser.parse_args()
    install_cleanup()
    context, load_before = machine(), load()
    results = [
        measure(database, args.runs, tuple(args.sizes)) for database in databases(args.database)
    ]
    print("Project page GET /projects/<id> with its story graph, signed-in session, keep-alive")
    print(
        f"  lineage built with the offline demo model (DEMO_TOKEN_DELAY_MS={demo_delay_ms():g}):"
        " brainstorms of 10 ideas, idea edits, outlines of 10 episodes"
    )
    print(
        f"  cold: sw:lineage:* deleted before each sample; warm: the page again; reference:"
        f" GET /login; {WARMUP} untimed + {args.runs} timed of each, interleaved"
    )
    print(f"  {context}; load average {load_before} before, {load()} after")
    table = Table(
        ["database", "nodes", "edges", "svg kB", "page", "n", "p50 ms", "p99 ms", "max ms"]
    )
    for result in results:
        for s in result.samples:
            for what, values in (
                ("cold (drawn)", s.cold),
                ("warm (cached)", s.warm),
                ("/login (ref)", s.reference),
            ):
                f = Summary.of(values)
                table.add(
                    result.database, s.nodes, s.edges, s.svg_kb, what, f.n, f.p50, f.p99, f.max
                )
    print(table.render())
    for result in results:
        steps = ", ".join(f"{n} × {kind}" for kind, n in result.counts.items())
        print(f"{result.database}: lineage from {steps}, {result.build_seconds:.0f}s of demo jobs")
        for s in result.samples:
            if s.flushed != len(s.cold):
                print(
                    f"{result.database}: {s.nodes} nodes: {s.flushed} cached drawings deleted"
                    f" for {len(s.cold)} cold samples (expected one each)"
                )
        for problem in result.problems:
            print(f"{result.database}: {problem}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
