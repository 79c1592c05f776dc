"""The Jobs page, its API and the notices, on a database seeded with many jobs."""

import re
from datetime import timedelta

import pytest
from factories import BRAINSTORM_PARAMS
from sqlalchemy import insert

from app.auth.models import User
from app.brainstorm.kind import BRAINSTORM
from app.clock import utcnow
from app.extensions import db
from app.jobs.models import Transform
from app.jobs.starting import start_job
from app.projects.domain import create_project

PARAMS = {**BRAINSTORM_PARAMS, "numIdeas": 1}
STATUSES = ["completed", "failed", "cancelled", "running", "pending", "retrying"]
KEYS = iter(range(10**9))


def seed(app, account, count: int, project_names=("One", "Two"), kind="brainstorm") -> list[int]:
    """`count` jobs for the account, spread over its projects and statuses, one a minute."""
    with app.app_context():
        user = db.session.get(User, account.id)
        projects = [create_project(user, name) for name in project_names]
        db.session.flush()
        now = utcnow()
        rows = []
        for i in range(count):
            status = STATUSES[i % len(STATUSES)]
            ended = status in ("completed", "failed", "cancelled")
            rows.append(
                {
                    "project_id": projects[i % len(projects)].id,
                    "kind": kind,
                    "status": status,
                    "created_by": account.id,
                    "created_at": now - timedelta(minutes=count - i),
                    "updated_at": now,
                    "progress": 40 if status == "running" else 0,
                    "progress_message": "Writing…" if status == "running" else "",
                    "finished_at": now - timedelta(minutes=count - i) if ended else None,
                    "seen_at": now if ended else None,  # old news: no notices
                    # one active job per project and kind is the rule: park the extras
                    "idempotency_key": f"seed-{next(KEYS)}",
                }
            )
        for row in rows:  # the unique "one active" index: only the newest may stay active
            row["status"] = row["status"] if row is rows[-1] else _final(row["status"])
        db.session.execute(insert(Transform), rows)
        db.session.commit()
        return [p.id for p in projects]


def _final(status: str) -> str:
    return status if status in ("completed", "failed", "cancelled") else "failed"


def ids_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="job_row_(\d+)"', page)]


@pytest.fixture
def mei(client, auth, make_user):
    account = make_user("mei")
    auth.login(account)
    return account


def test_empty_jobs_page(client, mei):
    page = client.get("/jobs/").get_data(as_text=True)
    assert "No jobs here yet" in page and 'id="nav_jobs"' in page


