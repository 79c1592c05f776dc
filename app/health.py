"""Health checks for load balancers and orchestrators, open to anyone and cheap: `/healthz`
says the process answers (nothing else is touched); `/readyz` says whether it can serve —
the database reachable and at the latest migration, Redis reachable — as JSON, 503 naming
what fails. Neither says more than "ok" or a short reason: no settings, no secrets."""

from functools import cache
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy import text

from app.extensions import db, get_redis

bp = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database() -> tuple[str, str]:
    """(database, migrations): "ok", or why not."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:  # noqa: BLE001 - any failure is "not ready", named below
        return "unreachable", "unknown"
    finally:
        db.session.remove()
    return "ok", "ok" if current == _heads() else "pending"


@cache
def _heads() -> frozenset[str]:
    """The latest migrations this code knows (read from their files once per process)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _redis() -> str:
    try:
        get_redis().ping()
    except Exception:  # noqa: BLE001 - any failure is "not ready"
        return "unreachable"
    return "ok"


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    database, migrations = _database()
    checks = {"database": database, "redis": _redis(), "migrations": migrations}
    failing = [name for name, state in checks.items() if state != "ok"]
    if failing:
        current_app.logger.warning("not ready: %s", ", ".join(f"{n} {checks[n]}" for n in failing))
        return {**checks, "error": f"not ready: {', '.join(failing)}"}, 503
    return checks, 200
