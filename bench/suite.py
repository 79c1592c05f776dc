"""The benchmark suite: every figure of issue 13's table beside its reference, in one run.

    .venv/bin/python bench/suite.py [--quick] [--database auto|sqlite|postgres|both]
        [--only M1,M2,…] [--output DIR]

Runs each figure script as a subprocess of this Python, in turn, with BENCH_RECORD naming a
file where it records its figures (bench/common.py record), and `--database` passed on
(auto: SQLite, and PostgreSQL when BENCH_DATABASE_URL is set). `--quick` passes `--quick`
to each (a short run, at most about 5 minutes in all). Then it prints one table and writes,
in `--output` (default: bench/), RESULTS.md — date, code, machine, the commands and their
durations, the figures, the missed targets — and latency.png: the durable path's added
latency p50 and p99 against concurrent jobs (stream_latency.py at 1, 5, 20, 50 and 100
jobs; quick: 1 and 20), one line per database. M1's and M7's row is the 20-jobs run.

A script that fails is reported with its last lines and the suite goes on; one that does
not exist yet is named. Either makes the exit status 1."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from common import PYTHON, ROOT, Table, add_database_option, databases, load

BENCH = ROOT / "bench"
ORDER = ["M1", "M2", "M3", "M5", "M6", "M7", "J", "S", "H"]
CURVE_JOBS, CURVE_JOBS_QUICK = [1, 5, 20, 50, 100], [1, 20]
TABLE_JOBS = 20  # the load of M1's and M7's targets
TIMEOUT, TIMEOUT_QUICK = 45 * 60, 4 * 60  # seconds one script may take, per database
TAIL = 30  # lines of a failed script's output kept for the report


@dataclass
class Step:
    """One script run: what it measures and how it went."""

    script: str
    figures: tuple[str, ...]
    args: list[str] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "not run"  # ok, failed (exit N), timed out, missing
    tail: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def command(self) -> list[str]:
        """The command line, as run."""
        return [PYTHON, str(BENCH / self.script), *self.args]

    def shown(self) -> str:
        """The command line as a reader would type it from the repository's root."""
        return " ".join(_relative(part) for part in self.command)


def _relative(part: str) -> str:
    if "/" not in part:
        return part
    path = Path(os.path.normpath(os.path.abspath(part)))  # not resolve(): the venv's python
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else part


def plan(quick: bool, database: str, only: set[str]) -> list[Step]:
    """The scripts to run, in the table's order."""
    common = ["--database", database] + (["--quick"] if quick else [])
    steps = [
        Step("stream_latency.py", ("M1", "M7"), ["--jobs", str(jobs), *common])
        for jobs in (CURVE_JOBS_QUICK if quick else CURVE_JOBS)
    ]
    steps += [
        Step("start_latency.py", ("M2",), common),
        Step("ingest.py", ("M3",), common),
        Step("fanout.py", ("M5",), common),
        Step("reload.py", ("M6",), common),
        Step("jobs_page.py", ("J",), common),
        Step("soak.py", ("S",), common),
    ]
    if not quick:  # beyond the table: completed jobs/s with 1, 2 and 4 worker hosts
        steps.append(Step("hosts.py", ("H",), common))
    return [step for step in steps if not only or only & set(step.figures)]


