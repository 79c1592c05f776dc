"""`make run`'s default: SQLite, embedded Redis, the demo model, workers that end with it."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import free_port
from support import Process, Web, python, wait_for

from app.brainstorm.catalog import genre_paths


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    )
    return state != "Z"


@pytest.mark.slow
def test_app_py_runs_everything_and_stops_everything(tmp_path):
    port = free_port()
    env = {"INSTANCE_PATH": str(tmp_path), "PORT": str(port), "WORKERS": "2"}
    env |= {"DEMO_TOKEN_DELAY_MS": "1", "DATABASE_URL": "", "REDIS_URL": "", "LLM_API_KEY": ""}
    server = Process(python("app.py"), env, "is running at", timeout=60)
    try:
        assert "offline demo model" in server.ready_line
        assert (tmp_path / "script_writer.db").exists()
        workers = children(server.proc.pid)
        assert len(workers) == 3  # two workers and the embedded redis-server
        browser = Web(f"http://127.0.0.1:{port}").signup("mei")
        created = browser.post_form("/projects/", {"name": "Demo", "description": ""})
        project = created.headers["Location"].rsplit("/", 1)[1]
        path = f"/projects/{project}/brainstorm"
        page = browser.http.get(path).text
        key = page.split('name="idempotency_key" value="')[1].split('"')[0]
        data = {"idempotency_key": key, "platform": "tiktok", "numIdeas": "2"}
        data |= {f"genre-{genre_paths().index(genre_paths()[0])}": "100", "requirements": ""}
        started = browser.post_form(path, data)
        assert started.status_code == 303
        job = started.headers["Location"]
        done = wait_for(lambda: "status-completed" in (p := browser.http.get(job).text) and p, 60)
        assert "Demo model" in done and done.count('class="idea"') == 2
        titles = re.findall(r"<h3>(.*?)</h3>", done)
        assert titles and all(ord(c) < 0x2E80 for t in titles for c in t), titles  # TikTok
        browser.http.close()
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(30)
        server.stop()
    time.sleep(0.5)
    assert [pid for pid in workers if alive(pid)] == []


@pytest.mark.slow
def test_the_demo_model_writes_a_series_and_its_check_finds_a_planted_contradiction(tmp_path):
    """From a brainstorm to checked episodes with nothing but `make run`'s default: the demo
    writes every step in the outline's language with the bible's names; an age a writer
    changes in one episode is found by the check, with its line."""
    port = free_port()
    env = {"INSTANCE_PATH": str(tmp_path), "PORT": str(port), "WORKERS": "1"}
    env |= {"DEMO_TOKEN_DELAY_MS": "0", "DATABASE_URL": "", "REDIS_URL": "", "LLM_API_KEY": ""}
    server = Process(python("app.py"), env, "is running at", timeout=60)
    try:
        web = Web(f"http://127.0.0.1:{port}").signup("mei")
        csrf = {"X-CSRFToken": web.csrf("/projects/")}

        def post(path: str, body: dict) -> dict:
            answer = web.http.post(path, json=body, headers=csrf)
            assert answer.status_code == 202, answer.text
            return answer.json()

        def done(path: str) -> dict:
            ended = ("completed", "failed", "cancelled")
            found = wait_for(lambda: (b := web.http.get(path).json())["status"] in ended and b, 120)
            assert found["status"] == "completed", found
            return found

        project = web.http.post("/api/projects", json={"name": "Demo"}, headers=csrf).json()
        project = project["projectId"]
        params = {"platform": "douyin", "genrePaths": [["女频", "爱情", "甜宠"]]}
        params |= {"genreProportions": [100], "requirements": "", "numIdeas": 1}
        ideas = post("/api/brainstorm/start", {"projectId": project, "params": params})
        idea = done(f"/api/ideations/{ideas['ideationRunId']}")["ideas"][0]
        body = {"projectId": project, "sourceArtifactId": idea["artifactId"]}
        outline = post("/api/outlines/start", {**body, "params": {"episodeCount": 10}})
        outline = done(f"/api/outlines/{outline['outlineId']}")
        from_outline = {"projectId": project, "outlineArtifactId": outline["artifactId"]}
        bible = done(f"/api/bibles/{post('/api/bibles/start', from_outline)['bibleId']}")
        names = {c["name"] for c in bible["characters"]}
        assert names == {c["name"] for c in outline["components"]["characters"]}
        started = post("/api/scripts/start", {**from_outline, "episodes": "1-3"})
        script = done(f"/api/scripts/{started['scriptId']}")
        assert [e["number"] for e in script["episodes"]] == [1, 2, 3]
        for episode in script["episodes"]:
            spoken = {
                e["character"]
                for scene in episode["scenes"]
                for e in scene["elements"]
                if e.get("character")
            }
            assert spoken and spoken <= names, (spoken, names)
            assert re.search(r"[\u4e00-\u9fff]", episode["scenes"][0]["elements"][0]["text"])

        clean = post("/api/consistency/start", from_outline)
        assert done(f"/api/consistency/{clean['checkId']}")["issues"] == []

        lead = bible["characters"][0]
        second = script["episodes"][1]
        line = f"我{lead['name']}今年九十九岁了。"
        first_scene = {
            **second["scenes"][0],
            "elements": [
                *second["scenes"][0]["elements"],
                {"type": "dialogue", "character": lead["name"], "text": line},
            ],
        }
        data = {
            "number": 2,
            "title": second["title"],
            "scenes": [first_scene, *second["scenes"][1:]],
        }
        edited = web.http.post(
            f"/api/artifacts/{second['artifactId']}/edit", json={"data": data}, headers=csrf
        )
        assert edited.status_code == 201, edited.text
        planted = post("/api/consistency/start", from_outline)
        issues = done(f"/api/consistency/{planted['checkId']}")["issues"]
        assert any(2 in i["episodes"] and line in i["quotes"] for i in issues), issues
        web.http.close()
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(30)
        server.stop()
