"""The Flask extensions, created unbound and initialised by create_app."""

import threading
from typing import Any

import redis
from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import JSON, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, a busy timeout and our own BEGIN on SQLite connections."""
    if type(dbapi_connection).__module__.split(".")[0] != "sqlite3":
        return
    # pysqlite's implicit transactions are replaced by the "begin" hook below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# One SQLite writer per process at a time. Under gevent a greenlet waiting in SQLite's busy
# handler blocks the whole hub, so the greenlet holding the lock could never commit; queueing
# on a cooperative lock first leaves SQLite's own wait for other processes (a few ms).
_sqlite_writer = threading.Lock()
WRITER_WAIT_SECONDS = 30


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """Writing units begin IMMEDIATE: a read snapshot that later writes fails at once instead
    of waiting, in WAL mode. Unsafe HTTP requests are writing units; workers say so."""
    if conn.dialect.name != "sqlite":
        return
    immediate = conn.get_execution_options().get("sqlite_immediate", False) or (
        has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    )
    if not immediate:
        conn.exec_driver_sql("BEGIN")
        return
    if not _sqlite_writer.acquire(timeout=WRITER_WAIT_SECONDS):
        raise TimeoutError("waited too long for the database's write lock")
    conn.info["sqlite_writer"] = True
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release_writer(conn.info)
        raise


def _release_writer(info: dict[str, Any]) -> None:
    if info.pop("sqlite_writer", False):
        _sqlite_writer.release()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(conn: Any) -> None:
    """The transaction ends: the next writer of this process may begin. (A connection the
    server killed has no info to read, and on PostgreSQL there is nothing to release.)"""
    if conn.dialect.name == "sqlite" and not conn.invalidated:
        _release_writer(conn.info)


@event.listens_for(Pool, "reset")
@event.listens_for(Pool, "invalidate")
def _sqlite_reset(_dbapi_connection: Any, record: Any, _detail: Any) -> None:
    """A connection handed back mid-transaction must not keep the writer's turn."""
    _release_writer(record.info)


def begin_write() -> None:
    """Start the session's transaction as a write (BEGIN IMMEDIATE on SQLite; PostgreSQL's
    row locks and read-committed snapshots need nothing)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    if db.session().in_transaction():
        # A read snapshot cannot be upgraded once another writer committed: start afresh.
        db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


def get_redis() -> redis.Redis:
    """The process's Redis client (a connection pool), created on first use."""
    client = current_app.extensions.get("redis_client")
    if client is None:
        client = redis.Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=2, health_check_interval=10
        )
        current_app.extensions["redis_client"] = client
    return client
