"""From an outline to scripts: the character bible, episode scripts (one artifact per episode,
each stored as it is whole), start rules, stale marks and regenerating, the Chinese-layout
editor, exports and the consistency check — through the API and the pages, run by real
workers against the fake provider.

The outline's synopses carry `[[script:NAME]]`, so every call gets that script's one answer: a
document with the bible's characters and an episode's title and scenes. The bible's call keeps
the characters, each episode's call the scenes (renumbered to the episode asked for), as the
liberal reading of a real model's answer must."""

import html
import io
import json
import re
import zipfile
from typing import Any

from cluster import StreamClient
from factories import finished_outline, make_project
from lxml import etree
from screenplain.parsers.fountain import parse as parse_fountain
from screenplain.types import Dialog, Slug
from sqlalchemy import func, select
from support import CSRF, raw_responses, wait_for

from app.artifacts.models import Artifact
from app.extensions import db
from app.jobs.models import Transform

FINAL = ("completed", "failed", "cancelled")

CHARACTERS = [
    {
        "name": "林晚",
        "role": "女主",
        "age": "24",
        "personality": "隐忍果断",
        "relationships": [{"name": "沈言深", "relation": "契约未婚夫"}],
    },
    {"name": "沈言深", "role": "男主", "age": "28"},
]
BIBLE = {
    "characters": [
        {**CHARACTERS[0], "look": "一袭白裙", "speech": "说话慢，一字一顿"},
        {**CHARACTERS[1], "look": "黑色西装", "speech": "惜字如金"},
    ]
}
EPISODE = {
    "title": "归来",
    "scenes": [
        {
            "heading": {"interior": "int", "place": "沈家客厅", "time": "夜"},
            "elements": [
                {"type": "action", "text": "林晚推门而入，满屋宾客安静下来。"},
                {
                    "type": "dialogue",
                    "character": "林晚",
                    "parenthetical": "冷笑",
                    "text": "我回来了。",
                },
                {"type": "monologue", "character": "林晚", "text": "这一世，我不会再输。"},
                {"type": "dialogue", "character": "沈言深", "text": "<b>欢迎</b>回家。"},
                {"type": "caption", "text": "三年后"},
            ],
        },
        {
            "heading": {"interior": "ext", "place": "沈家门口", "time": "日"},
            "flashback": True,
            "elements": [
                {"type": "action", "text": "雨中，年幼的林晚被赶出门。"},
                {"type": "voiceover", "character": "沈言深", "text": "那一年，她八岁。"},
            ],
        },
    ],
}


def outline_document(episodes: int, marker: str) -> dict[str, Any]:
    return {
        "title": "重生之豪门千金",
        "logline": f"被赶出豪门的真千金林晚，带着前世记忆回到沈家复仇。[[script:{marker}]]",
        "characters": CHARACTERS,
        "stages": [],
        "episodes": [
            {
                "number": n,
                "title": f"第{n}步",
                "synopsis": f"林晚的第{n}步。[[script:{marker}]]",
                "hook": "开场一记耳光",
                "cliffhanger": "门外站着沈言深",
            }
            for n in range(1, episodes + 1)
        ],
    }