def test_pages_are_newest_first_without_gaps_or_overlaps(client, app, mei, make_user):
    seed(app, mei, 60)
    seed(app, make_user("bo"), 30, project_names=("Bo",))
    seen, url = [], "/jobs/"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += ids_on(page)
        found = re.search(r'href="(/jobs/\?before=[^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == 60 == len(set(seen))
    assert seen == sorted(seen, reverse=True)  # created one a minute apart, ids in order


def test_filters_by_status_kind_and_project(client, app, mei):
    one, two = seed(app, mei, 30)
    failed = client.get("/jobs/?status=failed").get_data(as_text=True)
    assert ids_on(failed) and "status-completed" not in failed
    both = client.get(f"/jobs/?status=failed&project={two}").get_data(as_text=True)
    assert ids_on(both) and "One" not in re.sub(r"<select.*?</select>", "", both, flags=re.S)
    assert ids_on(client.get("/jobs/?kind=nonsense").get_data(as_text=True))  # ignored
    assert not ids_on(client.get(f"/jobs/?project={one + two + 1000}").get_data(as_text=True))


def test_another_users_jobs_never_show(client, app, mei, make_user):
    bo = make_user("bo")
    seed(app, bo, 12, project_names=("Bo's",))
    assert not ids_on(client.get("/jobs/").get_data(as_text=True))
    assert client.get("/api/jobs", headers=mei.bearer).json["jobs"] == []
    assert client.get("/api/background-jobs/running", headers=mei.bearer).json["jobs"] == []
    recent = client.get("/api/background-jobs/recent-completions", headers=mei.bearer).json
    assert recent["jobs"] == []
    assert "Jobs (" not in client.get("/projects/").get_data(as_text=True)


def test_nav_count_and_running_api(client, app, mei):
    seed(app, mei, 12, project_names=("A",))  # the newest, a "retrying" one, stays active
    seed(app, mei, 4, project_names=("B",))  # newest: "running"
    assert ">Jobs (2)<" in client.get("/projects/").get_data(as_text=True)
    running = client.get("/api/background-jobs/running", headers=mei.bearer).json["jobs"]
    assert sorted(j["status"] for j in running) == ["retrying", "running"]
    assert {"id", "kind", "projectId", "status", "progress", "progressMessage", "createdAt"} <= set(
        running[0]
    )


def test_api_listing_matches_the_page_filters(client, app, mei):
    _one, two = seed(app, mei, 40)
    first = client.get(f"/api/jobs?status=failed&project={two}&limit=3", headers=mei.bearer).json
    assert len(first["jobs"]) == 3 and first["next"]
    assert all(j["status"] == "failed" and j["projectId"] == two for j in first["jobs"])
    rest = client.get(
        f"/api/jobs?status=failed&project={two}&limit=100&before={first['next']}",
        headers=mei.bearer,
    ).json
    ids = [j["id"] for j in first["jobs"] + rest["jobs"]]
    assert len(ids) == len(set(ids)) and rest["next"] is None


def test_latest_job_of_a_project(client, app, mei, make_user):
    project = client.post("/api/projects", json={"name": "Empty"}, headers=mei.bearer).json
    empty = client.get(
        f"/api/background-jobs/by-session/{project['projectId']}", headers=mei.bearer
    )
    assert empty.json == {"job": None}
    one, _two = seed(app, mei, 10)
    latest = client.get(f"/api/background-jobs/by-session/{one}", headers=mei.bearer).json["job"]
    assert latest["projectId"] == one
    bo = make_user("bo")
    assert (
        client.get(f"/api/background-jobs/by-session/{one}", headers=bo.bearer).status_code == 404
    )


def test_recent_completions_since(client, app, mei):
    seed(app, mei, 30)
    since = (utcnow() - timedelta(minutes=10)).isoformat() + "Z"
    recent = client.get(
        f"/api/background-jobs/recent-completions?since={since}", headers=mei.bearer
    )
    assert recent.status_code == 200 and recent.json["jobs"]
    assert all(j["finishedAt"] > since for j in recent.json["jobs"])
    for raw in ("yesterday", "10000-01-01T00:00:00", "0001-01-01T00:00:00+05:00", "²"):
        bad = client.get(
            "/api/background-jobs/recent-completions",
            query_string={"since": raw},
            headers=mei.bearer,
        )
        assert bad.status_code == 422 and bad.json["field"] == "since", raw


def finish_unseen(app, account, status="completed") -> int:
    """A job that ended while its owner was away."""
    with app.app_context():
        user = db.session.get(User, account.id)
        project = create_project(user, "Away")
        params = BRAINSTORM.params.model_validate(PARAMS)
        job = start_job(BRAINSTORM, project.id, user.id, params, None).transform
        job.status, job.finished_at = status, utcnow()
        job.error = "boom" if status == "failed" else None
        db.session.commit()
        return job.id


def test_finished_while_away_notice_until_opened(client, app, mei):
    job_id = finish_unseen(app, mei)
    page = client.get("/projects/").get_data(as_text=True)
    assert "Finished while you were away" in page and f'id="notice_{job_id}"' in page
    assert "Ideas for “Away” are ready." in page
    assert f'id="notice_{job_id}"' in client.get("/jobs/").get_data(as_text=True)  # every page
    client.get(f"/jobs/{job_id}")  # opening it
    assert f'id="notice_{job_id}"' not in client.get("/projects/").get_data(as_text=True)


def test_dismissing_a_notice_with_and_without_htmx(client, auth, app, mei, make_user):
    first, second = finish_unseen(app, mei), finish_unseen(app, mei, "failed")
    token = auth.csrf("/projects/")
    plain = client.post(
        f"/notifications/{first}/dismiss", data={"csrf_token": token, "next": "/jobs/"}
    )
    assert plain.status_code == 303 and plain.headers["Location"] == "/jobs/"
    htmx = client.post(
        f"/notifications/{second}/dismiss", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert htmx.status_code == 200 and htmx.get_data(as_text=True) == ""
    assert "HX-Request" in htmx.headers["Vary"]
    page = client.get("/projects/").get_data(as_text=True)
    assert "notice_" not in page
    other = finish_unseen(app, make_user("bo"))
    response = client.post(f"/notifications/{other}/dismiss", data={"csrf_token": token})
    assert response.status_code == 404


def test_row_actions_swap_the_row_for_htmx_and_redirect_without(client, auth, app, mei):
    seed(app, mei, 6, project_names=("Solo",))  # the newest ("retrying") stays active
    page = client.get("/jobs/").get_data(as_text=True)
    active = ids_on(page)[0]
    token = auth.csrf("/jobs/")
    row = client.post(
        f"/jobs/{active}/cancel", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and html.strip().startswith(f'<tr id="job_row_{active}"')
    assert "status-cancelled" in html and "HX-Request" in row.headers["Vary"]
    again = client.post(
        f"/jobs/{active}/retry", data={"csrf_token": token, "next": "/jobs/?status=waiting"}
    )
    assert again.status_code == 303 and again.headers["Location"] == "/jobs/?status=waiting"


def test_project_page_shows_a_running_brainstorm_or_its_result(client, app, mei):
    with app.app_context():
        project = create_project(db.session.get(User, mei.id), "Saga")
        job = Transform(
            project_id=project.id,
            kind="brainstorm",
            status="running",
            progress=75,
            created_by=mei.id,
        )
        db.session.add(job)
        db.session.commit()
        project_id, job_id = project.id, job.id
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "still running (75%)" in page and f'href="/jobs/{job_id}"' in page
