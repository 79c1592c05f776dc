"""Outlines: from an idea version, a durable job like brainstorm whose one `outline` artifact
grows section by section over several model calls (the header, then episodes in batches);
start rules, reading mid-stream, branches, edits, exports, escaping.

The model is the fake provider: an outline's style notes carry `[[script:NAME]]`, so every call
of that outline gets the script's one document (title … stages and every episode). The header
call keeps the header's sections; each episodes call keeps the episodes it asked for, renumbered
— as the liberal reading of a real model's answer must."""

import json
from typing import Any

import httpx2
from cluster import StreamClient
from factories import BRAINSTORM_PARAMS, make_project, start_job
from sqlalchemy import select
from support import raw_responses, wait_for

from app.artifacts.models import Artifact
from app.extensions import db
from app.jobs.models import LlmTransform
from app.outline.export import from_markdown

FINAL = ("completed", "failed", "cancelled")


def document(episodes: int, title: str = "重生之豪门千金") -> dict[str, Any]:
    return {
        "title": title,
        "logline": "被赶出豪门的真千金林晚，带着前世记忆回到沈家复仇。",
        "genre": "女频 · 重生复仇",
        "audience": "18-35岁女性",
        "sellingPoints": ["前世记忆", "当众打脸"],
        "setting": "现代上海，沈氏集团。",
        "characters": [
            {
                "name": "林晚",
                "role": "女主",
                "age": "24",
                "personality": "隐忍果断",
                "goal": "夺回身份",
                "contrast": "外柔内刚",
                "advantage": "前世记忆",
                "advantageCost": "记忆会慢慢消失",
                "relationships": [{"name": "沈言深", "relation": "契约未婚夫"}],
            },
            {"name": "沈言深", "role": "男主"},
        ],
        "stages": [
            {"stage": "opening", "fromEpisode": 1, "toEpisode": 3, "summary": "回归"},
            {"stage": "rising", "fromEpisode": 4, "toEpisode": episodes - 3, "summary": "反击"},
            {"stage": "climax", "fromEpisode": episodes - 2, "toEpisode": episodes - 1},
            {"stage": "resolution", "fromEpisode": episodes, "toEpisode": episodes},
        ],
        "episodes": [
            {
                "number": n,
                "title": f"第{n}集",
                "synopsis": f"林晚的第{n}步。",
                "hook": "开场一记耳光",
                "cliffhanger": "门外站着沈言深",
            }
            for n in range(1, episodes + 1)
        ],
    }


def an_idea(app: Any, http: httpx2.Client, user_id: int, project_id: int) -> dict[str, Any]:
    """The first idea of a finished brainstorm (run by a real worker)."""
    job_id = start_job(app, "brainstorm", project_id, user_id, BRAINSTORM_PARAMS)
    wait_for(lambda: http.get(f"/api/ideations/{job_id}").json()["status"] == "completed")
    return http.get(f"/api/ideations/{job_id}").json()["ideas"][0]


def start(http: httpx2.Client, project: int, source: int, **params: Any) -> httpx2.Response:
    body = {"projectId": project, "sourceArtifactId": source, "params": params}
    return http.post("/api/outlines/start", json=body)


