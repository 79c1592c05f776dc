"""Per-user limits on starting jobs, whichever way they come, and on the size of a request."""

from collections.abc import Iterator

import pytest
from conftest import Auth
from factories import BRAINSTORM_PARAMS, brainstorm_form
from sqlalchemy import func, select, update

from app import create_app
from app.extensions import db, get_redis
from app.jobs.models import Transform

PARAMS = {**BRAINSTORM_PARAMS, "numIdeas": 1}


@pytest.fixture
def limited(app, monkeypatch, request) -> Iterator:
    """An app with tight limits (starts a minute, busy jobs a user) given by the test's mark."""
    starts, busy = request.node.get_closest_marker("limits").args
    monkeypatch.setenv("REDIS_URL", app.config["REDIS_URL"])  # a queue no live worker sees
    monkeypatch.setenv("RATELIMIT_JOBS", f"{starts} per minute")
    monkeypatch.setenv("MAX_ACTIVE_JOBS_PER_USER", str(busy))
    tight = create_app({"TESTING": True})
    yield tight
    with tight.app_context():
        get_redis().flushdb()
        db.session.remove()
        db.engine.dispose()


def new_project(client, account, name: str = "P") -> int:
    return client.post("/api/projects", json={"name": name}, headers=account.bearer).json[
        "projectId"
    ]


def api_start(client, account, project: int):  # noqa: ANN201 - a test response
    body = {"projectId": project, "params": PARAMS}
    return client.post("/api/brainstorm/start", json=body, headers=account.bearer)


def form_start(client, auth: Auth, project: int):  # noqa: ANN201 - a test response
    form = brainstorm_form(client, auth, project, numIdeas="1")
    return client.post(f"/projects/{project}/brainstorm", data=form)


def jobs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Transform.id)))


@pytest.mark.limits(3, 100)
def test_starts_are_counted_per_user_across_form_and_api_and_logout(limited, make_user):
    mei, bo = make_user("mei"), make_user("bo")
    client = limited.test_client()
    auth = Auth(client)
    auth.login(mei)
    projects = [new_project(client, mei, f"P{i}") for i in range(4)]
    assert api_start(client, mei, projects[0]).status_code == 202
    assert form_start(client, auth, projects[1]).status_code == 303
    client.post("/logout", data={"csrf_token": auth.csrf("/projects/")})
    auth.login(mei)  # a new session does not reset the count
    assert api_start(client, mei, projects[2]).status_code == 202
    refused_form = form_start(client, auth, projects[3])
    refused_api = api_start(client, mei, projects[3])
    assert refused_form.status_code == 429 and refused_api.status_code == 429
    assert refused_api.is_json and "Retry-After" in refused_api.headers
    assert "Too many requests" in refused_form.get_data(as_text=True)
    assert api_start(client, bo, new_project(client, bo)).status_code == 202  # per user
    with limited.app_context():
        mine = select(func.count(Transform.id)).where(Transform.created_by == mei.id)
        assert db.session.scalar(mine) <= 3


@pytest.mark.limits(100, 2)
def test_busy_jobs_are_capped_per_user_and_waiting_for_answers_does_not_count(limited, make_user):
    mei = make_user("mei")
    client = limited.test_client()
    first, second, third = (new_project(client, mei, name) for name in "ABC")
    assert api_start(client, mei, first).status_code == 202
    assert api_start(client, mei, second).status_code == 202
    refused = api_start(client, mei, third)
    assert refused.status_code == 429 and "2 jobs" in refused.json["error"]
    assert jobs(limited) == 2
    with limited.app_context():  # one of them now waits for the writer's answers
        db.session.execute(
            update(Transform).where(Transform.project_id == first).values(status="needs_input")
        )
        db.session.commit()
    assert api_start(client, mei, third).status_code == 202


@pytest.mark.limits(100, 2)
def test_retrying_by_hand_respects_the_cap(limited, make_user):
    mei = make_user("mei")
    client = limited.test_client()
    started = [api_start(client, mei, new_project(client, mei, n)).json for n in "AB"]
    failed = started[0]["transformId"]
    with limited.app_context():
        db.session.execute(update(Transform).where(Transform.id == failed).values(status="failed"))
        db.session.commit()
    assert api_start(client, mei, new_project(client, mei, "C")).status_code == 202
    refused = client.post(f"/api/jobs/{failed}/retry", headers=mei.bearer)
    assert refused.status_code == 429 and refused.is_json
    with limited.app_context():
        assert db.session.get(Transform, failed).status == "failed"
    auth = Auth(client)
    auth.login(mei)
    page = client.post(f"/jobs/{failed}/retry", data={"csrf_token": auth.csrf("/projects/")})
    assert page.status_code == 303
    assert "waiting or running" in client.get(page.headers["Location"]).get_data(as_text=True)


def test_a_body_over_max_content_length_is_413_and_writes_nothing(client, auth, make_user, app):
    mei = make_user("mei")
    big = {"name": "P", "description": "x" * (10 * 1024 * 1024)}
    response = client.post("/api/projects", json=big, headers=mei.bearer)
    assert response.status_code == 413 and response.is_json
    auth.login(mei)
    token = auth.csrf("/projects/")
    form = client.post("/projects/", data={"csrf_token": token, "name": "x" * 2_000_000})
    assert form.status_code == 413 and "<html" in form.get_data(as_text=True)
    with app.app_context():
        from app.projects.models import Project

        assert db.session.scalar(select(func.count(Project.id))) == 0
