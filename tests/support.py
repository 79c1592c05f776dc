"""Helpers shared by the tests: processes, HTTP sessions, SSE parsing, waiting."""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from flask import Flask
from sqlalchemy import text

from app.auth.models import ApiToken, User
from app.extensions import db

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def wait_for(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> Any:
    """Poll until check() is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s (last value: {value!r})")


class Process:
    """A subprocess that announces readiness on stdout."""

    def __init__(
        self, args: list[str], env: dict[str, str], ready: str, timeout: float = 30
    ) -> None:
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if ready in line:
                self.ready_line = line.strip()
                self._drain()
                return
        self.stop()
        raise RuntimeError(f"{args} did not become ready:\n{''.join(self.lines[-40:])}")

    def _drain(self) -> None:
        """Keep reading output so the child never blocks on a full pipe."""
        import threading

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)

        threading.Thread(target=pump, daemon=True).start()

    def stop(self, sig: int = 15, timeout: float = 20) -> None:
        """Signal the whole process group, wait, and close the pipe."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        if self.proc.stdout is not None and sig in (9, 15):
            self.proc.stdout.close()

    def output(self) -> str:
        return "".join(self.lines)


def python(script: str) -> list[str]:
    """A command running one of the project's scripts with this interpreter."""
    return [sys.executable, str(ROOT / script)]


class Provider:
    """Control of the fake OpenAI-compatible server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx2.Client(base_url=url, timeout=10)

    def script(self, name: str, content: str, **options: Any) -> list[str]:
        """Register what the model says for requests marked [[script:name]]."""
        response = self.http.post(  # ASCII JSON: a model's text may hold a lone surrogate
            "/_control/scripts",
            content=json.dumps({"name": name, "content": content, **options}),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
        return response.json()["tokens"]

    def release(self, name: str) -> None:
        assert self.http.post(f"/_control/scripts/{name}/release").status_code == 200

    def requests(self, name: str | None = None) -> list[dict[str, Any]]:
        params = {"script": name} if name else {}
        return self.http.get("/_control/requests", params=params).json()

    def asked(self, name: str) -> list[dict[str, Any]]:
        """The params each request of the script carried (its last message's <params>)."""
        prompts = [r["body"]["messages"][-1]["content"] for r in self.requests(name)]
        return [json.loads(p.split("<params>")[1].split("</params>")[0]) for p in prompts]

    def sent(self, name: str) -> list[dict[str, Any]]:
        return self.http.get("/_control/sent", params={"script": name}).json()

    def active(self) -> int:
        return self.http.get("/_control/active").json()

    def responses(self, name: str | None = None) -> list[dict[str, Any]]:
        """The Responses API responses created (one per create), of the script if named."""
        params = {"script": name} if name else {}
        return self.http.get("/_control/responses", params=params).json()

    def configure(self, **config: Any) -> dict[str, Any]:
        """Change the server's settings at run time (stream_again_seconds=...)."""
        response = self.http.post("/_control/config", json=config)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> None:
        self.http.delete("/_control/scripts")
        self.http.delete("/_control/requests")
        self.http.delete("/_control/sent")
        self.http.delete("/_control/responses")  # their open streams end
        self.configure(stream_again_seconds=300)


def ideas_json(ideas: list[tuple[str, str]]) -> str:
    """A model answer in the brainstorm format, pretty-printed like real models do."""
    return json.dumps(
        {"ideas": [{"title": t, "body": b} for t, b in ideas]}, ensure_ascii=False, indent=2
    )


class Web:
    """A signed-in browser-like HTTP session against a running server."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx2.Client(base_url=base_url, timeout=15, follow_redirects=False)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        match = CSRF.search(page.text)
        assert match, f"no CSRF token on {path}: {page.status_code}"
        return match.group(1) or match.group(2)

    def post_form(
        self, path: str, data: dict[str, Any], form_path: str | None = None
    ) -> httpx2.Response:
        token = self.csrf(form_path or path)
        return self.http.post(path, data={"csrf_token": token, **data})

    def login(self, account: Any) -> "Web":
        """Sign in through the real form."""
        data = {"username": account.username, "password": account.password}
        response = self.post_form("/login", data)
        assert response.status_code == 303, response.text
        return self

    def signup(self, username: str, password: str = "correct horse") -> "Web":
        response = self.post_form(
            "/signup", {"username": username, "password": password, "confirm": password}
        )
        assert response.status_code == 303, response.text
        return self


@dataclass
class Event:
    event: str
    id: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def events(response: httpx2.Response) -> Iterator[Event]:
    """Server-sent events from a streaming response (comments skipped)."""
    name, event_id, data = "message", None, []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield Event(name, event_id, "\n".join(data))
            name, event_id, data = "message", None, []
        elif line.startswith(":"):
            continue
        else:
            field, _sep, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "id":
                event_id = value
            elif field == "data":
                data.append(value)


@dataclass
class Account:
    id: int
    username: str
    password: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_account(
    app: Flask, username: str = "writer", password: str = "correct horse"
) -> Account:
    """An account with an API token, created straight in the database."""
    with app.app_context():
        user = User(username=username)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        token, secret = ApiToken.issue(user, "tests")
        db.session.add(token)
        db.session.commit()
        account = Account(user.id, username, password, secret)
        db.session.remove()
        return account


def empty_tables() -> None:
    """Delete every row (in the app context's database). A live server's worker may still be
    writing (a sweep, a job a test left): if the database picks this as a deadlock's victim,
    or the SQLite file is busy, it is done again."""
    from sqlalchemy.exc import OperationalError

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    for delay in (0.1, 0.3, 1.0, None):
        try:
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(tables)
                db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    db.session.execute(text(f"DELETE FROM {table}"))
            db.session.commit()
            return
        except OperationalError:
            db.session.rollback()
            if delay is None:
                raise
            time.sleep(delay)


def queue_of_its_own(redis_url: str) -> str:
    """The same Redis server, another database: the workers of a live server (which share the
    test database) never see what is queued there, so jobs stay as a test left them."""
    from urllib.parse import urlsplit, urlunsplit

    import redis

    db_number = int(redis.Redis.from_url(redis_url).connection_pool.connection_kwargs.get("db", 0))
    url = urlsplit(redis_url)
    if url.scheme == "unix":
        return f"unix://{url.path}?db={db_number + 8}"
    return urlunsplit(url._replace(path=f"/{db_number + 8}"))


def keep_jobs_from_workers(app: Flask, request: Any) -> None:
    """Queue what this app starts where no live server's worker looks (jobs stay as the test
    left them); that queue is emptied after."""
    import redis

    own = queue_of_its_own(app.config["REDIS_URL"])
    _use_queue(app, own)

    def empty() -> None:
        with redis.Redis.from_url(own) as client:
            client.flushdb()
        _use_queue(app, None)

    request.addfinalizer(empty)


def share_queue(app: Flask, redis_url: str) -> None:
    """Queue what this app starts where the live server's workers look."""
    _use_queue(app, redis_url)


def _use_queue(app: Flask, redis_url: str | None) -> None:
    old = app.extensions.pop("redis_client", None)
    if old is not None:
        old.close()
    if redis_url is not None:
        app.config["REDIS_URL"] = redis_url


def _reports(app: Flask) -> list[dict[str, Any]]:
    from app.jobs.worker import worker_reports

    with app.app_context():
        return worker_reports()


def busy_slots(app: Flask) -> int:
    """How many attempts the workers on this Redis run now (each reports its slots)."""
    return sum(sum(report["running"].values()) for report in _reports(app))


def slots_by_class(app: Flask) -> dict[str, int]:
    """Attempts the workers on this Redis run now, per class of slot ("short", "long")."""
    running: dict[str, int] = {}
    for report in _reports(app):
        for queue_class, count in report["running"].items():
            running[queue_class] = running.get(queue_class, 0) + count
    return running


def workers_reporting(app: Flask) -> int:
    """How many worker processes on this Redis report their slots (each does every second
    from the moment it takes jobs: a live server's workers start a while after its web)."""
    return len(_reports(app))


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def raw_responses(app: Flask, job_id: int) -> list[str]:
    """What each model call of a job answered, in order of the calls (as stored)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.jobs.models import LlmTransform

    with app.app_context():
        return list(
            db.session.scalars(
                select(LlmTransform.raw_response)
                .where(LlmTransform.transform_id == job_id)
                .order_by(LlmTransform.call)
            )
        )
