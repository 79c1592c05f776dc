"""A web process restarts under open streams; old chunks are compacted; pages stay the same."""

import re
import signal
import threading
import time

import httpx2
import pytest
from conftest import free_port
from sqlalchemy import func, select
from support import Process, events, ideas_json, python, wait_for

from app.extensions import db
from app.jobs.models import TransformChunk

IDEAS = [("Alpha", "First body."), ("Beta", "Second body."), ("Gamma", "Third body.")]
PARAMS = {"platform": "douyin", "genrePaths": [["女频", "爱情", "甜宠"]], "genreProportions": [100]}


def web_only(settings: dict[str, str], port: int) -> Process:
    """A web process without workers (the session server's workers run the jobs)."""
    env = {**settings, "PORT": str(port), "WORKERS": "0"}
    return Process(python("app.py"), env, "is running at", timeout=60)


class Follower(threading.Thread):
    """Reads the JSON stream like a browser would: reconnects with Last-Event-ID."""

    def __init__(self, base: str, headers: dict[str, str], job_id: int) -> None:
        super().__init__(daemon=True)
        self.base, self.headers, self.job_id = base, headers, job_id
        self.chunks: list[dict] = []
        self.last_id: str | None = None
        self.connections = 0
        self.reconnected_at: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            headers = dict(self.headers)
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                with httpx2.Client(base_url=self.base, timeout=30) as http:
                    url = f"/api/streaming/transform/{self.job_id}"
                    with http.stream("GET", url, headers=headers) as response:
                        if response.headers["content-type"].startswith("application/json"):
                            self.done.set()
                            return
                        self.connections += 1
                        for event in events(response):
                            if event.event == "chunk":
                                if self.connections > 1 and self.reconnected_at is None:
                                    self.reconnected_at = time.monotonic()
                                self.chunks.append(event.json())
                            if event.id:
                                self.last_id = event.id
                            if event.event == "done":
                                self.done.set()
                                return
            except httpx2.TransportError:
                pass
            time.sleep(0.2)


@pytest.mark.slow
def test_streams_survive_a_web_restart_without_gap_or_repeat(settings, server, make_user, provider):
    account = make_user()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = web_only(settings, port)
    try:
        content = ideas_json(IDEAS)
        provider.script("restart", content, token_chars=1, delay_ms=30)  # ~10 s
        with httpx2.Client(base_url=base, headers=account.bearer) as http:
            project = http.post("/api/projects", json={"name": "R"}).json()["projectId"]
            params = {**PARAMS, "requirements": "[[script:restart]]", "numIdeas": 3}
            job_id = http.post(
                "/api/brainstorm/start", json={"projectId": project, "params": params}
            ).json()["transformId"]
        follower = Follower(base, account.bearer, job_id)
        follower.start()
        wait_for(lambda: len(follower.chunks) >= 5)
        web.proc.send_signal(signal.SIGTERM)  # a deploy: the stream ends with a retry hint
        web.proc.wait(20)
        web.stop()
        stopped = time.monotonic()
        web = web_only(settings, port)
        assert follower.done.wait(60), "the client never finished"
        assert follower.connections >= 2
        recovered = (follower.reconnected_at or time.monotonic()) - stopped
        print(f"\nweb restart → live again in {recovered * 1000:.0f} ms")
        with httpx2.Client(base_url=server.url, headers=account.bearer) as http:
            job = wait_for(
                lambda: (j := http.get(f"/api/jobs/{job_id}").json())["status"] == "completed" and j
            )
        seqs = [c["seq"] for c in follower.chunks]
        assert seqs == list(range(1, len(seqs) + 1))
        assert "".join(c["text"] for c in follower.chunks) == content
        assert "".join(c["text"] for c in job["chunks"]) == content
    finally:
        web.stop()


def test_compaction_folds_chunks_and_pages_look_the_same(server, web, make_user, provider, app):
    account = make_user()
    content = ideas_json(IDEAS)
    provider.script("compact", content, token_chars=3, delay_ms=2)
    browser = web().login(account)
    with httpx2.Client(base_url=server.url, headers=account.bearer) as http:
        project = http.post("/api/projects", json={"name": "C"}).json()["projectId"]
        params = {**PARAMS, "requirements": "[[script:compact]]", "numIdeas": 3}
        job_id = http.post(
            "/api/brainstorm/start", json={"projectId": project, "params": params}
        ).json()["transformId"]
        before = wait_for(
            lambda: (j := http.get(f"/api/jobs/{job_id}").json())["status"] == "completed" and j
        )
        page_before = browser.http.get(f"/jobs/{job_id}").text
        result = app.test_cli_runner().invoke(args=["jobs", "compact", "--hours", "0"])
        assert result.exit_code == 0 and "compacted 1" in result.output
        with app.app_context():
            assert db.session.scalar(select(func.count(TransformChunk.id))) == 0
        after = http.get(f"/api/jobs/{job_id}").json()
        page_after = browser.http.get(f"/jobs/{job_id}").text
    assert "".join(c["text"] for c in after["chunks"]) == "".join(
        c["text"] for c in before["chunks"]
    )
    assert after["results"] == before["results"]
    # The same page, but for its CSRF tokens (signed with the time, to the second).
    tokens = re.compile(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+')
    assert tokens.sub(r"\1…", page_after) == tokens.sub(r"\1…", page_before)
