"""Group commit: one thread per worker process writes the flushes of all its attempts, as many
as are waiting in one transaction, each still fenced by its own job's lease epoch; then one
Redis pipeline announces them all. An attempt hands its flush over and waits for the answer
(its row as written, or FencedOut), so a flush costs a share of a commit, not a commit, and
the number of commits no longer grows with the number of attempts."""

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from app.artifacts.models import Artifact, TransformOutput
from app.clock import utcnow
from app.extensions import begin_write, db
from app.jobs.events import announce_all
from app.jobs.models import Transform, TransformChunk
from app.jobs.outcomes import FencedOut

log = logging.getLogger(__name__)
BATCH = 200  # flushes in one transaction at the most
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # a lost connection (the database restarted)
T = TypeVar("T")


@dataclass
class Emit:
    role: str
    type: str
    data: dict[str, Any]
    key: str
    position: int
    # A document that grows (ctx.put): "new" stores it, "replace" rewrites its data; None:
    # a result stored once (ctx.emit).
    document: str | None = None
    done: bool = True  # a document still being written is "streaming"


@dataclass
class Flush:
    """One attempt's write: its job's columns, results and a chunk of text."""

    job: int
    epoch: int
    attempt: int
    project_id: int
    user_id: int
    lease: timedelta
    values: dict[str, Any]
    text: str | None = None
    emits: list[Emit] = field(default_factory=list)
    shown: bool = True  # does the job's visible state change (not just its text)
    done: Future = field(default_factory=Future)


