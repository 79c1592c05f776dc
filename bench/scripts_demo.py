"""Episode scripts with the offline demo model: a character bible, episodes 1-10, the exports.

    .venv/bin/python bench/scripts_demo.py [--database auto|sqlite|postgres|both] [--runs 2]

The app runs without LLM_API_KEY / LLM_BASE_URL, so the offline demo model answers at its own
pacing (DEMO_TOKEN_DELAY_MS, left as configured: that pacing is what is measured): `app.py`
(web, WORKERS=0) and one `worker.py`. Per run, in one project: a brainstorm (3 ideas), an
outline of its first idea with 12 episodes, a character bible of that outline version
(POST /api/bibles/start), the scripts of episodes 1-10 (POST /api/scripts/start), each polled
with GET every 50 ms until it ends; then the outline's whole series exported as Fountain and as
Word (GET /api/outlines/<id>/series/export). Figures, from just before each POST:

- bible: completed;
- scripts: the first episode visible in GET /api/scripts/<id> (`episodes` non-empty), the tenth,
  the job completed; seconds per episode (completed / 10); the model calls (rows of
  llm_transforms: one per episode) and their completion tokens;
- exports: each GET's time and the size of the file;
- reference in the same run: the outline's completion, with the same demo model.

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (that database is dropped and
created afresh: see bench/common.py). Redis: db 2 (BENCH_REDIS_URL)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

import httpx2
from common import (
    Summary,
    Table,
    add_database_option,
    databases,
    install_cleanup,
    load,
    machine,
    percentile,
)
from outline_demo import DemoApp, Polled, brainstorm, demo_delay_ms, follow, outline

EPISODE_COUNT = 12  # the outline's episodes
LAST = 10  # scripts of episodes 1 … LAST
EXPORTS = ("fountain", "docx")


# ---------------------------------------------------------------------- polled jobs


def bible(http: httpx2.Client, project: int, outline_artifact: int) -> Polled:
    """A character bible of the outline version run to its end."""
    return follow(
        http,
        "/api/bibles/start",
        {"projectId": project, "outlineArtifactId": outline_artifact},
        "bibleId",
        "/api/bibles/{id}",
        {},
    )


def scripts(http: httpx2.Client, project: int, outline_artifact: int, last: int) -> Polled:
    """The scripts of episodes 1 … last run to their end, timed to the first episode visible,
    to the last one and to completion."""
    return follow(
        http,
        "/api/scripts/start",
        {"projectId": project, "outlineArtifactId": outline_artifact, "episodes": f"1-{last}"},
        "scriptId",
        "/api/scripts/{id}",
        {
            "first episode": lambda d: len(d["episodes"]) >= 1,
            "last episode": lambda d: len(d["episodes"]) >= last,
        },
    )


@dataclass
class Export:
    """One download of the series."""

    seconds: float
    size: int  # bytes


def export(http: httpx2.Client, outline_job: int, format_: str) -> Export:
    """The outline's whole series in one format, timed."""
    began = time.perf_counter()
    response = http.get(f"/api/outlines/{outline_job}/series/export", params={"format": format_})
    seconds = time.perf_counter() - began
    response.raise_for_status()
    return Export(seconds, len(response.content))


# ---------------------------------------------------------------------- the benchmark


@dataclass
class Result:
    """One database's pass."""

    database: str
    outlines: list[Polled] = field(default_factory=list)
    bibles: list[Polled] = field(default_factory=list)
    scripts: list[Polled] = field(default_factory=list)
    calls: list[tuple[int, int]] = field(default_factory=list)  # model calls, completion tokens
    exports: list[dict[str, Export]] = field(default_factory=list)  # format → download
    problems: list[str] = field(default_factory=list)