def wait_final(http: Any, path: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = http.get(path).json()
        return body if body["status"] in FINAL else None

    return wait_for(done, timeout=90)


def setup(app, api, make_user, provider, episodes: int = 12, marker: str = "eps"):
    mei = make_user("mei")
    http = api(mei)
    project = make_project(app, mei.id)
    outline = finished_outline(app, mei.id, project, outline_document(episodes, marker))
    answer = {**BIBLE, **EPISODE}
    provider.script(marker, json.dumps(answer, ensure_ascii=False), token_chars=30)
    return mei, http, project, outline


def write_bible(http, project: int, outline: int) -> dict:
    body = {"projectId": project, "outlineArtifactId": outline}
    started = http.post("/api/bibles/start", json=body)
    assert started.status_code == 202, started.text
    return wait_final(http, f"/api/bibles/{started.json()['bibleId']}")


def params_of_calls(provider, name: str) -> list[dict[str, Any]]:
    """The calls' JSON of every episode request the provider received."""
    found = []
    for request in provider.requests(name):
        content = request["body"]["messages"][-1]["content"]
        if content.startswith("Write episode"):
            found.append(json.loads(re.search(r"<params>(.*)</params>", content, re.S)[1]))
    return found


def test_a_bible_then_ten_episodes_each_its_own_artifact_with_the_bible_in_every_prompt(
    app, api, make_user, provider
):
    _mei, http, project, outline = setup(app, api, make_user, provider, marker="eps")
    started = http.post(
        "/api/bibles/start", json={"projectId": project, "outlineArtifactId": outline}
    )
    assert started.status_code == 202, started.text
    body = started.json()
    assert set(body) == {"transformId", "bibleId", "status", "url"}
    bible = wait_final(http, f"/api/bibles/{body['bibleId']}")
    assert bible["status"] == "completed"
    assert bible["outlineArtifactId"] == outline
    assert [c["name"] for c in bible["characters"]] == ["林晚", "沈言深"]
    assert bible["artifactId"] == bible["latestArtifactId"] and bible["version"] == 1
    assert set(bible) >= {"progress", "streamingData"}

    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "1-10"},
    )
    assert started.status_code == 202, started.text
    assert set(started.json()) == {"transformId", "scriptId", "status", "url"}
    script = wait_final(http, f"/api/scripts/{started.json()['scriptId']}")
    assert script["status"] == "completed"
    assert script["outlineArtifactId"] == outline
    assert script["bibleArtifactId"] == bible["artifactId"]  # the newest bible by default
    episodes = script["episodes"]
    assert [e["number"] for e in episodes] == list(range(1, 11))
    assert len({e["artifactId"] for e in episodes}) == 10
    first = episodes[0]
    assert first["title"] == "归来" and first["version"] == 1 and first["stale"] is False
    assert first["seconds"] > 0
    heading = first["scenes"][0]["heading"]
    assert heading == {"number": 1, "interior": "int", "place": "沈家客厅", "time": "夜"}
    assert first["scenes"][0]["elements"][1] == EPISODE["scenes"][0]["elements"][1]
    assert first["scenes"][0]["elements"][0] == {
        "type": "action",
        "text": EPISODE["scenes"][0]["elements"][0]["text"],
    }
    assert first["scenes"][1]["flashback"] is True

    calls = params_of_calls(provider, "eps")
    assert [c["episode"]["number"] for c in calls] == list(range(1, 11))
    assert all(c["characters"][0]["speech"] == "说话慢，一字一顿" for c in calls)
    assert calls[0]["previous"] == []
    # Each prompt remembers the episodes before it: their synopses and where they ended.
    assert [p["number"] for p in calls[3]["previous"]] == [1, 2, 3]
    assert "林晚的第3步。" in calls[3]["previous"][-1]["summary"]
    assert "那一年，她八岁。" in calls[3]["previous"][-1]["summary"]
    assert calls[0]["seconds"] == 90 and calls[0]["budget"] > 0


def test_start_rules_refusals_and_one_active_job_per_project(app, client, make_user, provider):
    mei, bo = make_user("mei"), make_user("bo")
    project = make_project(app, mei.id)
    outline = finished_outline(app, mei.id, project, outline_document(12, "never"))

    def start(body: dict, user=mei, **headers: str):
        return client.post("/api/scripts/start", json=body, headers={**user.bearer, **headers})

    base = {"projectId": project, "outlineArtifactId": outline}
    for episodes, message in (
        ("0", "episodes 1 to 12"),
        ("11-13", "episodes 1 to 12"),
        ("5-3", "smaller number"),
        ("one", '"all"'),
        ([], '"all"'),
        ([1, "2"], '"all"'),
    ):
        refused = start({**base, "episodes": episodes})
        assert refused.status_code == 422, (episodes, refused.json)
        assert refused.json["field"] == "episodes" and message in refused.json["error"]
    other = make_project(app, bo.id)
    theirs = finished_outline(app, bo.id, other, outline_document(12, "never"))
    refused = start({**base, "outlineArtifactId": theirs})
    assert refused.status_code == 422 and refused.json["field"] == "outlineArtifactId"
    assert start(base, user=bo).status_code == 404  # not a member: nothing is said

    first = start({**base, "episodes": [1, 2]}, **{"Idempotency-Key": "k"})
    assert first.status_code == 202
    assert start({**base, "episodes": [1, 2]}, **{"Idempotency-Key": "k"}).json == first.json
    busy = start({**base, "episodes": "3"})
    assert busy.status_code == 409 and busy.json["scriptId"] == first.json["scriptId"]
    assert "error" in busy.json
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Transform).where(Transform.kind == "scripts")
        )
    assert count == 1