def retried(write: Callable[[], T]) -> T:
    """Run a write transaction, again after a lost connection (the DB may have restarted)."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return write()
        except (OperationalError, InterfaceError):
            db.session.rollback()
            if delay is None:
                raise
            log.warning("database write failed; retrying in %ss", delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


class GroupWriter:
    """The writing thread of a process (started on first use)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.inbox: queue.Queue[Flush] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, flush: Flush) -> Transform:
        """Write the flush with whatever else waits; its row, or FencedOut."""
        self._ensure_running()
        self.inbox.put(flush)
        return flush.done.result()

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="writer")
                self._thread.start()

    def _run(self) -> None:
        with self.app.app_context():
            while True:
                batch = [self.inbox.get()]
                while len(batch) < BATCH:
                    try:
                        batch.append(self.inbox.get_nowait())
                    except queue.Empty:
                        break
                try:
                    written = self._write_batch(batch)
                except Exception as error:  # noqa: BLE001 - handed to the waiting attempts
                    for flush in batch:
                        if not flush.done.done():
                            flush.done.set_exception(error)
                    continue
                finally:
                    db.session.remove()
                try:
                    announce_all([(row, f.text or "", f.shown) for f, row in written])
                except Exception:  # the rows are written: pages catch up from the database
                    log.exception("announcing %d written flushes failed", len(written))
                for flush, row in written:
                    flush.done.set_result(row)

    def _write_batch(self, batch: list[Flush]) -> list[tuple[Flush, Transform]]:
        """All in one transaction, retried while the connection is lost (the database
        restarted); if it fails otherwise, each flush alone, so one attempt's bad write
        fails that attempt only."""
        try:
            return retried(lambda: self._transaction(batch))
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            db.session.rollback()
            if len(batch) == 1 and not isinstance(error, IntegrityError):
                raise
            return [pair for flush in batch if (pair := self._alone(flush)) is not None]

    def _alone(self, flush: Flush) -> tuple[Flush, Transform] | None:
        """The flush in a transaction of its own; None when it failed (its future holds why)."""
        try:
            return self._transaction([flush])[0]
        except IndexError:
            return None  # fenced out
        except Exception as error:  # noqa: BLE001 - handed to the waiting attempt
            db.session.rollback()
            if isinstance(error, IntegrityError) and self._was_written(flush):
                row = db.session.get(Transform, flush.job, populate_existing=True)
                assert row is not None
                db.session.expunge(row)
                return flush, row
            flush.done.set_exception(error)
            return None

    def _was_written(self, flush: Flush) -> bool:
        """Whether a commit lost with its connection had stored this flush after all."""
        if flush.text and not db.session.scalar(
            select(TransformChunk.id).filter_by(
                transform_id=flush.job, attempt=flush.attempt, seq=flush.values["last_seq"]
            )
        ):
            return False
        keys = {emit.key for emit in flush.emits}
        stored = db.session.scalars(
            select(TransformOutput.key).where(
                TransformOutput.transform_id == flush.job, TransformOutput.key.in_(keys)
            )
        )
        return keys <= set(stored)

    def _transaction(self, batch: list[Flush]) -> list[tuple[Flush, Transform]]:
        begin_write()
        now = utcnow()
        rows = self._fenced(batch, now)
        written, chunks = [], []
        for flush in batch:
            row = rows.get(flush.job)
            if row is None or row.lease_epoch != flush.epoch or row.updated_at != now:
                continue  # fenced out: cancelled, taken over, or no longer running
            for emit in flush.emits:
                if emit.document == "replace":
                    stored = select(TransformOutput.artifact_id).where(
                        TransformOutput.transform_id == flush.job, TransformOutput.key == emit.key
                    )
                    db.session.execute(
                        update(Artifact)
                        .where(Artifact.id == stored.scalar_subquery())
                        .values(data=emit.data, streaming_status=_streaming(emit), updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    continue
                artifact_id = db.session.execute(
                    insert(Artifact)
                    .values(
                        project_id=flush.project_id,
                        type=emit.type,
                        data=emit.data,
                        streaming_status=_streaming(emit),
                        created_by=flush.user_id,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(Artifact.id)
                ).scalar_one()
                db.session.execute(
                    insert(TransformOutput).values(
                        transform_id=flush.job,
                        artifact_id=artifact_id,
                        role=emit.role,
                        position=emit.position,
                        attempt=flush.attempt,
                        key=emit.key,
                    )
                )
            if flush.text:
                chunks.append(
                    {
                        "transform_id": flush.job,
                        "attempt": flush.attempt,
                        "seq": flush.values["last_seq"],
                        "text": flush.text,
                        "created_at": now,
                    }
                )
            written.append((flush, row))
        if chunks:
            db.session.execute(insert(TransformChunk), chunks)
        db.session.commit()
        for flush in batch:
            if not any(f is flush for f, _row in written) and not flush.done.done():
                flush.done.set_exception(FencedOut())
        return written

    def _fenced(self, batch: list[Flush], now: Any) -> dict[int, Transform]:
        """Each job's row updated if its attempt still holds it (renewing its lease): one
        statement per shape of update, run for all its flushes at once; then the rows, read
        in one query (an update that took is the one that set `updated_at` to `now` under the
        flush's epoch)."""
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for flush in batch:
            values = {**flush.values, "updated_at": now}
            if "status" not in flush.values:
                values["lease_expires_at"] = now + flush.lease
            shapes.setdefault(tuple(sorted(values)), []).append(
                {**values, "_job": flush.job, "_epoch": flush.epoch}
            )
        table = Transform.__table__
        for columns, params in shapes.items():
            db.session.execute(
                update(table)
                .where(
                    table.c.id == bindparam("_job"),
                    table.c.lease_epoch == bindparam("_epoch"),
                    table.c.status == "running",
                )
                .values({name: bindparam(name, type_=table.c[name].type) for name in columns}),
                params,
            )
        found = db.session.scalars(
            select(Transform)
            .where(Transform.id.in_([flush.job for flush in batch]))
            .execution_options(populate_existing=True)
        ).all()
        for row in found:
            db.session.expunge(row)  # a snapshot: announcing it must not read it again
        return {row.id: row for row in found}


def _streaming(emit: Emit) -> str:
    return "completed" if emit.done else "streaming"


def writer_of(app: Flask) -> GroupWriter:
    """The process's writer for this app."""
    with _writers_lock:
        writer = app.extensions.get("job_writer")
        if writer is None:
            writer = app.extensions["job_writer"] = GroupWriter(app)
        return writer


_writers_lock = threading.Lock()