def measure(database: str, runs: int) -> Result:
    """``runs`` × (brainstorm, outline, bible, episodes 1-10, exports) in one project."""
    app = DemoApp.start(database)
    try:
        with app.client() as http:
            project = app.project(f"Scripts demo {database}")
            result = Result(database)
            for run in range(runs):
                ideas = brainstorm(http, project)
                first = ideas.final["ideas"][0]["artifactId"]
                made = outline(http, project, first, episodeCount=EPISODE_COUNT)
                version = made.final["artifactId"]
                cast = bible(http, project, version)
                written = scripts(http, project, version, LAST)
                if len(written.final["episodes"]) != LAST:
                    raise RuntimeError(f"{len(written.final['episodes'])} episodes written")
                files = {f: export(http, made.job_id, f) for f in EXPORTS}
                result.outlines.append(made)
                result.bibles.append(cast)
                result.scripts.append(written)
                result.calls.append(app.calls(written.job_id))
                result.exports.append(files)
                print(
                    f"  [{database}] run {run + 1}/{runs}: outline {made.marks['done']:.1f}s,"
                    f" bible {cast.marks['done']:.1f}s, {LAST} episodes"
                    f" {written.marks['done']:.1f}s",
                    flush=True,
                )
        result.problems = app.problems()
        return result
    finally:
        app.stop()


def marks(polled: list[Polled], name: str) -> list[float]:
    """Seconds to one milestone, run by run."""
    return [p.marks[name] for p in polled]


def summary_rows(table: Table, result: Result) -> None:
    """Median / max of each figure, scripts first, then the bible and the reference outline."""
    done = marks(result.scripts, "done")
    rows = [
        ("scripts", "POST → first episode visible", marks(result.scripts, "first episode")),
        ("scripts", f"POST → episode {LAST} visible", marks(result.scripts, "last episode")),
        ("scripts", "POST → completed", done),
        ("scripts", f"seconds per episode (completed / {LAST})", [d / LAST for d in done]),
        ("bible", "POST → completed", marks(result.bibles, "done")),
        (
            "outline (ref)",
            f"POST → completed ({EPISODE_COUNT} ep.)",
            marks(result.outlines, "done"),
        ),
    ]
    for job, what, seconds in rows:
        s = Summary.of(seconds)
        table.add(result.database, job, what, s.n, s.p50 / 1000, s.max / 1000)


def main() -> None:
    """Parse the knobs, run each database, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--runs", type=int, default=2, help="script jobs per database")
    args = parser.parse_args()
    install_cleanup()
    context, load_before = machine(), load()
    delay = demo_delay_ms()
    results = [measure(database, args.runs) for database in databases(args.database)]
    print(
        f"Episode scripts with the offline demo model: episodes 1-{LAST} of a"
        f" {EPISODE_COUNT}-episode outline, after its bible; polled every 50 ms"
    )
    print(
        f"  demo pacing DEMO_TOKEN_DELAY_MS={delay:g} ({1000 / delay:.0f} tokens/s per call);"
        " app.py (web, WORKERS=0) + 1 worker.py; one project, runs one after another"
    )
    print("  reference: the outline the bible and the scripts are written from, same demo model")
    print(f"  {context}; load average {load_before} before, {load()} after")
    table = Table(["database", "job", "milestone", "n", "p50 s", "max s"])
    for result in results:
        summary_rows(table, result)
    print(table.render())
    exports = Table(["database", "series export", "n", "p50 ms", "max ms", "p50 kB"])
    for result in results:
        for format_ in EXPORTS:
            files = [run[format_] for run in result.exports]
            s = Summary.of([f.seconds for f in files])
            size = percentile([f.size for f in files], 50) / 1024
            exports.add(result.database, format_, s.n, s.p50, s.max, size)
    print(exports.render())
    details = Table(
        ["database", "run", "episodes", "calls", "tokens", "tok/s", "s/episode"]
        + [f"{f} {unit}" for f in EXPORTS for unit in ("ms", "kB")]
    )
    for result in results:
        for run, (written, (count, tokens), files) in enumerate(
            zip(result.scripts, result.calls, result.exports, strict=True), 1
        ):
            done = written.marks["done"]
            episodes = len(written.final["episodes"])
            sizes = [v for f in EXPORTS for v in (files[f].seconds * 1000, files[f].size / 1024)]
            details.add(
                result.database, run, episodes, count, tokens, tokens / done, done / LAST, *sizes
            )
    print(details.render())
    for result in results:
        gets = Summary.of([g for p in result.scripts for g in p.gets])
        size = max(p.size for p in result.scripts) / 1024
        print(
            f"{result.database}: {gets.n} polling GETs of /api/scripts/<id>: p50 {gets.p50:.1f}"
            f" ms, p99 {gets.p99:.1f} ms, max {gets.max:.1f} ms; last answer {size:.0f} kB"
        )
        for problem in result.problems:
            print(f"{result.database}: {problem}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)  # every process was stopped on the way out