# ---------------------------------------------------------------------------------- running


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop the running script, then report what is in."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def run(step: Step, records: Path, timeout: float) -> None:
    """Run one script, its output passed through; keep its status, duration and figures."""
    if not (BENCH / step.script).exists():
        step.status = "missing"
        print(f"== bench/{step.script} does not exist yet: {', '.join(step.figures)} not measured")
        return
    print(f"== {step.shown()}", flush=True)
    out = records / f"{len(list(records.iterdir()))}-{step.script}.jsonl"
    env = {**os.environ, "BENCH_RECORD": str(out), "PYTHONUNBUFFERED": "1"}
    tail: deque[str] = deque(maxlen=TAIL)
    began = time.monotonic()
    # A group of its own, so that a timeout or an interrupt stops it and whatever it started.
    proc = subprocess.Popen(
        step.command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    pump = threading.Thread(target=_pump, args=(proc, tail), daemon=True)
    pump.start()
    try:
        code = proc.wait(timeout)
        step.status = "ok" if code == 0 else f"failed (exit {code})"
    except subprocess.TimeoutExpired:
        step.status = f"timed out after {timeout:.0f} s"
        _stop(proc)
    except (KeyboardInterrupt, Interrupted):
        _stop(proc)
        raise
    finally:
        pump.join(5)
        step.seconds = time.monotonic() - began
        step.tail = list(tail)
        if out.exists():
            step.rows = [json.loads(line) for line in out.read_text().splitlines() if line]
    print(f"== {step.script}: {step.status} in {step.seconds:.0f} s", flush=True)


def _pump(proc: subprocess.Popen[str], tail: deque[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        tail.append(line.rstrip("\n"))


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the script's group (the scripts stop what they started), then SIGKILL it."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def raise_open_files() -> None:
    """Fan-out and many viewers need sockets: the soft limit of open files up to the hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------------------------- figures


def number(value: Any, unit: str = "") -> str:
    """A figure as the table shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    size = abs(value)
    if isinstance(value, int) or size >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.1f}" if size >= 10 else f"{value:.2f}"
    return f"{text} {unit}".strip() if unit else text


def in_table(row: dict[str, Any]) -> bool:
    """The table's rows: every figure but stream_latency's other loads (the curve's)."""
    return row.get("script") != "stream_latency.py" or row.get("jobs") == TABLE_JOBS


def cells(row: dict[str, Any]) -> list[str]:
    """figure, measure, database, value, reference, target, met."""
    value = number(row["value"], row["unit"])
    if row.get("ladder_top") is not None and row["value"] >= row["ladder_top"]:
        value += " (the ladder's top)"
    if row.get("ratio") is not None:
        value += f" ({row['ratio']:.2f}×)"
    met = {True: "yes", False: "NO", None: "—"}[row.get("met")]
    return [
        row["figure"],
        row["measure"],
        row.get("database") or "—",
        value,
        number(row.get("reference"), row["unit"]),
        row.get("target") or "—",
        met,
    ]


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By figure id in the issue's order; each figure's rows as recorded."""
    rank = {figure: index for index, figure in enumerate(ORDER)}
    return sorted(rows, key=lambda row: rank.get(row["figure"], len(ORDER)))


def curve(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[tuple[int, dict[str, Any]]]]]:
    """database → "added p50" / "added p99" → (jobs, its record) points, by jobs."""
    points: dict[str, dict[str, list[tuple[int, dict[str, Any]]]]] = {}
    for row in rows:
        if (
            row["figure"] == "M1"
            and row.get("jobs")
            and row["measure"] in ("added p50", "added p99")
        ):
            by = points.setdefault(row.get("database") or "?", {})
            by.setdefault(row["measure"], []).append((row["jobs"], row))
    for by in points.values():
        for measure in by:
            by[measure].sort(key=lambda point: point[0])
    return points


def plot(rows: list[dict[str, Any]], path: Path, title: str) -> bool:
    """latency.png. Top: added p50 and p99 against concurrent jobs, one line per database,
    the targets dashed — only where the direct proxy kept up (beyond, it fell behind its own
    upstream and "added" measures nothing). Bottom: the durable path's and the direct
    proxy's own latencies, which show where that happens. False when there is no point."""
    points = curve(rows)
    if not points:
        return False
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    targets = {"added p50": 5.0, "added p99": 25.0}
    figure, axes = plt.subplots(2, 2, figsize=(10, 7.6), sharex=True)
    for column, measure in enumerate(targets):
        added, own = axes[0][column], axes[1][column]
        for database, by in sorted(points.items()):
            series = by.get(measure, [])
            kept_up = [(j, r["value"]) for j, r in series if r["value"] >= 0]
            if kept_up:
                added.plot(*zip(*kept_up, strict=True), marker="o", label=database)
            line = own.plot(
                [j for j, _r in series],
                [r["durable"] for _j, r in series],
                marker="o",
                label=f"{database}: durable",
            )
            own.plot(
                [j for j, _r in series],
                [r["reference"] for _j, r in series],
                marker="x",
                linestyle=":",
                color=line[0].get_color(),
                label=f"{database}: direct proxy",
            )
        added.axhline(
            targets[measure],
            linestyle="--",
            color="grey",
            label=f"target at {TABLE_JOBS} jobs: ≤ {targets[measure]:g} ms",
        )
        added.set_ylabel("ms over the direct proxy")
        added.set_title(f"durable path: {measure}")
        own.set_yscale("log")
        own.set_ylabel("ms, token → viewer")
        own.set_title(f"{measure.split()[1]} of each path (the proxy saturates past 20 jobs)")
        own.set_xlabel("concurrent jobs (× 3 viewers, 100 tokens/s each)")
        for axis in (added, own):
            axis.set_xscale("log")
            axis.set_xlim(0.8, 125)
            axis.xaxis.set_major_locator(FixedLocator(CURVE_JOBS))
            axis.xaxis.set_major_formatter(ScalarFormatter())
            axis.xaxis.set_minor_locator(NullLocator())
            axis.grid(True, alpha=0.3)
            axis.legend(fontsize="small")
    figure.suptitle(title, fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


# ---------------------------------------------------------------------------------- the report


def code_state() -> str:
    """The commit measured and whether code outside bench/ differs from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return f"not a git checkout ({ROOT})"
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    changed = [line[3:] for line in status.stdout.splitlines() if not line[3:].startswith("bench/")]
    if not changed:
        return f"{head.stdout.strip()}, no uncommitted changes outside bench/"
    return f"{head.stdout.strip()} + uncommitted changes outside bench/ ({len(changed)} paths)"


def machine_lines() -> list[str]:
    """CPU model, cores, memory, Python and the operating system."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    return [
        f"CPU: {model}, {os.cpu_count()} cores",
        f"memory: {memory:.1f} GiB",
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
    ]


def markdown(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]


def missed(rows: list[dict[str, Any]]) -> list[str]:
    """Every figure that missed its target, and those given no verdict."""
    lines = []
    for row in ordered(rows):
        if not in_table(row) or not row.get("target"):
            continue
        figure, measure, database, value, reference, target, _met = cells(row)
        if row.get("met") is False:
            beside = f" (reference {reference})" if row.get("reference") is not None else ""
            lines.append(f"{figure} {measure} ({database}): {value}, target {target}{beside}")
        elif row.get("met") is None:
            note = row.get("note") or "no verdict"
            lines.append(f"{figure} {measure} ({database}): {value}, target {target}: {note}")
    return lines


def curve_table(rows: list[dict[str, Any]]) -> list[list[str]]:
    """jobs, database, added p50 / p99, durable p50 / p99, direct p50 / p99, CPU ratio."""
    found: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}
    for row in rows:
        if row.get("script") == "stream_latency.py" and row.get("jobs"):
            found.setdefault((row["jobs"], row.get("database", "")), {})[row["measure"]] = row
    out = []
    for (jobs, database), by in sorted(found.items(), key=lambda item: item[0][::-1]):
        p50, p99 = by.get("added p50", {}), by.get("added p99", {})
        cpu = by.get("CPU per token delivered", {})
        out.append(
            [
                str(jobs),
                database,
                number(p50.get("value")),
                number(p99.get("value")),
                number(p50.get("durable")),
                number(p99.get("durable")),
                number(p50.get("reference")),
                number(p99.get("reference")),
                f"{cpu['ratio']:.2f}×" if cpu.get("ratio") is not None else "—",
            ]
        )
    return out


def write_results(
    output: Path, steps: list[Step], rows: list[dict[str, Any]], context: dict[str, Any]
) -> bool:
    """RESULTS.md and latency.png in `output`; False if there was no point to plot."""
    title = f"{context['mode']} run, {context['date']} UTC, code {context['code'].split()[0]}"
    drawn = plot(rows, output / "latency.png", title)
    headers = ["figure", "measure", "database", "value", "reference", "target", "met"]
    total = sum(step.seconds for step in steps)
    text = [
        "# Benchmark results",
        "",
        f"{context['mode']} run of `bench/suite.py` on {context['date']} (UTC).",
        "",
        f"- code: {context['code']}",
        *[f"- {line}" for line in machine_lines()],
        f"- load average (1/5/15 min): {context['load_before']} before, {load()} after",
        f"- databases: {context['databases']}",
        *[f"- {note}" for note in context.get("redone", [])],
        "",
        "Figures from a busy machine are high; compare each figure with its reference, "
        "measured in the same run.",
        "",
        "## Commands",
        "",
        *markdown(
            ["command", "duration", "status"],
            [
                [f"`{s.shown()}`", f"{s.seconds:.0f} s" if s.seconds else "—", s.status]
                for s in steps
            ],
        ),
        "",
        f"Total {total / 60:.1f} min; each script recorded its figures (bench/common.py record).",
        "",
        "## Figures",
        "",
        *markdown(headers, [cells(row) for row in ordered(rows) if in_table(row)]),
        "",
        "M1's value is the durable path's latency less the direct proxy's, its reference the "
        "direct proxy's own latency; M7's is CPU per token delivered to one viewer (web + "
        "worker) beside the direct proxy's.",
        "",
        "## Added latency against concurrent jobs (M1)",
        "",
        "![added latency p50 and p99 against concurrent jobs](latency.png)"
        if drawn
        else "No stream_latency.py run recorded a point: no plot.",
        "",
        *markdown(
            [
                "jobs",
                "database",
                "added p50",
                "added p99",
                "durable p50",
                "durable p99",
                "direct p50",
                "direct p99",
                "CPU/token vs direct",
            ],
            curve_table(rows),
        ),
        "",
        "(ms; 3 viewers per job, 100 tokens/s per job.)",
        "",
        "## Missed targets",
        "",
        *([f"- {line}" for line in missed(rows)] or ["None."]),
    ]
    broken = [s for s in steps if s.status != "ok"]
    if broken:
        text += ["", "## Scripts that did not run to the end", ""]
        for step in broken:
            text.append(f"- `bench/{step.script}` ({', '.join(step.figures)}): {step.status}")
            if step.tail:
                text += ["", "  ```", *[f"  {line}" for line in step.tail[-15:]], "  ```"]
    silent = [s for s in steps if s.status == "ok" and not s.rows]
    for step in silent:
        text.append(f"- `bench/{step.script}` ran but recorded no figure")
    (output / "RESULTS.md").write_text("\n".join(text) + "\n", encoding="utf-8")
    return drawn


def with_last_run(
    output: Path, redone: list[Step], context: dict[str, Any]
) -> tuple[list[Step], dict[str, Any]]:
    """The last run's steps with the redone ones in their places, and its context noting
    what was run again, when, on which code."""
    last = json.loads((output / "records.json").read_text(encoding="utf-8"))
    fresh = {(step.script, tuple(step.args)): step for step in redone}
    steps = []
    for kept in (Step(**{**raw, "figures": tuple(raw["figures"])}) for raw in last["steps"]):
        steps.append(fresh.pop((kept.script, tuple(kept.args)), kept))
    steps += fresh.values()
    figures = ", ".join(sorted({f for step in redone for f in step.figures}))
    note = f"{figures} run again {context['date']} UTC on code {context['code']}"
    return steps, {**last["context"], "redone": [*last["context"].get("redone", []), note]}


def main() -> int:
    """Run the scripts, print the table, write the report; 1 if any script failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--quick", action="store_true", help="a short run (≤ 5 minutes)")
    parser.add_argument("--only", help="figure ids to run, comma-separated (e.g. M2,J)")
    parser.add_argument(
        "--redo",
        help="figure ids to run again, keeping the others from the last run's records.json",
    )
    parser.add_argument(
        "--output", type=Path, default=BENCH, help="where RESULTS.md and latency.png go"
    )
    args = parser.parse_args()
    chosen = databases(args.database)  # exits when PostgreSQL is asked for but not set
    only = {figure.strip() for figure in (args.only or args.redo or "").split(",") if figure}
    steps = plan(args.quick, args.database, only)
    args.output.mkdir(parents=True, exist_ok=True)
    context = {
        "mode": "Quick" if args.quick else "Full",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "code": code_state(),
        "load_before": load(),
        "databases": ", ".join(
            {"sqlite": "SQLite (a fresh file)", "postgres": "PostgreSQL"}[d] for d in chosen
        ),
    }
    raise_open_files()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="swbench-suite-") as records:
        try:
            for step in steps:
                per_database = TIMEOUT_QUICK if args.quick else TIMEOUT
                run(step, Path(records), per_database * len(chosen))
        except (KeyboardInterrupt, Interrupted):
            interrupted = True
            print("== interrupted: reporting what is in")
    if args.redo:  # the last run's other steps, as they were
        steps, context = with_last_run(args.output, steps, context)
    (args.output / "records.json").write_text(
        json.dumps({"context": context, "steps": [asdict(step) for step in steps]}, indent=1)
        + "\n",
        encoding="utf-8",
    )
    rows = [row for step in steps for row in step.rows]
    table = Table(["figure", "measure", "database", "value", "reference", "target", "met"])
    for row in ordered(rows):
        if in_table(row):
            table.add(*cells(row))
    print()
    print(table.render())
    for step in steps:
        if step.status not in ("ok", "not run"):
            print(f"bench/{step.script}: {step.status}")
            if step.status != "missing":
                print("  " + "\n  ".join(step.tail[-10:]))
    drawn = write_results(args.output, steps, rows, context)
    wrote = [args.output / "RESULTS.md", *([args.output / "latency.png"] if drawn else [])]
    print("wrote " + " and ".join(map(str, wrote)))
    return 1 if interrupted or any(step.status != "ok" for step in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
