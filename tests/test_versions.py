"""Ideas after the brainstorm: the library, edits as versions (a human transform each), a
character-level comparison, revert, star; one line of versions (409 on a stale edit); the
ideation API naming each idea's artifact; every route behind project membership."""

import json
from typing import Any

import httpx2
from factories import BRAINSTORM_PARAMS, make_project, start_job
from sqlalchemy import select
from support import wait_for

from app.artifacts.models import Artifact, HumanTransform, TransformInput, TransformOutput
from app.extensions import db
from app.jobs.models import IS_JOB, Transform


def brainstormed(app: Any, http: httpx2.Client, user_id: int, project_id: int) -> dict[str, Any]:
    """A finished brainstorm of three ideas, through a real worker; its ideation JSON."""
    job_id = start_job(app, "brainstorm", project_id, user_id, BRAINSTORM_PARAMS)
    wait_for(lambda: http.get(f"/api/ideations/{job_id}").json()["status"] == "completed")
    return http.get(f"/api/ideations/{job_id}").json()


def edit(http: httpx2.Client, artifact_id: int, title: str, body: str, **extra: Any) -> Any:
    return http.post(
        f"/api/artifacts/{artifact_id}/edit", json={"data": {"title": title, "body": body}, **extra}
    )


def test_an_edit_makes_a_new_version_and_keeps_the_original(app, api, make_user):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    run = brainstormed(app, http, mei.id, project)
    first = run["ideas"][0]
    assert first["version"] == 1 and first["latestArtifactId"] == first["artifactId"]

    made = edit(http, first["artifactId"], "林晚的反击", "她回到了沈家。")
    assert made.status_code == 201, made.text
    v2 = made.json()
    assert v2["version"] == 2 and v2["previousArtifactId"] == first["artifactId"]
    assert v2["artifactId"] != first["artifactId"]

    versions = http.get(f"/api/artifacts/{first['artifactId']}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["data"] == {"title": first["title"], "body": first["body"]}
    assert versions[1]["data"] == {"title": "林晚的反击", "body": "她回到了沈家。"}
    assert versions[0]["humanTransformId"] is None
    assert versions[1]["humanTransformId"] == v2["humanTransformId"]
    # The same whole line, whichever version is asked.
    assert http.get(f"/api/artifacts/{v2['artifactId']}/versions").json()["versions"] == versions

    # The brainstorm still says what it wrote, and where its line is now.
    again = http.get(f"/api/ideations/{run['id']}").json()["ideas"][0]
    assert (again["title"], again["artifactId"], again["version"]) == (
        first["title"],
        first["artifactId"],
        1,
    )
    assert again["latestArtifactId"] == v2["artifactId"]

    with app.app_context():
        human = db.session.get(Transform, v2["humanTransformId"])
        assert (human.type, human.kind, human.status, human.created_by) == (
            "human",
            "edit",
            "completed",
            mei.id,
        )
        detail = db.session.scalar(
            select(HumanTransform).where(HumanTransform.transform_id == human.id)
        )
        # The default description says what changed, in characters.
        assert detail.action == "edit" and "characters added" in detail.description
        source = db.session.scalar(
            select(TransformInput.artifact_id).where(TransformInput.transform_id == human.id)
        )
        output = db.session.scalar(
            select(TransformOutput.artifact_id).where(TransformOutput.transform_id == human.id)
        )
        assert (source, output) == (first["artifactId"], v2["artifactId"])
        # A human transform is lineage, never a job.
        jobs = db.session.scalars(select(Transform.id).where(IS_JOB)).all()
        assert human.id not in jobs
    assert http.get(f"/api/jobs/{human.id}").status_code == 404


def test_editing_a_version_that_is_not_the_latest_answers_409_with_the_latest(app, api, make_user):
    mei = make_user("mei")
    http = api(mei)
    run = brainstormed(app, http, mei.id, make_project(app, mei.id))
    original = run["ideas"][1]["artifactId"]
    ours = edit(http, original, "A", "first edit", description="tightened the hook").json()
    stale = edit(http, original, "B", "an edit of the old version")
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] and body["latestArtifactId"] == ours["artifactId"]
    assert body["latestVersion"] == 2 and body["latest"]["data"]["title"] == "A"
    # Nothing was written by the refused edit.
    versions = http.get(f"/api/artifacts/{original}/versions").json()["versions"]
    assert [v["data"]["title"] for v in versions][1:] == ["A"]
    with app.app_context():
        described = db.session.scalar(
            select(HumanTransform.description).where(
                HumanTransform.transform_id == ours["humanTransformId"]
            )
        )
        assert described == "tightened the hook"


