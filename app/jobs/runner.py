"""Running one attempt of a transform in a worker: claim, stream, flush, finish."""

import logging
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from app import llm
from app.artifacts.models import Artifact, TransformOutput
from app.clock import utcnow
from app.extensions import begin_write, db
from app.i18n import N_
from app.jobs import lifecycle
from app.jobs.events import announce
from app.jobs.kinds import JobKind, OutputError, kind_of
from app.jobs.models import RESULT_ROLE, LlmPrompt, LlmTransform, Transform, TransformChunk
from app.jobs.queue import enqueue
from app.jobs.reader import Reader
from app.jobs.state import params_of, results_of

log = logging.getLogger(__name__)
# Set by SIGTERM in the work horse (a deploy): hand the job back at the next flush.
stopping = threading.Event()
WAITING_AFTER = 2.0  # seconds of silence before the page says "waiting for the model"
TICK = 1.0  # how often a silent stream checks for a cancel and renews its lease
DB_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)


class FencedOut(Exception):
    """This attempt no longer owns the job (cancelled, or its lease was taken over)."""


class Stopping(Exception):
    """The worker is shutting down: the job goes back to the queue."""


def worker_name() -> str:
    """Who holds a lease: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _app() -> Flask:
    try:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        from app import create_app

        return create_app()


def run_transform(transform_id: int) -> None:
    """The RQ entry point: run the next attempt of a transform, if it is ours to run."""
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    app = _app()
    with app.app_context():
        # A forked work horse must not reuse its parent's database connections.
        db.engine.dispose(close=False)
        try:
            attempt = claim(transform_id, worker_name())
            if attempt is not None:
                Attempt(transform_id, attempt).run()
        finally:
            db.session.remove()


def claim(transform_id: int, owner: str) -> int | None:
    """Take the job if it is waiting and due: bump its attempt and take a lease."""
    now = utcnow()
    begin_write()
    attempt = db.session.execute(
        update(Transform)
        .where(
            Transform.id == transform_id,
            Transform.status.in_(("pending", "retrying")),
            (Transform.next_attempt_at.is_(None)) | (Transform.next_attempt_at <= now),
        )
        .values(
            status="running",
            attempt=Transform.attempt + 1,
            last_seq=0,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=current_app.config["LEASE_SECONDS"]),
            started_at=now,
            next_attempt_at=None,
            progress_message=N_("Waiting for the model…"),
            updated_at=now,
        )
        .returning(Transform.attempt)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    return attempt


def durably(transform_id: int, write: Callable[[], Transform]) -> Transform:
    """Run a write transaction, again after a lost connection (the DB may have restarted)."""
    for retry, delay in enumerate((*DB_RETRY_DELAYS, None)):
        try:
            return write()
        except IntegrityError:
            db.session.rollback()
            if retry == 0:
                raise
            # The lost connection had committed it after all.
            transform = db.session.get(Transform, transform_id, populate_existing=True)
            assert transform is not None
            return transform
        except (OperationalError, InterfaceError):
            db.session.rollback()
            if delay is None:
                raise
            log.warning("database write failed; retrying in %ss", delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


class Attempt:
    """One attempt: every write is fenced by (transform id, attempt number)."""

    def __init__(self, transform_id: int, attempt: int) -> None:
        self.id, self.attempt = transform_id, attempt
        self.config = current_app.config
        transform = db.session.get(Transform, transform_id)
        assert transform is not None
        self.project_id, self.user_id = transform.project_id, transform.created_by
        self.kind: JobKind = kind_of(transform.kind)
        self.params = params_of(transform_id)
        self.kept = results_of(transform_id)  # from earlier attempts: never asked for again
        self.target = self.kind.target(self.params)
        self.found: list[dict[str, Any]] = []  # this attempt's results, stored
        self.parsed = 0  # how many results of this attempt's text were looked at
        self.raw: list[str] = []
        self.seq = 0
        self.waiting = True  # the page says "waiting for the model"
        self.window = self.config["FLUSH_WINDOW_MS"] / 1000
        self.lease = timedelta(seconds=self.config["LEASE_SECONDS"])

    def _fenced(self, **values: Any) -> Transform:
        """Update the job if this attempt still owns it; renews the lease."""
        now = utcnow()
        # One round trip: the UPDATE returns the row it changed (none if fenced out).
        transform = db.session.execute(
            update(Transform)
            .where(
                Transform.id == self.id,
                Transform.attempt == self.attempt,
                Transform.status == "running",
            )
            .values(updated_at=now, lease_expires_at=now + self.lease, **values)
            .returning(Transform)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).scalar_one_or_none()
        if transform is None:
            db.session.rollback()
            raise FencedOut
        # A snapshot: the commit that follows would expire it, and announcing it would then
        # read the row again, outside `durably` (a connection lost there ended the attempt).
        db.session.expunge(transform)
        return transform

    def _progress(self, found: int, waiting: bool) -> dict[str, Any]:
        done = len(self.kept) + found
        message = N_("Waiting for the model…") if waiting else N_("Writing…")
        return {"progress": min(99, 100 * done // max(1, self.target)), "progress_message": message}

    def _new(self, parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Results not looked at yet, never more than the job still wants. A model asked for
        "the rest" after an earlier attempt kept some (a hand-back, a retry) may write one of
        those again: it is skipped, or the job would show that idea twice."""
        have = [{k: v for k, v in r.items() if k != "id"} for r in self.kept] + self.found
        new: list[dict[str, Any]] = []
        for result in parsed[self.parsed :]:
            if len(have) + len(new) >= self.target:
                break
            if result not in have and result not in new:
                new.append(result)
        return new

    def _store(self, results: list[dict[str, Any]]) -> None:
        for offset, data in enumerate(results):
            artifact = Artifact(
                project_id=self.project_id,
                type=self.kind.output_type,
                data=data,
                streaming_status="completed",
                created_by=self.user_id,
            )
            db.session.add(artifact)
            db.session.flush()
            position = len(self.kept) + len(self.found) + offset
            db.session.add(
                TransformOutput(
                    transform_id=self.id,
                    artifact_id=artifact.id,
                    role=RESULT_ROLE,
                    position=position,
                    attempt=self.attempt,
                )
            )

    def flush(self, text: str) -> None:
        """One transaction: the chunk, new results, progress and heartbeat; then one publish."""
        if stopping.is_set():
            raise Stopping
        seq = self.seq + 1
        parsed = self.kind.parse("".join(self.raw) + text, False)
        new = self._new(parsed)
        shown = bool(new) or self.waiting

        def write() -> Transform:
            begin_write()
            self._store(new)
            values = self._progress(len(self.found) + len(new), False) if shown else {}
            transform = self._fenced(last_seq=seq, **values)
            db.session.execute(
                insert(TransformChunk).values(
                    transform_id=self.id, attempt=self.attempt, seq=seq, text=text
                )
            )
            db.session.commit()
            return transform

        transform = durably(self.id, write)
        self.raw.append(text)
        self.seq, self.waiting = seq, False
        self.found += new
        self.parsed = len(parsed)
        announce(transform, text=text, state=shown)

    def tick(self, silent_for: float) -> None:
        """While the model is silent: renew the lease, notice a cancel, say we are waiting."""
        if stopping.is_set():
            raise Stopping
        values = {}
        if silent_for >= WAITING_AFTER and not self.waiting:
            values = self._progress(len(self.found), True)

        def write() -> Transform:
            begin_write()
            transform = self._fenced(**values)
            db.session.commit()
            return transform

        transform = durably(self.id, write)
        if values:
            self.waiting = True
            announce(transform)

    def run(self) -> None:
        """Record the prompt, stream the answer, and end the attempt in one state."""
        messages = self.kind.build_messages(self.params, self.kept)
        begin_write()
        transform = self._fenced()
        db.session.add(LlmPrompt(transform_id=self.id, attempt=self.attempt, messages=messages))
        db.session.add(
            LlmTransform(
                transform_id=self.id,
                attempt=self.attempt,
                model=llm.model_name(self.config),
                parameters={"temperature": self.kind.temperature},
            )
        )
        db.session.commit()
        announce(transform)
        if len(self.kept) >= self.target:  # an earlier attempt wrote everything
            return self._complete(None)
        reader = Reader(messages, self.config, self.kind.temperature)
        try:
            try:
                self._pump(reader)
                self._complete(reader)
            except llm.LlmError as error:
                self._end(error.message, error.retryable, error.retry_after, reader)
            except OutputError as error:
                self._end(str(error), True, None, reader)
            except Stopping:
                self._hand_back(reader)
        except FencedOut:
            log.info("transform %s attempt %s was fenced out", self.id, self.attempt)
            self._account(reader, N_("Stopped: the job was cancelled or taken over."))
        finally:
            reader.close()

    def _pump(self, reader: Reader) -> None:
        """Coalesce tokens: the first at once, then at most one write per window."""
        pending: list[str] = []
        last_flush = last_token = last_tick = time.monotonic()
        stall = self.config["STALL_SECONDS"]
        while True:
            now = time.monotonic()
            due = last_flush + self.window if pending else min(last_tick + TICK, last_token + stall)
            try:
                items = [reader.inbox.get(timeout=max(0.0, due - now))]
            except queue.Empty:
                items = []
            # Everything that arrived during the last write goes into the next one, so a slow
            # write makes bigger writes, never a growing backlog of one-token ones.
            while True:
                try:
                    items.append(reader.inbox.get_nowait())
                except queue.Empty:
                    break
            ended = None
            for kind, value in items:
                if kind == "text":
                    pending.append(value)
                    last_token = time.monotonic()
                else:
                    ended = (kind, value)
            now = time.monotonic()
            if pending and (ended or now - last_flush >= self.window):
                self.flush("".join(pending))
                pending, last_flush = [], time.monotonic()
                last_tick = last_flush
            if ended is not None:
                if ended[0] == "error":
                    raise ended[1]
                return
            if not items and not pending:
                if now - last_token >= stall:
                    stalled = N_("The model stopped sending text.")
                    raise llm.LlmError(stalled, retryable=True)
                if now - last_tick >= TICK:
                    self.tick(now - last_token)
                    last_tick = time.monotonic()

    def _complete(self, reader: Reader | None) -> None:
        if reader is not None and reader.finish_reason is None:
            raise llm.LlmError(
                N_("The model's stream ended before its answer did."), retryable=True
            )
        cut = reader is not None and reader.finish_reason == "length"
        # A cut answer is not valid JSON: keep what is complete, then ask for the rest.
        results = self.kind.parse("".join(self.raw), not cut) if reader is not None else []
        new = self._new(results)
        total = len(self.kept) + len(self.found) + len(new)
        if cut and total < self.target:
            if new:
                self._keep(new)
            raise llm.LlmError(N_("The model's answer was cut off (length limit)."), retryable=True)
        if total == 0:
            raise OutputError(N_("The model's answer contained no usable results."))
        begin_write()
        self._store(new)
        self.found += new
        short = total < self.target
        message = N_("Done: the model wrote fewer than asked.") if short else N_("Done.")
        transform = self._fenced(
            status="completed",
            progress=100,
            progress_message=message,
            error=None,
            finished_at=utcnow(),
            lease_owner=None,
        )
        self._account(reader, commit=False)
        db.session.commit()
        announce(transform)

    def _keep(self, new: list[dict[str, Any]]) -> None:
        """Store results found only by the last parse, before the attempt ends unfinished."""

        def write() -> Transform:
            begin_write()
            self._store(new)
            transform = self._fenced(**self._progress(len(self.found) + len(new), False))
            db.session.commit()
            return transform

        announce(durably(self.id, write))
        self.found += new

    def _end(
        self, message: str, retryable: bool, retry_after: float | None, reader: Reader
    ) -> None:
        reader.close()
        begin_write()
        transform = db.session.get(Transform, self.id, populate_existing=True)
        assert transform is not None
        lifecycle.end_attempt(transform, self.attempt, message, retryable, retry_after)
        self._account(reader, message, commit=False)
        db.session.commit()
        transform = db.session.get(Transform, self.id, populate_existing=True)
        assert transform is not None
        announce(transform)

    def _hand_back(self, reader: Reader) -> None:
        reader.close()
        begin_write()
        handed = lifecycle.hand_back(self.id, self.attempt)
        self._account(reader, N_("Handed back: the worker was stopping."), commit=False)
        db.session.commit()
        transform = db.session.get(Transform, self.id, populate_existing=True)
        if handed and transform is not None:
            enqueue(transform)
            announce(transform)

    def _account(
        self, reader: Reader | None, error: str | None = None, commit: bool = True
    ) -> None:
        """What the attempt produced and cost: kept even when it ended badly."""
        usage = reader.usage() if reader is not None else {}
        db.session.execute(
            update(LlmTransform)
            .where(LlmTransform.transform_id == self.id, LlmTransform.attempt == self.attempt)
            .values(
                raw_response="".join(self.raw),
                finish_reason=reader.finish_reason if reader is not None else None,
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=usage.get("completion_tokens"),
                total_tokens=usage.get("total_tokens"),
                error=error,
                finished_at=utcnow(),
            )
        )
        if commit:
            db.session.commit()
