"""The brainstorm form: genres in groups with only the share at fault marked, at most five
genres, the form filled from a brainstorm ("Run again with these settings") or from an idea
("More like this", the `referenceArtifactId` param: validated, in the prompt, in the lineage)."""

import html
import re

import pytest
from factories import BRAINSTORM_PARAMS, brainstorm_form, make_project, start_job
from sqlalchemy import func, select
from support import ideas_json, wait_for
from test_i18n import ZH, assert_chinese

from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.brainstorm.catalog import genre_paths
from app.extensions import db
from app.jobs.models import RESULT_ROLE, Transform

SWEET = ("女频", "爱情", "甜宠")
MYSTERY = ("悬疑", "推理", "悬疑推理")
CAMPUS = ("现实", "青春", "校园")


def field(path: tuple[str, ...]) -> str:
    return f"genre-{genre_paths().index(path)}"


def marked(page: str) -> list[str]:
    """The names of the shares marked as wrong."""
    items = re.findall(r'<li class="genre-share invalid".*?</li>', page, re.S)
    return [re.search(r'name="(genre-\d+)"', item).group(1) for item in items]


def problems(page: str) -> list[str]:
    """The messages about the choice of genres as a whole."""
    found = re.findall(r'<p class="error genre-problem" role="alert">(.*?)</p>', page)
    return [html.unescape(text) for text in found]


def open_groups(page: str) -> list[str]:
    return re.findall(r'<details class="genre-group" open>\s*<summary><span>(\w+)', page)


def value_of(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*?\s+value="([^"]*)"', page, re.S)
    assert match, name
    return html.unescape(match.group(1))


def checked_platform(page: str) -> list[str]:
    return re.findall(r'name="platform" value="(\w+)"\s+checked', page)


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def mei(client, auth, make_user):
    account = make_user("mei")
    auth.login(account)
    return account


@pytest.fixture
def project(app, mei) -> int:
    return make_project(app, mei.id, "Qiyu Lane")


def post(client, auth, project: int, **fields: str):
    return client.post(
        f"/projects/{project}/brainstorm", data=brainstorm_form(client, auth, project, **fields)
    )


def finished_brainstorm(
    app, project: int, user_id: int, titles: list[str], **params
) -> tuple[int, list[int]]:
    """A brainstorm of the project that wrote these ideas, as stored (no worker runs it)."""
    job_id = start_job(
        app, "brainstorm", project, user_id, {**BRAINSTORM_PARAMS, **params}, launch=False
    )
    with app.app_context():
        job = db.session.get(Transform, job_id)
        job.status, job.progress, job.finished_at = "completed", 100, job.updated_at
        ideas = [
            Artifact(
                project_id=project, type="brainstorm_idea", data={"title": t, "body": f"{t} body"}
            )
            for t in titles
        ]
        db.session.add_all(ideas)
        db.session.flush()
        db.session.add_all(
            TransformOutput(transform_id=job_id, artifact_id=idea.id, role=RESULT_ROLE, position=n)
            for n, idea in enumerate(ideas)
        )
        db.session.commit()
        return job_id, [idea.id for idea in ideas]


# ---- the genres ---------------------------------------------------------------------------


def test_the_genres_come_in_groups_and_the_first_opens_on_an_empty_form(client, project):
    page = client.get(f"/projects/{project}/brainstorm").get_data(as_text=True)
    assert page.count('<details class="genre-group"') == 4
    assert open_groups(page) == ["女频"]
    for group in ("女频", "男频", "悬疑", "现实"):
        assert f"<span>{group}" in page
    assert page.count('class="genre-share"') == len(genre_paths()) == 45
    # The helpers wait for the script; the page's only script of its own is a file.
    assert '<div class="genre-tools" hidden>' in page and page.count('class="step"') == 2
    assert re.search(r'<script src="/static/js/brainstorm\.js\?v=\w+" defer></script>', page)
    assert "<script>" not in page