def test_bad_edits_are_refused_naming_the_field_and_write_nothing(app, api, make_user):
    mei = make_user("mei")
    http = api(mei)
    run = brainstormed(app, http, mei.id, make_project(app, mei.id))
    idea = run["ideas"][0]["artifactId"]
    cases = [
        ({"data": {"title": "", "body": "x"}}, "title"),
        ({"data": {"title": "x" * 201, "body": ""}}, "title"),
        ({"data": {"title": "ok", "body": 5}}, "body"),
        ({"data": {"title": "a\u0000b", "body": ""}}, "title"),
        ({"data": "nope"}, "data"),
        ({}, "data"),
        ({"data": {"title": "ok"}, "description": "d" * 501}, "description"),
    ]
    for body, field in cases:
        response = http.post(f"/api/artifacts/{idea}/edit", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, body
    # A params artifact is not something writers edit.
    with app.app_context():
        params = db.session.scalar(select(Artifact.id).where(Artifact.type == "brainstorm_params"))
    refused = http.post(f"/api/artifacts/{params}/edit", json={"data": {"title": "x"}})
    assert refused.status_code == 422 and refused.json()["field"] == "data"
    versions = http.get(f"/api/artifacts/{idea}/versions").json()["versions"]
    assert len(versions) == 1


def test_the_library_lists_every_idea_newest_brainstorm_first_with_stars(app, api, make_user):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    older = brainstormed(app, http, mei.id, project)
    newer = brainstormed(app, http, mei.id, project)
    edited = edit(http, older["ideas"][2]["artifactId"], "改过的标题", "新的正文").json()
    starred = http.post(
        f"/api/artifacts/{older['ideas'][2]['artifactId']}/star", json={"starred": True}
    )
    assert starred.status_code == 200 and starred.json()["starred"] is True
    assert starred.json()["latestArtifactId"] == edited["artifactId"]

    ideas = http.get(f"/api/projects/{project}/ideas").json()["ideas"]
    assert [i["brainstormId"] for i in ideas] == [newer["id"]] * 3 + [older["id"]] * 3
    assert set(ideas[0]) == {
        "artifactId",
        "latestArtifactId",
        "version",
        "title",
        "body",
        "starred",
        "brainstormId",
    }
    last = ideas[-1]
    assert (last["title"], last["version"], last["artifactId"], last["starred"]) == (
        "改过的标题",
        2,
        edited["artifactId"],
        True,
    )
    assert not any(i["starred"] for i in ideas[:-1])
    # Starring any version marks the line; unstarring through the newest clears it.
    http.post(f"/api/artifacts/{edited['artifactId']}/star", json={"starred": False})
    assert not any(i["starred"] for i in http.get(f"/api/projects/{project}/ideas").json()["ideas"])
    assert (
        http.post(
            f"/api/artifacts/{edited['artifactId']}/star", json={"starred": "yes"}
        ).status_code
        == 422
    )


def test_pages_edit_compare_revert_and_star_without_javascript(app, api, web, make_user):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    run = brainstormed(app, http, mei.id, project)
    original = run["ideas"][0]
    tab = web().login(mei)

    page = tab.http.get(f"/projects/{project}").text
    assert original["title"] in page and "1 version" in page
    edit_path = f"/artifacts/{original['artifactId']}/edit"
    saved = tab.post_form(edit_path, {"title": "林晚回来了", "body": "林晚终于回到了沈家。"})
    assert saved.status_code == 303
    versions_page = tab.http.get(saved.headers["location"]).text
    assert "Saved as version 2" in versions_page and "林晚回来了" in versions_page

    # The old version's edit page leads to the newest (edits follow the end of the line).
    latest_path = tab.http.get(edit_path).headers["location"]
    assert latest_path != edit_path and latest_path.endswith("/edit")
    # An invalid form comes back with the message and the writer's text; nothing is saved.
    refused = tab.post_form(latest_path, {"title": "", "body": "<b>kept</b>"})
    assert refused.status_code == 422 and "&lt;b&gt;kept&lt;/b&gt;" in refused.text
    # Saving over an old version (another tab kept it open) is refused, the text kept.
    stale = tab.post_form(edit_path, {"title": "mine", "body": "从旧版本改"}, form_path=latest_path)
    assert stale.status_code == 409 and "从旧版本改" in stale.text

    compare = tab.http.get(f"/artifacts/{original['artifactId']}/compare").text
    assert "<ins>终于</ins>" in compare or "<ins>" in compare
    assert "v1" in compare and "v2" in compare

    reverted = tab.post_form(
        f"/artifacts/{original['artifactId']}/revert",
        {},
        form_path=f"/artifacts/{original['artifactId']}/versions",
    )
    assert reverted.status_code == 303
    versions = http.get(f"/api/artifacts/{original['artifactId']}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[2]["data"] == versions[0]["data"]
    with app.app_context():
        action = db.session.scalar(
            select(HumanTransform.action).where(
                HumanTransform.transform_id == versions[2]["humanTransformId"]
            )
        )
        assert action == "revert"

    starred = tab.post_form(
        f"/artifacts/{original['artifactId']}/star",
        {"starred": "1", "next": f"/projects/{project}"},
        form_path=f"/projects/{project}",
    )
    assert starred.status_code == 303 and starred.headers["location"] == f"/projects/{project}"
    page = tab.http.get(f"/projects/{project}").text
    assert "★" in page and "3 versions" in page


def test_model_text_and_edited_text_stay_inert_on_every_page(app, api, web, make_user):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    run = brainstormed(app, http, mei.id, project)
    idea = run["ideas"][0]["artifactId"]
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    made = edit(http, idea, hostile, hostile).json()
    tab = web().login(mei)
    for path in (
        f"/projects/{project}",
        f"/artifacts/{made['artifactId']}/versions",
        f"/artifacts/{made['artifactId']}/edit",
        f"/artifacts/{idea}/compare",
    ):
        html = tab.http.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_only_members_reach_versions_and_the_library(app, api, web, make_user):
    mei, bo = make_user("mei"), make_user("bo")
    http = api(mei)
    project = make_project(app, mei.id)
    run = brainstormed(app, http, mei.id, project)
    idea = run["ideas"][0]["artifactId"]
    other = api(bo)
    assert other.get(f"/api/projects/{project}/ideas").status_code == 404
    assert other.get(f"/api/artifacts/{idea}/versions").status_code == 404
    assert edit(other, idea, "mine", "now").status_code == 404
    assert other.post(f"/api/artifacts/{idea}/star", json={"starred": True}).status_code == 404
    assert other.get(f"/api/ideations/{run['id']}/active-job").status_code == 404
    tab = web().login(bo)
    for path in ("edit", "versions", "compare"):
        assert tab.http.get(f"/artifacts/{idea}/{path}").status_code == 404
    assert len(http.get(f"/api/artifacts/{idea}/versions").json()["versions"]) == 1


def test_the_active_job_of_an_ideation_run(app, api, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    provider.script("slow", '{"ideas": [{"title": "t", "body": "b"}]}', pause_at=0)
    job_id = start_job(
        app,
        "brainstorm",
        project,
        mei.id,
        {**BRAINSTORM_PARAMS, "requirements": "[[script:slow]]"},
    )
    active = http.get(f"/api/ideations/{job_id}/active-job")
    assert active.status_code == 200
    assert set(active.json()) == {"transformId", "status", "retryCount"}
    assert active.json()["transformId"] == job_id and active.json()["retryCount"] == 0
    provider.release("slow")
    wait_for(lambda: http.get(f"/api/ideations/{job_id}").json()["status"] == "completed")
    gone = http.get(f"/api/ideations/{job_id}/active-job")
    assert gone.status_code == 404 and gone.json()["error"]


def test_a_brainstorm_avoids_the_titles_of_the_projects_last_five(app, api, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    titles = []
    for n in range(7):
        ideas = [{"title": f"第{n}轮 创意{i}", "body": "b"} for i in range(3)]
        provider.script(f"round{n}", json.dumps({"ideas": ideas}, ensure_ascii=False))
        params = {**BRAINSTORM_PARAMS, "requirements": f"[[script:round{n}]]"}
        job_id = start_job(app, "brainstorm", project, mei.id, params)
        done = f"/api/ideations/{job_id}"
        wait_for(lambda done=done: http.get(done).json()["status"] == "completed")
        titles.append([idea["title"] for idea in ideas])
    (asked,) = provider.asked("round6")
    avoided = asked["avoidTitles"]
    # The five brainstorms before it, newest first; not the sixth one back.
    assert avoided == [t for n in (5, 4, 3, 2, 1) for t in titles[n]]
