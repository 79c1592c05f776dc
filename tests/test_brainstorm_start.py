"""Starting a brainstorm: validation, the 303, idempotency and one active job per project."""

import pytest
from factories import BRAINSTORM_PARAMS, brainstorm_form
from sqlalchemy import func, select

from app.artifacts.models import Artifact, TransformInput
from app.brainstorm.catalog import genre_paths
from app.extensions import db
from app.jobs.models import Transform

SWEET = ["女频", "爱情", "甜宠"]
PARAMS = {**BRAINSTORM_PARAMS, "genrePaths": [SWEET], "requirements": "a strong heroine"}


def genre_field(path: list[str]) -> str:
    return f"genre-{genre_paths().index(tuple(path))}"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def project(client, auth, make_user) -> int:
    mei = make_user("mei")
    auth.login(mei)
    return client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]


def form(client, auth, project: int, **fields) -> dict:
    return brainstorm_form(client, auth, project, **fields)


def test_form_page_lists_platforms_and_genres(client, project):
    page = client.get(f"/projects/{project}/brainstorm").get_data(as_text=True)
    assert "抖音" in page and "TikTok" in page and "甜宠" in page and "Sweet romance" in page
    assert 'name="idempotency_key"' in page


def test_valid_post_records_a_pending_job_and_redirects_to_it(client, auth, app, project):
    response = client.post(f"/projects/{project}/brainstorm", data=form(client, auth, project))
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        job = db.session.get(Transform, job_id)
        assert (job.status, job.kind, job.project_id) == ("pending", "brainstorm", project)
        params = db.session.scalar(
            select(Artifact.data)
            .join(TransformInput, TransformInput.artifact_id == Artifact.id)
            .where(TransformInput.transform_id == job_id, TransformInput.role == "params")
        )
        assert params["platform"] == "抖音" and params["genrePaths"] == [SWEET]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting" in page and 'http-equiv="refresh"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"platform": "myspace"}, "Choose a platform"),
        ({genre_field(SWEET): ""}, "Choose at least one genre"),
        ({genre_field(SWEET): "60"}, "The shares add up to 60: make them 100."),
        ({genre_field(SWEET): "101"}, "A share is a whole number from 1 to 100."),
        ({genre_field(SWEET): "abc"}, "Give a whole number"),
        ({genre_field(SWEET): "²"}, "Give a whole number"),
        ({genre_field(SWEET): "9" * 5000}, "Give a whole number"),
        ({"requirements": "x" * 2001}, "Limited to 2000"),
        ({"requirements": "nul \x00 byte"}, "NUL"),
        ({"numIdeas": "11"}, "between 1 and 10"),
        ({"numIdeas": "0"}, "between 1 and 10"),
        ({"numIdeas": "-1"}, "Give a whole number"),
        ({"numIdeas": "1" * 25}, "Give a whole number"),
        ({**{f"genre-{i}": "10" for i in range(1, 7)}, genre_field(SWEET): ""}, "keep at most 5"),
    ],
)
def test_invalid_form_rerenders_with_a_message_and_creates_nothing(
    client, auth, app, project, fields, message
):
    data = form(client, auth, project, **fields)
    response = client.post(f"/projects/{project}/brainstorm", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert count(app, Transform) == 0 and count(app, Artifact) == 0
    if "requirements" in fields:  # what the writer typed is kept
        assert fields["requirements"][:8] in page


def test_same_key_twice_returns_the_same_job(client, auth, app, project):
    data = form(client, auth, project)
    first = client.post(f"/projects/{project}/brainstorm", data=data)
    second = client.post(f"/projects/{project}/brainstorm", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Transform) == 1


def test_another_key_while_active_lands_on_the_active_job_with_a_notice(client, auth, app, project):
    first = client.post(f"/projects/{project}/brainstorm", data=form(client, auth, project))
    second = client.post(f"/projects/{project}/brainstorm", data=form(client, auth, project))
    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
    assert "already running" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert count(app, Transform) == 1


def test_same_key_with_other_values_is_refused(client, auth, app, project):
    data = form(client, auth, project)
    client.post(f"/projects/{project}/brainstorm", data=data)
    response = client.post(f"/projects/{project}/brainstorm", data={**data, "numIdeas": "4"})
    assert response.status_code == 422 and "other values" in response.get_data(as_text=True)
    assert count(app, Transform) == 1


def test_api_start_rules(client, app, make_user):
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    body = {"projectId": project, "params": PARAMS}
    keyed = {**mei.bearer, "Idempotency-Key": "k-1"}
    first = client.post("/api/brainstorm/start", json=body, headers=keyed)
    assert first.status_code == 202
    assert first.json["transformId"] == first.json["ideationRunId"]
    assert first.json["url"] == f"/jobs/{first.json['transformId']}"
    replay = client.post("/api/brainstorm/start", json=body, headers=keyed)
    assert (replay.status_code, replay.json) == (202, first.json)
    other = client.post("/api/brainstorm/start", json=body, headers=mei.bearer)
    assert other.status_code == 409 and other.json["transformId"] == first.json["transformId"]
    changed = {"projectId": project, "params": {**PARAMS, "numIdeas": 4}}
    reused = client.post("/api/brainstorm/start", json=changed, headers=keyed)
    assert reused.status_code == 422 and reused.json["field"] == "Idempotency-Key"
    assert count(app, Transform) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (None, "params"),
        ({**PARAMS, "platform": 3}, "platform"),
        ({**PARAMS, "genrePaths": [["女频", "爱情"]]}, "genrePaths"),
        ({**PARAMS, "genrePaths": [SWEET, SWEET], "genreProportions": [50, 50]}, "genrePaths"),
        ({**PARAMS, "genreProportions": [99]}, "genreProportions"),
        ({**PARAMS, "genreProportions": [True]}, "genreProportions"),
        ({**PARAMS, "genreProportions": [50, 50]}, "genreProportions"),
        ({**PARAMS, "requirements": ["x"]}, "requirements"),
        ({**PARAMS, "numIdeas": "5"}, "numIdeas"),
        ({**PARAMS, "numIdeas": 11}, "numIdeas"),
    ],
)
def test_api_invalid_params_name_the_field(client, app, make_user, params, field):
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    response = client.post(
        "/api/brainstorm/start", json={"projectId": project, "params": params}, headers=mei.bearer
    )
    assert response.status_code == 422 and response.json["field"] == field
    assert count(app, Transform) == 0


def test_api_start_in_someone_elses_project_is_404(client, make_user):
    mei, bo = make_user("mei"), make_user("bo")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    response = client.post(
        "/api/brainstorm/start", json={"projectId": project, "params": PARAMS}, headers=bo.bearer
    )
    assert response.status_code == 404
    bad = client.post(
        "/api/brainstorm/start", json={"projectId": "1", "params": PARAMS}, headers=bo.bearer
    )
    assert bad.status_code == 422 and bad.json["field"] == "projectId"