def test_only_the_share_at_fault_is_marked(client, auth, app, project):
    response = post(client, auth, project, **{field(SWEET): "50", field(MYSTERY): "abc"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert marked(page) == [field(MYSTERY)] and problems(page) == []
    assert f'aria-describedby="{field(MYSTERY)}-error"' in page
    assert open_groups(page) == ["女频", "悬疑"]  # the groups with a share, the wrong one too
    assert value_of(page, field(SWEET)) == "50" and value_of(page, field(MYSTERY)) == "abc"
    assert 'class="field genre-picker invalid' not in page  # not every share turns red

    too_big = post(client, auth, project, **{field(SWEET): "150"}).get_data(as_text=True)
    assert marked(too_big) == [field(SWEET)]
    assert "A share is a whole number from 1 to 100." in too_big
    assert rows(app, Transform) == 0


def test_a_wrong_total_is_said_once_for_the_genres(client, auth, app, project):
    response = post(client, auth, project, **{field(SWEET): "50", field(CAMPUS): "20"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert marked(page) == [] and problems(page) == ["The shares add up to 70: make them 100."]
    assert open_groups(page) == ["女频", "现实"]
    assert rows(app, Transform) == 0


def test_more_than_five_genres_are_refused_by_name(client, auth, app, mei, project):
    indexes, shares = (0, 5, 10, 20, 30, 40), (20, 20, 20, 20, 10, 10)
    six = {f"genre-{n}": str(share) for n, share in zip(indexes, shares, strict=True)}
    response = post(client, auth, project, **six)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert marked(page) == []
    assert problems(page) == ["You chose 6 genres: keep at most 5 (clear the others' shares)."]
    paths = [list(genre_paths()[n]) for n in indexes]
    params = {**BRAINSTORM_PARAMS, "genrePaths": paths, "genreProportions": list(shares)}
    api = client.post(
        "/api/brainstorm/start", json={"projectId": project, "params": params}, headers=mei.bearer
    )
    assert api.status_code == 422 and api.json["field"] == "genrePaths"
    assert "6 genres" in api.json["error"]
    assert rows(app, Transform) == 0


def test_a_share_of_zero_leaves_the_genre_out(client, auth, app, project):
    response = post(client, auth, project, **{field(SWEET): "100", field(MYSTERY): "0"})
    assert response.status_code == 303
    with app.app_context():
        params = db.session.scalar(
            select(Artifact.data).where(Artifact.type == "brainstorm_params")
        )
    assert params["genrePaths"] == [list(SWEET)] and "referenceArtifactId" not in params


def test_platforms_are_radio_chips_and_the_idea_count_a_stepper(client, project):
    page = client.get(f"/projects/{project}/brainstorm").get_data(as_text=True)
    assert page.count('<label class="chip"><input type="radio" name="platform"') == 8
    assert checked_platform(page) == ["douyin"]
    stepper = re.search(r'<span class="stepper">.*?</span>', page, re.S).group()
    assert 'id="numIdeas" type="number" name="numIdeas" min="1" max="10"' in stepper
    assert stepper.count("hidden>") == 2  # − and + need the script


# ---- run again, more like this ----------------------------------------------------------------


def test_run_again_fills_the_form_with_a_brainstorms_settings(client, app, mei, project, make_user):
    params = {
        "platform": "tiktok",
        "genrePaths": [list(MYSTERY), list(CAMPUS)],
        "genreProportions": [70, 30],
        "requirements": "a <b>twist</b> & a reveal",
        "numIdeas": 4,
    }
    job_id = start_job(app, "brainstorm", project, mei.id, params, launch=False)
    job_page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    again = f"/projects/{project}/brainstorm?from={job_id}"
    assert f'href="{again}">Run again with these settings</a>' in job_page

    page = client.get(again).get_data(as_text=True)
    assert checked_platform(page) == ["tiktok"]
    assert value_of(page, field(MYSTERY)) == "70" and value_of(page, field(CAMPUS)) == "30"
    assert value_of(page, "numIdeas") == "4"
    assert "a &lt;b&gt;twist&lt;/b&gt; &amp; a reveal</textarea>" in page
    assert open_groups(page) == ["悬疑", "现实"]
    assert value_of(page, "idempotency_key")  # a new key: a new brainstorm

    # A job the form cannot start from: the empty form.
    other = make_project(app, make_user("bo").id)
    elsewhere = start_job(app, "brainstorm", other, mei.id, params, launch=False)
    for wrong in (str(elsewhere), "999999", "abc", "", "-1"):
        empty = client.get(f"/projects/{project}/brainstorm?from={wrong}")
        assert empty.status_code == 200, wrong
        text = empty.get_data(as_text=True)
        assert checked_platform(text) == ["douyin"] and 'value="70"' not in text, wrong


def test_more_like_this_idea(client, auth, app, mei, project):
    first, ideas = finished_brainstorm(
        app, project, mei.id, ["雨夜咖啡店", "Rivals"], platform="kuaishou", numIdeas=2
    )
    library = client.get(f"/projects/{project}").get_data(as_text=True)
    like = f"/projects/{project}/brainstorm?referenceArtifactId={ideas[1]}"
    assert f'href="{like}">More like this</a>' in library

    page = client.get(like).get_data(as_text=True)
    assert "More like: Rivals" in page
    assert f'name="referenceArtifactId" value="{ideas[1]}" checked' in page
    assert checked_platform(page) == ["kuaishou"] and value_of(page, "numIdeas") == "2"

    data = brainstorm_form(client, auth, project, referenceArtifactId=str(ideas[1]))
    response = client.post(f"/projects/{project}/brainstorm", data=data)
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        inputs = dict(
            db.session.execute(
                select(TransformInput.role, TransformInput.artifact_id).where(
                    TransformInput.transform_id == job_id
                )
            ).all()
        )
        params = db.session.get(Artifact, inputs["params"]).data
    assert inputs["reference"] == ideas[1] and params["referenceArtifactId"] == ideas[1]
    job_page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<dt>More like</dt>" in job_page and "Rivals</a>" in job_page
    run = client.get(f"/api/ideations/{job_id}", headers=mei.bearer).json
    assert run["referenceArtifactId"] == ideas[1]
    # Run again keeps the reference.
    again = client.get(f"/projects/{project}/brainstorm?from={job_id}").get_data(as_text=True)
    assert "More like: Rivals" in again


@pytest.mark.parametrize("which", ["other project", "not an idea", "unknown"])
def test_the_reference_must_be_an_idea_of_the_project(
    client, auth, app, mei, project, make_user, which
):
    finished_brainstorm(app, project, mei.id, ["Mine"])
    other = make_project(app, mei.id, "Elsewhere")
    _job, (foreign,) = finished_brainstorm(app, other, mei.id, ["Theirs"])
    with app.app_context():
        params_artifact = db.session.scalar(
            select(Artifact.id).where(
                Artifact.project_id == project, Artifact.type == "brainstorm_params"
            )
        )
    wrong = {"other project": foreign, "not an idea": params_artifact, "unknown": 999999}[which]
    before = rows(app, Transform), rows(app, Artifact)

    # The link gives the empty form; a sent form says what is wrong beside the choice.
    page = client.get(f"/projects/{project}/brainstorm?referenceArtifactId={wrong}").get_data(
        as_text=True
    )
    assert 'name="referenceArtifactId"' not in page
    response = post(client, auth, project, referenceArtifactId=str(wrong))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    message = "Choose an idea of this project for the new ideas to vary from."
    assert re.search(rf'<p class="field reference invalid">.*{re.escape(message)}', text, re.S)
    api = client.post(
        "/api/brainstorm/start",
        json={"projectId": project, "params": {**BRAINSTORM_PARAMS, "referenceArtifactId": wrong}},
        headers=mei.bearer,
    )
    assert api.status_code == 422 and api.json["field"] == "referenceArtifactId"
    assert (rows(app, Transform), rows(app, Artifact)) == before


@pytest.mark.parametrize("value", ["abc", "", "0", "1.5"])
def test_a_reference_that_is_not_an_id_is_refused(client, auth, app, mei, project, value):
    response = post(client, auth, project, referenceArtifactId=value)
    assert response.status_code == 422 and "Give an id." in response.get_data(as_text=True)
    api = client.post(
        "/api/brainstorm/start",
        json={"projectId": project, "params": {**BRAINSTORM_PARAMS, "referenceArtifactId": value}},
        headers=mei.bearer,
    )
    assert api.status_code == 422 and api.json["field"] == "referenceArtifactId"
    assert rows(app, Transform) == 0


def test_the_model_is_asked_to_vary_from_the_reference(app, api, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    provider.script("seed", ideas_json([("雨夜咖啡店", "她接手了一家快倒闭的咖啡店。")]))
    provider.script("more", ideas_json([("晴天花店", "他开了一家花店。")]))
    first = start_job(
        app,
        "brainstorm",
        project,
        mei.id,
        {**BRAINSTORM_PARAMS, "requirements": "[[script:seed]]", "numIdeas": 1},
    )
    wait_for(lambda: http.get(f"/api/ideations/{first}").json()["status"] == "completed")
    idea = http.get(f"/api/ideations/{first}").json()["ideas"][0]["artifactId"]
    params = {
        **BRAINSTORM_PARAMS,
        "requirements": "[[script:more]]",
        "numIdeas": 1,
        "referenceArtifactId": idea,
    }
    started = http.post("/api/brainstorm/start", json={"projectId": project, "params": params})
    assert started.status_code == 202, started.text
    second = started.json()["transformId"]
    wait_for(lambda: http.get(f"/api/ideations/{second}").json()["status"] == "completed")

    (asked,) = provider.asked("more")
    assert asked["reference"] == {"title": "雨夜咖啡店", "body": "她接手了一家快倒闭的咖啡店。"}
    assert "referenceArtifactId" not in asked and asked["avoidTitles"] == ["雨夜咖啡店"]
    (request,) = provider.requests("more")
    assert "more like the reference idea" in request["body"]["messages"][-1]["content"]
    (plain,) = provider.asked("seed")
    assert "reference" not in plain

    graph = http.get(f"/api/projects/{project}/lineage").json()
    edges = {(e["from"], e["to"], e["role"]) for e in graph["edges"]}
    assert (f"artifact:{idea}", f"transform:{second}", "reference") in edges


def test_a_chinese_reader_gets_the_whole_form_in_chinese(client, auth, app, mei, project):
    job_id, ideas = finished_brainstorm(app, project, mei.id, ["雨夜咖啡店"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    like = client.get(f"/projects/{project}/brainstorm?referenceArtifactId={ideas[0]}").text
    assert_chinese(like, "more like this")  # the script's messages (data- attributes) too
    assert "参照创意：雨夜咖啡店" in like and "筛选类型" in like and "合计：{n} %" in like
    wrong = {field(SWEET): "50", field(MYSTERY): "150", "referenceArtifactId": str(ideas[0])}
    refused = post(client, auth, project, **wrong)
    assert refused.status_code == 422
    assert_chinese(refused.text, "a wrong share")
    assert "占比须为 1 到 100 之间的整数。" in refused.text
    job_page = client.get(f"/jobs/{job_id}").text
    assert (
        "用同样的设置再来一次" in job_page
        and "再来类似的" in client.get(f"/projects/{project}").text
    )
