"""Migrations are the schema: they apply on this run's dialect, round-trip, and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from support import ROOT

from app.extensions import db

MIGRATIONS = str(ROOT / "migrations")


def test_autogenerate_finds_no_difference(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_migrations_round_trip(app):
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
        assert "transforms" not in inspect(db.engine).get_table_names()
        upgrade(directory=MIGRATIONS)
        tables = set(inspect(db.engine).get_table_names())
    assert {"users", "transforms", "transform_chunks", "llm_prompts", "llm_transforms"} <= tables


def test_one_active_job_index_is_partial(app):
    with app.app_context():
        indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("transforms")}
    assert indexes["uq_transforms_one_active"]["unique"]
