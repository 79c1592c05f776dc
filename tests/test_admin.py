"""The operators' view: admins made with the CLI see the diagnostics (queues, workers and
their jobs, stuck jobs, failure rates, provider latency, the oldest waiting job) as a page
that works without JavaScript and follows changes live, and as JSON; they retry or cancel
anyone's job. To everyone else none of it exists."""

import re
from datetime import timedelta

import pytest
from factories import BRAINSTORM_PARAMS, make_project, start_job
from sqlalchemy import update
from support import events, ideas_json, wait_for

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db
from app.jobs.models import LlmTransform, Transform

PARAMS = {**BRAINSTORM_PARAMS, "numIdeas": 2}


def promote(app, account, *flags: str) -> str:
    """`flask users admin NAME [--revoke]`, as an operator runs it."""
    result = app.test_cli_runner().invoke(args=["users", "admin", account.username, *flags])
    assert result.exit_code == 0, result.output
    return result.output


def job(app, user_id: int, name: str, script: str = "", **values) -> int:
    """A brainstorm in a project of its own (answered by the provider's script, if named),
    then set to the state a test needs."""
    params = {**PARAMS, "requirements": f"[[script:{script}]]" if script else ""}
    job_id = start_job(app, "brainstorm", make_project(app, user_id, name), user_id, params)
    if values:
        with app.app_context():
            db.session.execute(update(Transform).where(Transform.id == job_id).values(**values))
            db.session.commit()
            db.session.remove()
    return job_id