def test_editing_upstream_marks_what_was_made_from_it_and_regenerate_branches(
    app, api, client, auth, make_user, provider
):
    mei, http, project, outline = setup(app, api, make_user, provider, episodes=10)
    bible = write_bible(http, project, outline)
    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "1-5"},
    ).json()
    script = wait_final(http, f"/api/scripts/{started['scriptId']}")
    assert script["status"] == "completed"
    assert not any(e["stale"] for e in script["episodes"])

    # An edit of episode 3 makes 4 and 5 "based on an older version"; 1–3 are not.
    third = script["episodes"][2]
    edited = {**EPISODE, "number": 3, "title": "改过的第三集"}
    saved = http.post(f"/api/artifacts/{third['artifactId']}/edit", json={"data": edited})
    assert saved.status_code == 201, saved.text
    script = http.get(f"/api/scripts/{started['scriptId']}").json()
    assert [e["stale"] for e in script["episodes"]] == [False, False, False, True, True]
    assert (
        script["episodes"][2]["version"] == 2 and script["episodes"][2]["title"] == "改过的第三集"
    )

    # An edit of the bible makes every episode stale.
    characters = [{**c, "age": "25"} if c["name"] == "林晚" else c for c in BIBLE["characters"]]
    saved = http.post(
        f"/api/artifacts/{bible['artifactId']}/edit", json={"data": {"characters": characters}}
    )
    assert saved.status_code == 201, saved.text
    script = http.get(f"/api/scripts/{started['scriptId']}").json()
    assert all(e["stale"] for e in script["episodes"])

    # The graph shows the marks.
    graph = http.get(f"/api/projects/{project}/lineage").json()
    marked = {n["refId"] for n in graph["nodes"] if n.get("stale")}
    assert {e["artifactId"] for e in script["episodes"]} <= marked

    # Regenerate episode 4: a new job of that episode alone, from the newest bible; the old
    # episode is kept.
    auth.login(mei)
    page = client.get(f"/episodes/{script['episodes'][3]['artifactId']}").get_data(as_text=True)
    assert "Based on an older version" in page
    token = CSRF.search(page)
    again = client.post(
        f"/artifacts/{script['episodes'][3]['artifactId']}/regenerate",
        data={"csrf_token": token.group(1) or token.group(2)},
    )
    assert again.status_code == 303
    job_id = int(again.headers["Location"].rsplit("/", 1)[1])
    redone = wait_final(http, f"/api/scripts/{job_id}")
    assert [e["number"] for e in redone["episodes"]] == [4]
    assert redone["bibleArtifactId"] == saved.json()["artifactId"]
    assert redone["episodes"][0]["stale"] is False
    old = http.get(f"/api/scripts/{started['scriptId']}").json()
    assert len(old["episodes"]) == 5  # kept
    with app.app_context():
        params = db.session.scalar(
            select(Artifact.data)
            .where(Artifact.type == "script_params")
            .order_by(Artifact.id.desc())
        )
    assert params["episodes"] == [4] and [p["number"] for p in params["previous"]] == [1, 2, 3]


def test_the_chinese_layout_editor_reads_back_and_names_a_line_it_cannot_read(
    app, api, client, auth, make_user, provider
):
    mei, http, project, outline = setup(app, api, make_user, provider, episodes=10)
    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "2"},
    ).json()
    episode = wait_final(http, f"/api/scripts/{started['scriptId']}")["episodes"][0]
    auth.login(mei)
    form = client.get(f"/artifacts/{episode['artifactId']}/edit").get_data(as_text=True)
    text = re.search(r'<textarea id="script" name="script"[^>]*>(.*?)</textarea>', form, re.S)[1]
    text = html.unescape(text)
    assert "2-1 夜 内 沈家客厅" in text and "林晚：（冷笑）我回来了。" in text
    token = CSRF.search(form)
    csrf = token.group(1) or token.group(2)
    broken = text.replace("2-2 日 外 沈家门口", "2-2 沈家门口")
    line = broken.split("\n").index(next(s for s in broken.split("\n") if s.startswith("2-2"))) + 1
    refused = client.post(
        f"/artifacts/{episode['artifactId']}/edit", data={"csrf_token": csrf, "script": broken}
    )
    assert refused.status_code == 422
    assert f"{line}" in refused.get_data(as_text=True)
    changed = text.replace("我回来了。", "我终于回来了。")
    saved = client.post(
        f"/artifacts/{episode['artifactId']}/edit", data={"csrf_token": csrf, "script": changed}
    )
    assert saved.status_code == 303
    now = http.get(f"/api/scripts/{started['scriptId']}").json()["episodes"][0]
    assert now["version"] == 2 and now["number"] == 2
    assert now["scenes"][0]["elements"][1]["text"] == "我终于回来了。"
    before = json.dumps(episode["scenes"], ensure_ascii=False)
    after = json.dumps(now["scenes"], ensure_ascii=False)
    assert after == before.replace("我回来了。", "我终于回来了。")  # nothing else changed


