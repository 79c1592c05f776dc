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
