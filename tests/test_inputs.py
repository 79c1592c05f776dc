"""Bad input of every class gets a clear answer naming the field, and writes nothing."""

import json

import pytest
from factories import BRAINSTORM_PARAMS, brainstorm_form
from sqlalchemy import func, select

from app.extensions import db
from app.inputs import ID_MAX, id_from, key_from, moment_from, natural
from app.jobs.models import Transform
from app.projects.models import Project

PARAMS = {**BRAINSTORM_PARAMS, "numIdeas": 2}


def rows(app) -> tuple[int, int]:
    with app.app_context():
        projects = db.session.scalar(select(func.count(Project.id)))
        return projects, db.session.scalar(select(func.count(Transform.id)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),
        ("0", None),
        ("9" * 25, None),
        ("9" * 5000, None),
        ("²", None),
        ("٣", None),
        ("１２", None),
        ("-1", None),
        ("+1", None),
        ("1_0", None),
        (" 1", None),
        ("", None),
        (None, None),
    ],
)
def test_ids_are_ascii_digits_within_the_databases_integer(raw, expected):
    assert id_from(raw) == expected


def test_numbers_times_and_keys_have_one_parser_each():
    assert natural("0") == 0 and natural("10", maximum=9) is None and natural("1e3") is None
    assert moment_from("2026-11-22T10:00:00Z").isoformat() == "2026-11-22T10:00:00"
    assert moment_from("2026-11-22T18:00:00+08:00").isoformat() == "2026-11-22T10:00:00"
    for raw in ("10000-01-01", "0001-01-01T00:00:00+05:00", "yesterday", "2026-13-01", "\x00"):
        assert moment_from(raw) is None, raw
    assert key_from(" abc-123 ") == "abc-123"
    for raw in ("", "x" * 101, "a b", "caf\u00e9", "a\x00"):
        assert key_from(raw) is None, raw


def test_out_of_range_ids_in_paths_are_404(client, auth, make_user):
    mei = make_user("mei")
    auth.login(mei)
    for path in ("/jobs/", "/projects/", "/api/ideations/", "/api/jobs/", "/notifications/"):
        for raw in ("9" * 25, str(ID_MAX + 1), "0", "%C2%B2", "%D9%A3"):
            response = client.get(path + raw, headers=mei.bearer if "/api/" in path else {})
            assert response.status_code in (404, 405), (path, raw)
            if path.startswith("/api/"):
                assert response.json == {"error": "Not found."}


def test_unreadable_filters_are_ignored_and_unreadable_ids_in_queries_404(client, auth, make_user):
    mei = make_user("mei")
    auth.login(mei)
    for query in ("project=" + "9" * 25, "project=²", "before=x_" + "9" * 25, "status=\x00"):
        assert client.get(f"/jobs/?{query}").status_code == 200, query
        listing = client.get(f"/api/jobs?{query}&limit={'9' * 30}", headers=mei.bearer)
        assert listing.status_code == 200 and listing.json["jobs"] == [], query
    assert client.get(f"/live/events?job={'9' * 25}").status_code == 404
    assert client.get("/live/events?job=²").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"projectId": 10**22, "params": PARAMS}, "projectId"),
        ({"projectId": -1, "params": PARAMS}, "projectId"),
        ({"projectId": True, "params": PARAMS}, "projectId"),
        ({"params": PARAMS}, "projectId"),
        ({"projectId": 1, "params": {**PARAMS, "genrePaths": [[["女频"]]]}}, "genrePaths"),
        ({"projectId": 1, "params": {**PARAMS, "genrePaths": "女频"}}, "genrePaths"),
        ({"projectId": 1, "params": {**PARAMS, "genreProportions": [10**22]}}, "genreProportions"),
        ({"projectId": 1, "params": {**PARAMS, "requirements": "a\x00b"}}, "requirements"),
        ({"projectId": 1, "params": {**PARAMS, "requirements": "x" * 100_000}}, "requirements"),
        ({"projectId": 1, "params": {**PARAMS, "numIdeas": 2.5}}, "numIdeas"),
        ({"projectId": 1, "params": [PARAMS]}, "params"),
    ],
)
def test_a_wrong_field_is_a_422_naming_it_and_writes_nothing(client, app, make_user, body, field):
    mei = make_user("mei")
    response = client.post("/api/brainstorm/start", json=body, headers=mei.bearer)
    assert response.status_code == 422, response.json
    assert response.json["field"] == field and response.json["error"]
    assert rows(app) == (0, 0)


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ('{"name": "\\ud800"}', "application/json", 400),  # a lone surrogate
        ("[" * 100_000 + "]" * 100_000, "application/json", 400),
        ('{"name": "P"', "application/json", 400),
        ("", "application/json", 400),
        ('["P"]', "application/json", 400),
        ('{"name": "P"}', "text/plain", 415),
        ("name=P", "application/x-www-form-urlencoded", 415),
    ],
)
def test_an_unreadable_body_is_a_json_400_or_415(
    client, app, make_user, data, content_type, status
):
    mei = make_user("mei")
    response = client.post(
        "/api/projects", data=data, content_type=content_type, headers=mei.bearer
    )
    assert response.status_code == status and response.is_json and response.json["error"]
    assert rows(app) == (0, 0)


def test_nul_in_a_name_is_refused_by_api_and_form(client, app, auth, make_user):
    mei = make_user("mei")
    api = client.post("/api/projects", json={"name": "a\x00b"}, headers=mei.bearer)
    assert api.status_code == 422 and api.json["field"] == "name" and "NUL" in api.json["error"]
    auth.login(mei)
    page = client.post("/projects/", data={"csrf_token": auth.csrf("/projects/"), "name": "a\x00"})
    assert page.status_code == 422 and "NUL" in page.get_data(as_text=True)
    for form in ({"username": "a\x00b", "password": "x"}, {"username": "mei", "password": "\x00"}):
        login = client.post("/login", data={"csrf_token": auth.csrf(), **form})
        assert login.status_code == 422, form
    assert rows(app) == (0, 0)


def test_the_same_model_reads_json_strictly_and_forms_laxly(client, auth, make_user):
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    as_text = {**PARAMS, "numIdeas": "2"}
    api = client.post(
        "/api/brainstorm/start",
        data=json.dumps({"projectId": project, "params": as_text}),
        content_type="application/json",
        headers=mei.bearer,
    )
    assert api.status_code == 422 and api.json["field"] == "numIdeas"
    auth.login(mei)
    form = brainstorm_form(client, auth, project, numIdeas=" 2 ")
    assert client.post(f"/projects/{project}/brainstorm", data=form).status_code == 303