def test_exports_in_every_format_from_the_stored_structure(app, api, make_user, provider):
    _mei, http, project, outline = setup(app, api, make_user, provider, episodes=10)
    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "1-3"},
    ).json()
    script_id = started["scriptId"]
    script = wait_final(http, f"/api/scripts/{script_id}")
    base = f"/api/scripts/{script_id}/export"

    fountain = http.get(base, params={"format": "fountain", "episodes": "1-2"})
    assert fountain.status_code == 200
    assert 'filename="script-' in fountain.headers["content-disposition"]
    parsed = list(parse_fountain(io.StringIO(fountain.text)))  # an independent parser
    slugs = [str(p.line) for p in parsed if isinstance(p, Slug)]
    assert [s.split()[0] for s in slugs] == ["1-1", "1-2", "2-1", "2-2"]
    assert all(s.startswith(f"{s.split()[0]} 夜 内 沈家客厅") for s in slugs[::2])
    cues = [re.sub(r"（.*）$", "", str(p.character)) for p in parsed if isinstance(p, Dialog)]
    assert cues == ["林晚", "林晚", "沈言深", "沈言深"] * 2  # dialogue, OS, dialogue, V.O.
    lines = [str(p.blocks[-1][1]) for p in parsed if isinstance(p, Dialog)]
    assert lines[:2] == ["我回来了。", "这一世，我不会再输。"]

    fdx = http.get(base, params={"format": "fdx"})
    root = etree.fromstring(fdx.content)
    assert root.tag == "FinalDraft" and root.get("DocumentType") == "Script"
    types = {p.get("Type") for p in root.iter("Paragraph")}
    assert {"Scene Heading", "Action", "Character", "Dialogue"} <= types

    docx = http.get(base, params={"format": "docx", "layout": "en"})
    with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
        assert "word/document.xml" in archive.namelist()
        assert (
            "LIN" in archive.read("word/document.xml").decode()
            or "林晚" in archive.read("word/document.xml").decode()
        )

    md = http.get(base, params={"format": "md"})
    assert md.headers["content-type"].startswith("text/markdown") and "林晚" in md.text

    page = http.get(base, params={"format": "html"})
    assert "&lt;b&gt;欢迎&lt;/b&gt;" in page.text and "<b>欢迎" not in page.text

    series = http.get(
        f"/api/outlines/{_outline_job(app, outline)}/series/export", params={"format": "fountain"}
    )
    assert series.status_code == 200 and series.text.count("沈家客厅") == 3

    assert http.get(base, params={"format": "pdf"}).status_code == 422
    assert http.get(base, params={"layout": "fr"}).status_code == 422
    assert http.get(base, params={"episodes": "9"}).status_code in (409, 422)
    assert len(script["episodes"]) == 3


def _outline_job(app, outline_id: int) -> int:
    from app.artifacts.models import TransformOutput

    with app.app_context():
        return db.session.scalar(
            select(TransformOutput.transform_id).where(TransformOutput.artifact_id == outline_id)
        )


