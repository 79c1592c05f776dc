"""Time to render the Jobs page (and its API) with 100,000 jobs in the table.

Runs the app in-process through Flask's full request stack (no network), signed in as a
writer who owns most of the jobs. Reference in the same run: the sign-in page, which reads
nothing from the database.

    .venv/bin/python bench/jobs_page.py [--database auto|sqlite|postgres|both] [--jobs 100000]
        [--runs 200] [--walk 300] [--quick]

SQLite always; PostgreSQL when BENCH_DATABASE_URL is set (its database name + "_jobs" is
dropped and created afresh). The first page's p99 and the slowest filtered page's are
recorded as figure J (bench/common.py record). `--quick`: 20 timed renders per page, and
the deep page 3,000 rows in instead of 30,000 (the walk there is most of the run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (  # noqa: E402
    CSRF,
    REDIS_URL,
    Summary,
    Table,
    add_database_option,
    databases,
    machine,
    prepare_database,
    record,
)

STATUSES = ["completed"] * 6 + ["failed", "cancelled"]
TARGET_P99_MS = 50.0
QUICK = {"runs": 20, "walk": 30}


def database_url(kind: str) -> str:
    """A fresh database for this pass (PostgreSQL: BENCH_DATABASE_URL's name + "_jobs")."""
    return prepare_database(kind, suffix="_jobs").url


def seed(app, total: int) -> tuple[int, int]:  # noqa: ANN001
    """`total` jobs: 80% of them the writer's, over 20 projects and 200 days; a few active."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from app.auth.models import User
    from app.clock import utcnow
    from app.extensions import db
    from app.jobs.models import Transform
    from app.projects.domain import create_project

    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        writer, other = User(username="writer"), User(username="other")
        for user in (writer, other):
            user.set_password("bench-password")
            db.session.add(user)
        db.session.flush()
        mine = [create_project(writer, f"Project {i}") for i in range(20)]
        theirs = [create_project(other, f"Theirs {i}") for i in range(5)]
        db.session.commit()
        now, rows = utcnow(), []
        for i in range(total):
            own = i % 5 != 0
            project = (mine if own else theirs)[i % (20 if own else 5)]
            status = STATUSES[i % len(STATUSES)]
            created = now - timedelta(minutes=(total - i) * 3)
            rows.append(
                {
                    "project_id": project.id,
                    "kind": "brainstorm",
                    "status": status,
                    "created_by": writer.id if own else other.id,
                    "created_at": created,
                    "updated_at": created,
                    "finished_at": created + timedelta(seconds=40),
                    "seen_at": created + timedelta(minutes=1),
                    "progress": 100 if status == "completed" else 30,
                    "progress_message": "Done.",
                }
            )
            if len(rows) == 5000:
                db.session.execute(insert(Transform), rows)
                rows = []
        if rows:
            db.session.execute(insert(Transform), rows)
        for index, project in enumerate(mine[:2]):  # two running now
            db.session.add(
                Transform(
                    project_id=project.id,
                    kind="brainstorm",
                    status="running",
                    progress=40 + index,
                    created_by=writer.id,
                    created_at=now,
                )
            )
        db.session.commit()
        # A live database has statistics (autovacuum, or SQLite's optimize); a bulk load not.
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        return writer.id, mine[3].id


def timed(client, path: str, runs: int) -> Summary:  # noqa: ANN001
    """Render a page `runs` times (after a warm-up); check it succeeded every time."""
    samples = []
    for i in range(runs + 5):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - began
        assert response.status_code == 200, (path, response.status_code)
        if i >= 5:
            samples.append(elapsed)
    return Summary.of(samples)


def run(kind: str, total: int, runs: int, walk: int) -> Table:
    """One database: seed, sign in, time each page."""
    os.environ.update(
        DATABASE_URL=database_url(kind),
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench",
        RATELIMIT_LOGIN="100000 per minute",
    )
    from app import create_app

    app = create_app()
    began = time.perf_counter()
    _writer, project = seed(app, total)
    print(f"[{kind}] seeded {total} jobs in {time.perf_counter() - began:.1f}s", flush=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = CSRF.search(page)
    token = match.group(1) or match.group(2)
    data = {"csrf_token": token, "username": "writer", "password": "bench-password"}
    assert client.post("/login", data=data).status_code == 303
    first = client.get("/api/jobs?limit=100").get_json()
    cursor = first["next"]
    deep = client.get(f"/api/jobs?limit=100&before={cursor}")
    for _ in range(walk):  # walk ~100 rows a page in
        cursor = deep.get_json()["next"]
        deep = client.get(f"/api/jobs?limit=100&before={cursor}")
    table = Table(["database", "page", "runs", "p50 ms", "p99 ms", "mean ms"])
    cases = [
        ("reference: /login (no DB)", "/login"),
        ("/jobs/ (first page)", "/jobs/"),
        ("/jobs/?status=failed", "/jobs/?status=failed"),
        ("/jobs/?status=running (2 rows)", "/jobs/?status=running"),
        ("/jobs/?project=<one of 20>", f"/jobs/?project={project}"),
        (f"/jobs/?before=<{walk * 100:,} rows in>", f"/jobs/?before={cursor}"),
        ("/api/jobs?limit=25", "/api/jobs?limit=25"),
        ("/projects/ (nav count, notices)", "/projects/"),
    ]
    summaries = {}
    for name, path in cases:
        s = summaries[name] = timed(client, path, runs)
        table.add(kind, name, s.n, s.p50, s.p99, s.mean)
    keep(kind, total, summaries)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return table


def keep(kind: str, total: int, summaries: dict[str, Summary]) -> None:
    """Record the Jobs page's first page and its slowest filtered page beside /login."""
    reference = summaries["reference: /login (no DB)"].p99
    first = "/jobs/ (first page)"
    filtered = [name for name in summaries if name.startswith("/jobs/?")]
    slowest = max(filtered, key=lambda name: summaries[name].p99)
    for measure, name in (("p99, first page", first), (f"p99, slowest filter: {slowest}", slowest)):
        p99 = summaries[name].p99
        record(
            "J",
            measure,
            p99,
            "ms",
            database=kind,
            reference=reference,
            target=f"≤ {TARGET_P99_MS:g} ms",
            met=p99 <= TARGET_P99_MS,
            jobs=total,
        )


def main() -> None:
    """Print the figures for each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_option(parser)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--walk", type=int, default=300, help="API pages to the deep cursor")
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 20 renders per page, 30 pages deep"
    )
    if parser.parse_known_args()[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args()
    print(machine())
    for kind in databases(args.database):
        # Each database in a fresh interpreter: the app's engine is per process.
        if len(databases(args.database)) > 1:
            cmd = [
                sys.executable,
                __file__,
                "--database",
                kind,
                "--jobs",
                str(args.jobs),
                "--runs",
                str(args.runs),
                "--walk",
                str(args.walk),
            ]
            subprocess.run(cmd, check=True)
            continue
        print(run(kind, args.jobs, args.runs, args.walk).render(), flush=True)


if __name__ == "__main__":
    main()