def call(app, job_id: int, number: int, model: str, first_token_seconds: float | None, at) -> None:
    """The job's model call `number`, its first token after so many seconds (None: never)."""
    with app.app_context():
        first = None if first_token_seconds is None else at + timedelta(seconds=first_token_seconds)
        db.session.add(
            LlmTransform(
                transform_id=job_id,
                attempt=1,
                call=number,
                model=model,
                started_at=at,
                first_token_at=first,
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def seeded(app, make_user) -> dict:
    """A database with stuck, failing and finished jobs, and timed model calls."""
    writer = make_user("mei")
    now = utcnow()
    ids = {
        "lost": job(
            app,
            writer.id,
            "Lost",
            status="running",
            attempt=1,
            lease_owner="gone-host:41",
            lease_expires_at=now - timedelta(minutes=2),
            started_at=now - timedelta(minutes=3),
        ),
        "unqueued": job(app, writer.id, "Unqueued", updated_at=now - timedelta(minutes=5)),
        "late_retry": job(
            app,
            writer.id,
            "Late retry",
            status="retrying",
            attempt=1,
            retry_count=1,
            next_attempt_at=now - timedelta(minutes=10),
            error_code="timeout",
        ),
        "parked": job(app, writer.id, "Parked", next_attempt_at=now - timedelta(minutes=5)),
        "fresh": job(app, writer.id, "Fresh"),  # just started: waiting, not stuck
        # Its lease ran out a moment ago: the sweeper has not had its turn yet.
        "handing_over": job(
            app,
            writer.id,
            "Handing over",
            status="running",
            attempt=1,
            lease_owner="slow-host:7",
            lease_expires_at=now - timedelta(seconds=5),
        ),
    }
    for name, code, ago in (
        ("timeout", "timeout", 10),
        ("limited", "rate_limited", 20),
        ("yesterday", "timeout", 300),
    ):
        ids[name] = job(
            app,
            writer.id,
            name.title(),
            status="failed",
            attempt=1,
            error_code=code,
            error="The model did not answer in time.",
            finished_at=now - timedelta(minutes=ago),
        )
    ids["done"] = job(
        app,
        writer.id,
        "Done",
        status="completed",
        attempt=1,
        finished_at=now - timedelta(minutes=5),
    )
    for n, seconds in enumerate((0.5, 1.0, 1.5, 2.0, 9.0)):
        call(app, ids["timeout"], n + 1, "fast-model", seconds, now - timedelta(minutes=n + 1))
    call(app, ids["limited"], 1, "slow-model", None, now - timedelta(minutes=2))
    call(app, ids["yesterday"], 1, "slow-model", 30.0, now - timedelta(hours=5))
    admin = make_user("ada")
    promote(app, admin)
    return {"ids": ids, "writer": writer, "admin": admin}


def test_the_diagnostics_of_a_seeded_database(app, client, seeded):
    ids, admin = seeded["ids"], seeded["admin"]
    report = client.get("/api/admin/diagnostics", headers=admin.bearer)
    assert report.status_code == 200
    data = report.json
    reasons = {entry["job"]["id"]: entry["reason"] for entry in data["stuck"]}
    assert reasons == {
        ids["lost"]: "lease_expired",
        ids["unqueued"]: "pending_past_due",
        ids["late_retry"]: "retry_past_due",
        ids["parked"]: "parked_past_due",
    }
    assert data["stuckCount"] == 4
    lost = next(e for e in data["stuck"] if e["job"]["id"] == ids["lost"])
    assert lost["owner"] == "mei" and lost["leaseOwner"] == "gone-host:41"
    assert lost["job"]["projectName"] == "Lost"

    hour = {row["kind"]: row for row in data["failures"]["hour"]}["brainstorm"]
    assert (hour["finished"], hour["failed"]) == (3, 2)
    assert hour["failureRate"] == pytest.approx(2 / 3, abs=1e-4)
    assert hour["errors"] == {"timeout": 1, "rate_limited": 1}
    day = {row["kind"]: row for row in data["failures"]["day"]}["brainstorm"]
    assert (day["finished"], day["failed"], day["errors"]["timeout"]) == (4, 3, 2)
    assert [e["job"]["id"] for e in data["recentFailures"]] == [
        ids["timeout"],
        ids["limited"],
        ids["yesterday"],
    ]

    latency = data["providerLatency"]["hour"]
    assert (latency["calls"], latency["p50"], latency["p95"]) == (5, 1.5, 9.0)
    assert latency["withoutFirstToken"] == 1
    assert [m["model"] for m in latency["byModel"]] == ["fast-model"]
    assert data["providerLatency"]["day"]["calls"] == 6

    oldest = data["oldestWaiting"]
    assert oldest["job"]["id"] == ids["late_retry"] and oldest["waitingSeconds"] >= 599
    # The app's queue is its own here: the jobs it launched wait in it, and no worker runs.
    assert {q["name"]: q["depth"] for q in data["queues"]} == {
        "transforms": 10,
        "transforms-long": 0,
    }
    assert data["workers"] == [] and data["redis"] == "ok"


def test_the_page_shows_the_same_without_javascript(app, client, auth, seeded):
    ids = seeded["ids"]
    auth.login(seeded["admin"])
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<nav>.*href="/admin/">Diagnostics</a>', html, re.S)  # admins only
    assert '<meta http-equiv="refresh"' in html  # inside <noscript>
    reasons = ("its worker stopped answering", "no worker took it", "retry not run when due")
    for reason in (*reasons, "not woken when due"):
        assert reason in html
    assert "66.7 %" in html and "gone-host:41" in html
    assert f"Brainstorm #{ids['lost']}" in html
    assert "No worker is running" in html
    # The failed jobs can be retried and the stuck ones cancelled, by plain forms.
    assert f'action="/admin/jobs/{ids["timeout"]}/retry"' in html
    assert f'action="/admin/jobs/{ids["lost"]}/cancel"' in html

    found = client.get(f"/admin/?job={ids['fresh']}").get_data(as_text=True)
    assert f"Brainstorm #{ids['fresh']}" in found
    missing = client.get("/admin/?job=999999").get_data(as_text=True)
    assert "There is no job #999999." in missing
    wrong = client.get("/admin/?job=abc")
    assert wrong.status_code == 422 and "Give an id." in wrong.get_data(as_text=True)


def test_an_admin_retries_and_cancels_anyones_job(app, client, auth, seeded):
    ids, admin = seeded["ids"], seeded["admin"]
    auth.login(admin)
    token = auth.csrf("/admin/")
    cancelled = client.post(f"/admin/jobs/{ids['lost']}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303 and cancelled.headers["Location"].endswith("/admin/")
    assert f"Job #{ids['lost']} was cancelled." in client.get("/admin/").get_data(as_text=True)
    retried = client.post(f"/admin/jobs/{ids['timeout']}/retry", data={"csrf_token": token})
    assert retried.status_code == 303
    with app.app_context():
        assert db.session.get(Transform, ids["lost"]).status == "cancelled"
        assert db.session.get(Transform, ids["timeout"]).status == "pending"

    again = client.post(f"/api/admin/jobs/{ids['lost']}/cancel", headers=admin.bearer)
    assert again.status_code == 409 and again.json["job"]["status"] == "cancelled"
    api_retry = client.post(f"/api/admin/jobs/{ids['limited']}/retry", headers=admin.bearer)
    assert api_retry.status_code == 202 and api_retry.json["job"]["status"] == "pending"
    assert api_retry.json["owner"] == "mei"
    api_cancel = client.post(f"/api/admin/jobs/{ids['fresh']}/cancel", headers=admin.bearer)
    assert api_cancel.status_code == 200 and api_cancel.json["job"]["status"] == "cancelled"
    unknown = client.post("/api/admin/jobs/999999/retry", headers=admin.bearer)
    assert unknown.status_code == 404


def test_no_one_else_finds_any_of_it(app, client, auth, seeded):
    writer, admin = seeded["writer"], seeded["admin"]
    lost = seeded["ids"]["lost"]
    assert client.get("/admin/").status_code == 302  # signed out: the sign-in page
    assert client.get("/api/admin/diagnostics").status_code == 401
    for headers in (writer.bearer,):
        assert client.get("/api/admin/diagnostics", headers=headers).json == {"error": "Not found."}
        refused = client.post(f"/api/admin/jobs/{lost}/cancel", headers=headers)
        assert refused.status_code == 404
    auth.login(writer)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/events").status_code == 404
    assert "/admin/" not in client.get("/projects/").get_data(as_text=True)
    token = auth.csrf("/projects/")
    assert client.post(f"/admin/jobs/{lost}/cancel", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Transform, lost).status == "running"

    assert "no longer an admin" in promote(app, admin, "--revoke")
    assert client.get("/api/admin/diagnostics", headers=admin.bearer).status_code == 404


def test_with_redis_unreachable_the_database_side_still_shows(app, client, auth, seeded):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("redis_client", None)
    data = client.get("/api/admin/diagnostics", headers=seeded["admin"].bearer).json
    assert data["redis"] == "unreachable" and data["workers"] == [] and data["slots"] == {}
    assert [q["depth"] for q in data["queues"]] == [None, None]
    assert data["stuckCount"] == 4  # read from the database as ever
    auth.login(seeded["admin"])
    page = client.get("/admin/").get_data(as_text=True)
    assert "Redis is unreachable: queues and workers cannot be read." in page


def test_admins_are_made_with_the_cli(app, make_user):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "create", "root", "--password", "long enough", "--admin"])
    assert made.exit_code == 0 and "created admin root" in made.output
    plain = runner.invoke(args=["users", "create", "plain", "--password", "long enough"])
    assert plain.exit_code == 0 and "created user plain" in plain.output
    unknown = runner.invoke(args=["users", "admin", "nobody"])
    assert unknown.exit_code != 0 and "no user 'nobody'" in unknown.output
    with app.app_context():
        admins = dict(db.session.execute(db.select(User.username, User.is_admin)).all())
    assert admins == {"root": True, "plain": False}


def test_live_workers_their_jobs_and_the_page_stream(app, server, web, make_user, provider):
    """The live server's two workers, one holding a job: in the JSON, and on the open page
    as soon as it changes."""
    admin = make_user("ada")
    promote(app, admin)
    browser = web().login(admin)
    # A live server's workers start reporting a moment after its web answers.
    wait_for(lambda: len(browser.http.get("/api/admin/diagnostics").json()["workers"]) == 2)
    stream = browser.http.send(browser.http.build_request("GET", "/admin/events"), stream=True)
    received = events(stream)
    first = next(received)
    assert '<hx-partial hx-target="#diagnostics" hx-swap="outerHTML">' in first.data
    assert "0 / " in first.data  # no slot busy yet

    provider.script("held", ideas_json([("A", "a"), ("B", "b")]), pause_at=3)
    writer = make_user("mei")
    job_id = job(app, writer.id, "Held", script="held")
    wait_for(lambda: browser.http.get("/api/admin/diagnostics").json()["slots"]["short"]["busy"])
    data = browser.http.get("/api/admin/diagnostics").json()
    assert len(data["workers"]) == 2
    holders = [w for w in data["workers"] if w["jobs"]]
    assert len(holders) == 1 and holders[0]["jobs"][0]["job"]["id"] == job_id
    assert holders[0]["slots"]["short"]["busy"] == 1

    changed = next(received)  # within a refresh
    for _ in range(3):
        if f"#{job_id}" not in changed.data:
            changed = next(received)
    assert f"Brainstorm #{job_id}" in changed.data and re.search(r"1 / \d+", changed.data)
    provider.release("held")
    stream.close()
