"""Backoff, retries per kind, and the sweeper's command."""

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import update
from support import ROOT, create_account

from app import create_app
from app.auth.models import User
from app.brainstorm.kind import BRAINSTORM
from app.clock import utcnow
from app.embedded import EmbeddedRedis
from app.extensions import db
from app.jobs.lifecycle import backoff, max_retries
from app.jobs.models import Transform
from app.jobs.queue import queued
from app.jobs.starting import start_job
from app.projects.domain import create_project


def record_job(user_id: int, project_name: str):  # noqa: ANN201 - a Started
    """A brainstorm recorded and committed, as the start path does before it enqueues."""
    user = db.session.get(User, user_id)
    project = create_project(user, project_name)
    params = BRAINSTORM.params.model_validate(
        {
            "platform": "douyin",
            "genrePaths": [["女频", "爱情", "甜宠"]],
            "genreProportions": [100],
            "numIdeas": 1,
        }
    )
    started = start_job(BRAINSTORM, project.id, user.id, params, None)
    db.session.commit()
    return started


def test_backoff_grows_is_capped_jittered_and_honours_retry_after(app):
    with app.app_context():  # RETRY_BASE_SECONDS=0.2, RETRY_MAX_SECONDS=2 in the tests
        for retry in range(6):
            delays = [backoff(retry) for _ in range(50)]
            expected = min(2.0, 0.2 * 2**retry)
            assert all(expected / 2 <= d <= expected for d in delays)
            assert len(set(delays)) > 1  # jittered
        assert backoff(0, retry_after=7) >= 7


def test_retries_are_configurable_per_kind(app, make_user, monkeypatch):
    account = make_user()
    monkeypatch.setenv("MAX_RETRIES_BRAINSTORM", "5")
    tuned = create_app({"TESTING": True})
    with tuned.app_context():
        assert max_retries("brainstorm", 2) == 5
        started = record_job(account.id, "P")
        assert started.transform.max_retries == 5
        db.session.remove()
        db.engine.dispose()
    with app.app_context():
        assert max_retries("brainstorm", 2) == 2


@pytest.fixture
def private(tmp_path, monkeypatch):
    """A Redis and a database of this test's own: no other sweeper or worker reads them."""
    server = EmbeddedRedis(tmp_path / "redis")
    monkeypatch.setenv("REDIS_URL", server.start())
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'own.db'}")
    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        db.engine.dispose()
    server.stop()


def test_the_sweep_command_requeues_a_job_whose_queue_entry_was_lost(private):
    swept = private
    account = create_account(swept, "lost")
    with swept.app_context():
        job = record_job(account.id, "Lost").transform  # committed, never enqueued
        db.session.execute(
            update(Transform)
            .where(Transform.id == job.id)
            .values(updated_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        assert not queued(job)
        result = swept.test_cli_runner().invoke(args=["jobs", "sweep"])
        assert result.exit_code == 0 and "'enqueued': 1" in result.output, result.output
        assert queued(job)
