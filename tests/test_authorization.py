"""Every object is reached through its owner: to anyone else every route answers 404."""

import re

import pytest

from app.extensions import db
from app.jobs.models import Transform

PARAMS = {
    "platform": "douyin",
    "genrePaths": [["女频", "爱情", "甜宠"]],
    "genreProportions": [100],
    "requirements": "",
    "numIdeas": 2,
}
# Routes that name an object in the query string rather than the path.
QUERY_OBJECTS = {"live.events": "job"}
# Routes with no object: they list or create the caller's own things.
NO_OBJECT = {"static", "auth.login", "auth.signup", "auth.logout", "auth.home", "projects.index"}
NO_OBJECT |= {"jobs.index", "api.list_jobs_api", "api.running_jobs", "api.recent_completions"}
NO_OBJECT |= {"api.create_project_api", "api.start_brainstorm"}


@pytest.fixture
def owned(client, make_user, app) -> dict:
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    job = client.post(
        "/api/brainstorm/start", json={"projectId": project, "params": PARAMS}, headers=mei.bearer
    ).json["transformId"]
    with app.app_context():
        assert db.session.get(Transform, job) is not None
    return {
        "project_id": project,
        "job_id": job,
        "run_id": job,
        "transform_id": job,
        "account": mei,
    }


def test_every_route_is_404_to_another_user(app, client, auth, make_user, owned):
    bo = make_user("bo")
    auth.login(bo)
    token = auth.csrf("/projects/")
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NO_OBJECT:
            continue
        args = {name: owned[name] for name in rule.arguments}  # KeyError: a new object kind
        assert args or rule.endpoint in QUERY_OBJECTS, f"{rule} names no object: classify it"
        query = (
            {QUERY_OBJECTS[rule.endpoint]: owned["job_id"]}
            if rule.endpoint in QUERY_OBJECTS
            else {}
        )
        url = rule.rule
        for name, value in args.items():
            url = re.sub(rf"<(?:int:)?{name}>", str(value), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            headers = {"X-CSRFToken": token}
            kwargs = {"query_string": query, "headers": headers}
            if method != "GET":
                kwargs["data"] = {"csrf_token": token}
            session_response = client.open(url, method=method, **kwargs)
            assert session_response.status_code == 404, (method, url, "session")
            if url.startswith("/api/"):
                bearer = client.open(url, method=method, query_string=query, headers=bo.bearer)
                assert bearer.status_code == 404, (method, url, "bearer")
                assert bearer.json == {"error": "Not found."}
            checked.append((method, rule.rule))
    assert len(checked) >= 7


def test_the_owner_reaches_the_same_objects(client, auth, owned):
    """The sweep above is not vacuous: the owner gets through."""
    mei = owned["account"]
    for url in (f"/api/jobs/{owned['job_id']}", f"/api/ideations/{owned['run_id']}"):
        assert client.get(url, headers=mei.bearer).status_code == 200
    auth.login(mei)
    assert client.get(f"/jobs/{owned['job_id']}").status_code == 200
    assert client.get(f"/projects/{owned['project_id']}/brainstorm").status_code == 200


def test_unknown_ids_are_404_too(client, make_user):
    mei = make_user("mei")
    for url in ("/api/jobs/999999", "/api/ideations/999999", "/api/streaming/transform/999999"):
        assert client.get(url, headers=mei.bearer).status_code == 404
