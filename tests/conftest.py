"""Fixtures: a real database and Redis, the fake provider, the app, and a live server."""

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis
from cluster import Cluster, RedisServer, Store
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from support import (
    ROOT,
    Account,
    Process,
    Provider,
    Web,
    busy_slots,
    create_account,
    empty_tables,
    is_postgres,
    keep_jobs_from_workers,
    python,
    share_queue,
    wait_for,
)

from app import create_app
from app.config import database_url as map_database_url
from app.embedded import EmbeddedRedis
from app.extensions import db
from app.jobs.queue import QUEUE_NAMES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """TEST_REDIS_URL, or an embedded redis-server for this run."""
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


def _reset_schema(url: str) -> None:
    engine = create_engine(map_database_url(url, ""))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL (emptied), or a fresh SQLite file; migrated to the latest schema."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_schema(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'script_writer.db'}"
    return url


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    """The local OpenAI-compatible server the app talks to."""
    process = Process(python("tests/fake_provider.py") + ["--port", "0"], {}, "READY")
    provider = Provider(process.ready_line.split()[1])
    yield provider
    provider.http.close()
    process.stop()


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str, provider: Provider) -> dict[str, str]:
    """The environment every process of a test run gets."""
    values = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "LLM_API_KEY": "test-key",
        "LLM_BASE_URL": provider.url + "/v1",
        "LLM_MODEL": "fake-model",
        "RATELIMIT_LOGIN": "1000 per minute",
        "RATELIMIT_JOBS": "1000 per minute",
        "LEASE_SECONDS": "30",
        # Faults are tested with quick retries and a quick sweeper.
        "SWEEP_SECONDS": "0.5",
        "RETRY_BASE_SECONDS": "0.2",
        "RETRY_MAX_SECONDS": "2",
        "STALL_SECONDS": "3",
        # Research polls its background response often, and the demo's runs are short.
        "RESEARCH_POLL_SECONDS": "0.5",
        "DEMO_RESEARCH_SECONDS": "4",
        # The machinery's own tests run the test-only echo kinds.
        "EXTRA_JOB_KINDS": "tests.echo:ECHO,tests.echo:ECHO_LONG",
    }
    from flask_migrate import upgrade

    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return values


@pytest.fixture
def app(
    settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """The app, configured like the servers, on an emptied database. What it queues, the
    session's live workers (which share the database) never see: a test's jobs stay as it
    left them."""
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    app = create_app({"TESTING": True})
    with app.app_context():
        _empty(app)
    keep_jobs_from_workers(app, request)  # unless the test runs the live server (`server`)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    client = app.extensions.pop("redis_client", None)
    if client is not None:  # pages read Redis too (the story graph's cache)
        client.close()


def _empty(app: Flask) -> None:
    """Delete every row and the queue, so each test starts from nothing."""
    empty_tables()
    with redis.Redis.from_url(app.config["REDIS_URL"]) as client:
        for name in QUEUE_NAMES.values():
            client.delete(f"rq:queue:{name}")
        for key in client.scan_iter("LIMITS*"):
            client.delete(key)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Account]:
    """Create accounts (with an API token) straight in the database."""
    return lambda username="writer", password="correct horse": create_account(
        app, username, password
    )


class Auth:
    """Sign a Flask test client in and out."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        from support import CSRF

        match = CSRF.search(self.client.get(path).get_data(as_text=True))
        assert match
        return match.group(1) or match.group(2)

    def login(self, account: Account) -> None:
        response = self.client.post(
            "/login",
            data={
                "csrf_token": self.csrf(),
                "username": account.username,
                "password": account.password,
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@dataclass
class Server:
    url: str
    process: Process
    redis_url: str


@pytest.fixture(scope="session")
def live_server(settings: dict[str, str], provider: Provider) -> Iterator[Server]:
    """python app.py with two real worker processes, as `make run` starts it."""
    port = free_port()
    env = {**settings, "PORT": str(port), "WORKERS": "2", "LOG_LEVEL": "WARNING"}
    process = Process(python("app.py"), env, "is running at", timeout=60)
    yield Server(f"http://127.0.0.1:{port}", process, settings["REDIS_URL"])
    process.stop()


@pytest.fixture
def server(live_server: Server, app: Flask, provider: Provider) -> Iterator[Server]:
    """The live server, with the database emptied and no job left running from a test before;
    the app queues where its workers look."""
    share_queue(app, live_server.redis_url)
    provider.reset()
    yield live_server
    provider.reset()  # releases paused streams, so workers finish (fenced out) quickly
    wait_for(lambda: busy_slots(app) == 0, timeout=30)


@pytest.fixture
def web(server: Server) -> Iterator[Callable[[], Web]]:
    """New browser-like sessions against the live server."""
    sessions: list[Web] = []

    def open_session() -> Web:
        sessions.append(Web(server.url))
        return sessions[-1]

    yield open_session
    for session in sessions:
        session.http.close()


@pytest.fixture
def api(server: Server) -> Iterator[Callable[[Account], httpx2.Client]]:
    """JSON API clients for an account, against the live server."""
    clients: list[httpx2.Client] = []

    def open_client(account: Account) -> httpx2.Client:
        clients.append(httpx2.Client(base_url=server.url, headers=account.bearer, timeout=15))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


CHROMIUM = Path("/usr/bin/chromium")
# The machine has no outside network: keep Chromium from trying.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium (session-wide, and set up first, so a skip costs no server start)."""
    if not CHROMIUM.exists():
        message = "Chromium not found at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pytest_report_header() -> list[str]:
    return [
        f"database: {os.environ.get('TEST_DATABASE_URL') or 'SQLite (embedded default)'}",
        f"redis: {os.environ.get('TEST_REDIS_URL') or 'embedded redis-server'}",
    ]


# ---- clusters of their own (the fault suites: tests/cluster.py)


@pytest.fixture(scope="module")
def cluster_db(settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this module only: the session's live server has sweepers of its own,
    which would otherwise take these tests' jobs into another Redis and its workers."""
    url = settings["DATABASE_URL"]
    admin = None
    if is_postgres(url):
        base = make_url(map_database_url(url, ""))
        name = f"{base.database}_faults"
        admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'faults.db'}"
    from flask_migrate import upgrade

    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**settings, "DATABASE_URL": url}.items():
            patch.setenv(key, value)
        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()
    yield url
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(
    settings: dict[str, str], cluster_db: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """Reading the module's database, emptied before each test."""
    for key, value in {**settings, "DATABASE_URL": cluster_db}.items():
        monkeypatch.setenv(key, value)
    app = create_app({"TESTING": True})
    with app.app_context():
        empty_tables()
        db.session.remove()
    yield Store(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def cluster(settings: dict[str, str], cluster_db: str, store: Store, provider) -> Iterator[Cluster]:
    """A Redis of this test, and the web servers and workers it starts; all stopped after."""
    provider.reset()
    server = RedisServer()
    server.start()
    cluster = Cluster({**settings, "DATABASE_URL": cluster_db}, server)
    try:
        yield cluster
    finally:
        provider.reset()  # paused streams end
        cluster.close()