def test_a_consistency_check_lists_the_contradictions_it_was_given(
    app, api, client, auth, make_user, provider
):
    mei, http, project, outline = setup(app, api, make_user, provider, episodes=10)
    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "1-2"},
    ).json()
    wait_final(http, f"/api/scripts/{started['scriptId']}")
    issues = {
        "issues": [
            {
                "character": "林晚",
                "description": "林晚的年龄前后不一 <script>alert(1)</script>",
                "episodes": [1, 2],
                "quotes": ["我二十五岁了。"],
            }
        ]
    }
    provider.script("eps", json.dumps({**issues, **EPISODE}, ensure_ascii=False), token_chars=20)
    check = http.post(
        "/api/consistency/start", json={"projectId": project, "outlineArtifactId": outline}
    )
    assert check.status_code == 202, check.text
    assert set(check.json()) == {"transformId", "checkId", "status", "url"}
    done = wait_final(http, f"/api/consistency/{check.json()['checkId']}")
    assert done["status"] == "completed"
    assert done["issues"] == issues["issues"]
    auth.login(mei)
    page = client.get(check.json()["url"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in page and "<script>alert(1)" not in page
    series = client.get(f"/artifacts/{outline}/script").get_data(as_text=True)
    assert "1 contradiction found." in series


def test_the_script_page_belongs_to_members_only(app, client, auth, make_user):
    mei, bo = make_user("mei"), make_user("bo")
    project = make_project(app, mei.id)
    outline = finished_outline(app, mei.id, project, outline_document(10, "never"))
    auth.login(bo)
    assert client.get(f"/artifacts/{outline}/script").status_code == 404
    assert client.get(f"/artifacts/{outline}/series/export?format=md").status_code == 404
    auth.login(mei)
    page = client.get(f"/artifacts/{outline}/script").get_data(as_text=True)
    assert "Write a character bible" in page and "1-10" in page
    assert "No episode is written yet" in page
    assert client.get(f"/artifacts/{outline}/series/export?format=md").status_code == 409


def test_a_reload_mid_job_shows_the_episodes_so_far_and_two_tabs_follow_every_call(
    app, api, web, server, make_user, provider
):
    mei, http, project, outline = setup(app, api, make_user, provider, marker="mid")
    answer = json.dumps({**BIBLE, **EPISODE}, ensure_ascii=False)
    first = json.dumps({**EPISODE, "title": "第一集写完了"}, ensure_ascii=False)
    # The first episode's call is answered at once; the next ones hold mid-answer.
    provider.script(
        "mid", answer, token_chars=2, pause_at=len(first) // 4 + 20, chat_replies=[first]
    )
    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "1-3"},
    ).json()
    script_id = started["scriptId"]

    def midway() -> dict[str, Any] | None:
        script = http.get(f"/api/scripts/{script_id}").json()
        streaming = script["streamingData"]
        written = "".join(streaming["chunks"]) if streaming else ""
        return script if script["episodes"] and len(written) > len(first) + 40 else None

    script = wait_for(midway, timeout=30)
    assert script["status"] == "running"
    assert [e["title"] for e in script["episodes"]] == ["第一集写完了"]
    page = web().login(mei).http.get(f"/jobs/{script_id}").text
    assert "第一集写完了" in page and "林晚推门而入" in page
    assert "&lt;b&gt;欢迎&lt;/b&gt;" in page and "<b>欢迎" not in page  # model text is escaped

    tabs = [StreamClient(server.url, mei.bearer, script_id) for _ in range(2)]
    try:
        provider.release("mid")
        assert [tab.wait_done() for tab in tabs] == [{"status": "completed"}] * 2
        raw = raw_responses(app, script_id)
        assert len(raw) == 3
        for tab in tabs:  # every call's text, in order, without a gap or a repeat
            assert tab.text == "".join(raw) and tab.anomalies == []
    finally:
        for tab in tabs:
            tab.close()
    done = http.get(f"/api/scripts/{script_id}").json()
    assert [e["number"] for e in done["episodes"]] == [1, 2, 3]
    assert [e["title"] for e in done["episodes"]] == ["第一集写完了", "归来", "归来"]


def test_a_fountain_file_imports_as_a_new_version_and_a_bad_one_is_named_by_its_line(
    app, api, client, auth, make_user, provider
):
    mei, http, project, outline = setup(app, api, make_user, provider, episodes=10)
    started = http.post(
        "/api/scripts/start",
        json={"projectId": project, "outlineArtifactId": outline, "episodes": "4"},
    ).json()
    episode = wait_final(http, f"/api/scripts/{started['scriptId']}")["episodes"][0]
    exported = http.get(f"/api/scripts/{started['scriptId']}/export", params={"format": "fountain"})
    auth.login(mei)
    page = client.get(f"/episodes/{episode['artifactId']}").get_data(as_text=True)
    token = CSRF.search(page)
    csrf = token.group(1) or token.group(2)
    url = f"/episodes/{episode['artifactId']}/import"

    refused = client.post(url, data={"csrf_token": csrf, "fountain": "@林晚\n"})  # no line
    assert refused.status_code == 422 and "Line" in refused.get_data(as_text=True)
    other = exported.text.replace("# 第4集", "# 第5集").replace(".4-", ".5-")
    refused = client.post(url, data={"csrf_token": csrf, "fountain": other + "\n" + other})
    assert refused.status_code == 422 and "no episode 4" in refused.get_data(as_text=True)
    assert http.get(f"/api/scripts/{started['scriptId']}").json()["episodes"][0]["version"] == 1

    changed = exported.text.replace("我回来了。", "我从地狱回来了。")
    upload = (io.BytesIO(changed.encode()), "episode-4.fountain")
    saved = client.post(
        url, data={"csrf_token": csrf, "file": upload}, content_type="multipart/form-data"
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    now = http.get(f"/api/scripts/{started['scriptId']}").json()["episodes"][0]
    assert now["version"] == 2 and now["number"] == 4
    before = json.dumps(episode["scenes"], ensure_ascii=False)
    assert json.dumps(now["scenes"], ensure_ascii=False) == before.replace(
        "我回来了。", "我从地狱回来了。"
    )
