"""`/healthz` answers while the process runs, whatever else is down; `/readyz` says whether the
app can serve — database, migrations, Redis — and names what fails, to anyone, nothing more."""

from pathlib import Path

from flask_migrate import upgrade
from support import ROOT

from app import create_app
from app.extensions import db


def test_ready_when_everything_is(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"database": "ok", "redis": "ok", "migrations": "ok"}


def test_redis_stopped_is_named_and_health_still_answers(app, monkeypatch):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("redis_client", None)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["redis"] == "unreachable" and ready.json["database"] == "ok"
    assert ready.json["error"] == "not ready: redis"


def test_a_pending_migration_and_a_missing_database_are_named(
    settings, tmp_path: Path, monkeypatch
):
    behind = tmp_path / "behind.db"
    for key, value in {**settings, "DATABASE_URL": f"sqlite:///{behind}"}.items():
        monkeypatch.setenv(key, value)
    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="0007")
        db.engine.dispose()
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["migrations"] == "pending"
    assert ready.json["database"] == "ok" and "migrations" in ready.json["error"]

    gone = tmp_path / "no such folder" / "x.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{gone}")
    app = create_app({"TESTING": True})
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["database"] == "unreachable"
    assert "test-secret-key" not in ready.get_data(as_text=True)