def final(http: httpx2.Client, outline_id: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        outline = http.get(f"/api/outlines/{outline_id}").json()
        return outline if outline["status"] in FINAL else None

    return wait_for(done, timeout=60)


def test_an_outline_is_written_in_calls_into_one_artifact_and_exported(
    app, api, web, make_user, provider
):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    provider.script("outline", json.dumps(document(20), ensure_ascii=False), token_chars=40)

    started = start(http, project, idea["artifactId"], episodeCount=20, notes="[[script:outline]]")
    assert started.status_code == 202, started.text
    body = started.json()
    assert set(body) == {"transformId", "outlineId", "status", "url"}
    assert body["outlineId"] == body["transformId"] and body["url"] == f"/jobs/{body['outlineId']}"

    outline = final(http, body["outlineId"])
    assert outline["status"] == "completed", outline["job"]["error"]
    components = outline["components"]
    expected = document(20)
    for name in ("title", "logline", "genre", "audience", "sellingPoints", "setting"):
        assert components[name] == expected[name], name
    assert [c["name"] for c in components["characters"]] == ["林晚", "沈言深"]
    assert components["characters"][0]["advantageCost"] == "记忆会慢慢消失"
    assert [s["stage"] for s in components["stages"]] == [
        "opening",
        "rising",
        "climax",
        "resolution",
    ]
    assert [e["number"] for e in components["episodes"]] == list(range(1, 21))
    assert outline["artifactId"] == outline["latestArtifactId"] is not None
    assert outline["sourceArtifact"] == {
        "id": idea["artifactId"],
        "version": 1,
        "data": {"title": idea["title"], "body": idea["body"]},
    }
    assert outline["params"]["episodeCount"] == 20 and outline["params"]["platform"] == "抖音"
    assert outline["progress"] == 100 and outline["job"]["progressDone"] == 20

    # Three model calls, each recorded: the header, episodes 1-15, episodes 16-20.
    with app.app_context():
        calls = db.session.scalars(
            select(LlmTransform.call).where(LlmTransform.transform_id == outline["id"])
        ).all()
        assert sorted(calls) == [1, 2, 3]
        artifact = db.session.get(Artifact, outline["artifactId"])
        assert (artifact.type, artifact.streaming_status) == ("outline", "completed")
    asked = provider.asked("outline")
    assert [(a["call"], a.get("fromEpisode"), a.get("toEpisode")) for a in asked] == [
        ("header", None, None),
        ("episodes", 1, 15),
        ("episodes", 16, 20),
    ]
    assert len(asked[2]["previous"]) == 15  # each batch is given the synopses before it

    # Exports: Markdown that reads back as the components, JSON, a print page.
    markdown = http.get(f"/api/outlines/{outline['id']}/export", params={"format": "md"})
    assert markdown.status_code == 200 and "attachment" in markdown.headers["content-disposition"]
    assert from_markdown(markdown.text) == components
    exported = http.get(f"/api/outlines/{outline['id']}/export", params={"format": "json"})
    assert json.loads(exported.text) == components
    printed = http.get(f"/api/outlines/{outline['id']}/export", params={"format": "html"})
    assert (
        printed.status_code == 200 and "print.css" in printed.text and 'lang="zh"' in printed.text
    )
    bad = http.get(f"/api/outlines/{outline['id']}/export", params={"format": "doc"})
    assert bad.status_code == 422 and bad.json()["field"] == "format"

    # The job page shows every section and where the outline came from; no JavaScript needed.
    page = web().login(mei).http.get(f"/jobs/{outline['id']}").text
    assert "重生之豪门千金" in page and "记忆会慢慢消失" in page and "第20集" in page
    assert idea["title"] in page and "v1" in page and "Download Markdown" in page


def test_a_reload_mid_stream_shows_every_section_so_far(app, api, web, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    text = json.dumps(document(10), ensure_ascii=False)
    pause = text.index('"characters"')  # the header's first sections are whole by then
    provider.script("halfway", text, token_chars=1, pause_at=pause)
    outline_id = start(
        http, project, idea["artifactId"], episodeCount=10, notes="[[script:halfway]]"
    ).json()["outlineId"]

    def partial() -> dict[str, Any] | None:
        outline = http.get(f"/api/outlines/{outline_id}").json()
        return outline if outline["components"]["setting"] else None

    outline = wait_for(partial, timeout=30)
    assert outline["status"] == "running" and outline["artifactId"] is not None
    assert outline["components"]["title"] == "重生之豪门千金"
    assert outline["components"]["episodes"] == [] and outline["streamingData"]["chunks"]
    page = web().login(mei).http.get(f"/jobs/{outline_id}").text
    assert "重生之豪门千金" in page and "沈氏集团" in page
    # A document still being written cannot be edited.
    refused = http.post(
        f"/api/artifacts/{outline['artifactId']}/edit", json={"data": outline["components"]}
    )
    assert refused.status_code == 409
    provider.release("halfway")
    assert final(http, outline_id)["status"] == "completed"


def test_start_rules_one_active_per_project_idempotency_and_clear_refusals(
    app, api, make_user, provider
):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    provider.script("held", json.dumps(document(10)), pause_at=0)
    other_project = make_project(app, mei.id, "Other")

    refusals = [
        ({"episodeCount": 5}, "episodeCount"),
        ({"episodeCount": 121}, "episodeCount"),
        ({"episodeSeconds": 20}, "episodeSeconds"),
        ({"episodeCount": 20, "paywallEpisode": 21}, "paywallEpisode"),
        ({"paywallEpisode": 0}, "paywallEpisode"),
        ({"platform": "MySpace"}, "platform"),
        ({"notes": "n" * 2001}, "notes"),
        ({"episodeCount": "60"}, "episodeCount"),
    ]
    for params, field in refusals:
        response = start(http, project, idea["artifactId"], **params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["field"] == field, params
    with app.app_context():
        params_artifact = db.session.scalar(
            select(Artifact.id).where(Artifact.type == "brainstorm_params")
        )
    for source, project_id in ((params_artifact, project), (idea["artifactId"], other_project)):
        response = start(http, project_id, source)
        assert response.status_code == 422 and response.json()["field"] == "sourceArtifactId"

    key = {"Idempotency-Key": "outline-1"}
    body = {"projectId": project, "sourceArtifactId": idea["artifactId"]}
    body["params"] = {"notes": "[[script:held]]", "episodeCount": 10}
    first = http.post("/api/outlines/start", json=body, headers=key)
    assert first.status_code == 202
    replay = http.post("/api/outlines/start", json=body, headers=key)
    assert replay.status_code == 202  # the same job (its status may have moved on)
    assert {**replay.json(), "status": None} == {**first.json(), "status": None}
    reused = http.post(
        "/api/outlines/start", json={**body, "params": {"episodeCount": 11}}, headers=key
    )
    assert reused.status_code == 422 and reused.json()["field"] == "Idempotency-Key"
    conflict = start(http, project, idea["artifactId"], episodeCount=30)
    assert conflict.status_code == 409 and conflict.json()["error"]
    assert conflict.json()["transformId"] == first.json()["transformId"]
    assert conflict.json()["outlineId"] == first.json()["outlineId"]
    provider.release("held")
    final(http, first.json()["outlineId"])


def test_regenerating_is_a_branch_and_an_edited_outline_makes_versions(
    app, api, web, make_user, provider
):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    provider.script("a", json.dumps(document(10), ensure_ascii=False))
    provider.script("b", json.dumps(document(10, "第二个分支"), ensure_ascii=False))
    first = final(
        http,
        start(http, project, idea["artifactId"], episodeCount=10, notes="[[script:a]]").json()[
            "outlineId"
        ],
    )
    edited = http.post(
        f"/api/artifacts/{idea['artifactId']}/edit",
        json={"data": {"title": "改过的创意", "body": "新的正文"}},
    ).json()
    second = final(
        http,
        start(http, project, edited["artifactId"], episodeCount=10, notes="[[script:b]]").json()[
            "outlineId"
        ],
    )
    assert second["sourceArtifact"]["version"] == 2
    assert first["components"]["title"] == "重生之豪门千金"  # the first branch is untouched
    assert second["components"]["title"] == "第二个分支"

    page = web().login(mei).http.get(f"/projects/{project}").text
    assert f"/jobs/{first['id']}" in page and f"/jobs/{second['id']}" in page
    assert "from v1" in page and "from v2" in page

    # An outline is edited like an idea: a new version, the original kept.
    changed = {**first["components"], "title": "改名了"}
    made = http.post(f"/api/artifacts/{first['artifactId']}/edit", json={"data": changed})
    assert made.status_code == 201 and made.json()["version"] == 2
    again = http.get(f"/api/outlines/{first['id']}").json()
    assert again["artifactId"] == first["artifactId"]
    assert again["latestArtifactId"] == made.json()["artifactId"]
    assert again["components"]["title"] == "改名了"
    wrong = {**first["components"], "episodes": [{"number": "one"}]}
    refused = http.post(f"/api/artifacts/{made.json()['artifactId']}/edit", json={"data": wrong})
    assert refused.status_code == 422 and refused.json()["field"] == "number"

    # In the browser the outline is edited as its Markdown, read back exactly.
    tab = web().login(mei)
    form = tab.http.get(f"/artifacts/{made.json()['artifactId']}/edit").text
    assert "改名了" in form
    markdown = http.get(f"/api/outlines/{first['id']}/export").text.replace("改名了", "又改了")
    saved = tab.post_form(f"/artifacts/{made.json()['artifactId']}/edit", {"markdown": markdown})
    assert saved.status_code == 303, saved.text
    assert http.get(f"/api/outlines/{first['id']}").json()["components"]["title"] == "又改了"


def test_model_text_in_an_outline_stays_inert(app, api, web, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    text = document(10, hostile)
    text["episodes"][0]["synopsis"] = hostile
    provider.script("evil", json.dumps(text))
    outline = final(
        http,
        start(http, project, idea["artifactId"], episodeCount=10, notes="[[script:evil]]").json()[
            "outlineId"
        ],
    )
    tab = web().login(mei)
    for path in (
        f"/jobs/{outline['id']}",
        f"/outlines/{outline['id']}/export?format=html",
        f"/artifacts/{outline['artifactId']}/versions",
        f"/artifacts/{outline['artifactId']}/edit",
    ):
        html = tab.http.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path


def test_the_outline_form_without_javascript(app, api, web, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    provider.script("form", json.dumps(document(10), ensure_ascii=False))
    tab = web().login(mei)
    path = f"/artifacts/{idea['artifactId']}/outline"
    form = tab.http.get(path)
    assert form.status_code == 200 and idea["title"] in form.text
    fields = {"platform": "抖音", "paywallEpisode": "10"}
    refused = tab.post_form(path, {**fields, "episodeCount": "7"}, form_path=path)
    assert refused.status_code == 422 and "between 10 and 120" in refused.text
    fields |= {"episodeCount": "10", "notes": "[[script:form]]"}
    created = tab.post_form(path, fields, form_path=path)
    assert created.status_code == 303
    outline_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert final(http, outline_id)["status"] == "completed"
    assert tab.http.get(f"/outlines/{outline_id}/export?format=md").status_code == 200


def test_two_tabs_follow_an_outline_through_its_calls(app, api, server, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    text = json.dumps(document(20), ensure_ascii=False)
    provider.script("tabs", text, token_chars=40, delay_ms=2, pause_at=3)
    outline_id = start(
        http, project, idea["artifactId"], episodeCount=20, notes="[[script:tabs]]"
    ).json()["outlineId"]
    wait_for(lambda: http.get(f"/api/outlines/{outline_id}").json()["status"] == "running")
    tabs = [StreamClient(server.url, mei.bearer, outline_id) for _ in range(2)]
    try:
        provider.release("tabs")
        ends = [tab.wait_done() for tab in tabs]
        assert ends == [{"status": "completed"}] * 2
        raw = raw_responses(app, outline_id)
        assert len(raw) == 3
        for tab in tabs:  # every call's text, in order, without a gap or a repeat
            assert tab.text == "".join(raw) and tab.anomalies == []
    finally:
        for tab in tabs:
            tab.close()


def test_a_retry_goes_on_from_the_episodes_already_written(app, api, make_user, provider):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    idea = an_idea(app, http, mei.id, project)
    text = json.dumps(document(20), ensure_ascii=False)
    sixth = text.index('"number": 6,')  # the connection drops while episode 6 is written
    provider.script(
        "drops",
        text,
        token_chars=20,
        fault={"kind": "drop", "after": sixth // 20},
        fault_on=[1],  # the first episodes call; the header call before it is whole
    )
    outline_id = start(
        http, project, idea["artifactId"], episodeCount=20, notes="[[script:drops]]"
    ).json()["outlineId"]
    outline = final(http, outline_id)
    assert outline["status"] == "completed" and outline["job"]["attempt"] == 2
    assert [e["number"] for e in outline["components"]["episodes"]] == list(range(1, 21))
    asked = provider.asked("drops")
    # The header once; episodes 1-15 (the answer broke off after 5), then 6-20 in one call.
    assert [(a["call"], a.get("fromEpisode"), a.get("toEpisode")) for a in asked] == [
        ("header", None, None),
        ("episodes", 1, 15),
        ("episodes", 6, 20),
    ]
