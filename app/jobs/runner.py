"""Running one attempt of a transform in a worker: claim, stream, flush, finish."""

import logging
import os
import queue
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert, update

from app import llm
from app.artifacts.models import Artifact, TransformOutput
from app.clock import utcnow
from app.extensions import begin_write, db
from app.i18n import N_
from app.jobs.events import announce
from app.jobs.kinds import JobKind, OutputError, kind_of
from app.jobs.models import RESULT_ROLE, LlmPrompt, LlmTransform, Transform, TransformChunk
from app.jobs.state import params_of, results_of

log = logging.getLogger(__name__)


class FencedOut(Exception):
    """This attempt no longer owns the job (cancelled, or its lease was taken over)."""


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
        self.kept = results_of(transform_id)
        self.target = self.kind.target(self.params)
        self.found: list[dict[str, Any]] = []  # results of this attempt already stored
        self.raw: list[str] = []
        self.seq = 0
        self.window = self.config["FLUSH_WINDOW_MS"] / 1000
        self.lease = timedelta(seconds=self.config["LEASE_SECONDS"])

    # -- writes, each one transaction fenced by the attempt ---------------------------

    def _fenced(self, **values: Any) -> Transform:
        now = utcnow()
        result = db.session.execute(
            update(Transform)
            .where(
                Transform.id == self.id,
                Transform.attempt == self.attempt,
                Transform.status == "running",
            )
            .values(updated_at=now, lease_expires_at=now + self.lease, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise FencedOut
        transform = db.session.get(Transform, self.id, populate_existing=True)
        assert transform is not None
        return transform

    def _progress(self) -> tuple[int, str]:
        done = len(self.kept) + len(self.found)
        if not self.raw:
            return 0, N_("Waiting for the model…")
        return min(99, int(100 * done / max(1, self.target))), N_("Writing…")

    def _store(self, results: list[dict[str, Any]]) -> None:
        for data in results:
            artifact = Artifact(
                project_id=self.project_id,
                type=self.kind.output_type,
                data=data,
                streaming_status="completed",
                created_by=self.user_id,
            )
            db.session.add(artifact)
            db.session.flush()
            db.session.add(
                TransformOutput(
                    transform_id=self.id,
                    artifact_id=artifact.id,
                    role=RESULT_ROLE,
                    position=len(self.kept) + len(self.found),
                    attempt=self.attempt,
                )
            )
            self.found.append(data)

    def flush(self, text: str) -> None:
        """One transaction: the chunk, new results, progress and heartbeat; then one publish."""
        self.raw.append(text)
        self.seq += 1
        parsed = self.kind.parse("".join(self.raw), False)
        begin_write()
        changed = len(parsed) > len(self.found)
        if changed:
            self._store(parsed[len(self.found) :])
        values: dict[str, Any] = {"last_seq": self.seq}
        if changed or self.seq == 1:
            values["progress"], values["progress_message"] = self._progress()
        transform = self._fenced(**values)
        db.session.execute(
            insert(TransformChunk).values(
                transform_id=self.id, attempt=self.attempt, seq=self.seq, text=text
            )
        )
        db.session.commit()
        announce(transform, text=text, state=changed or self.seq == 1)

    def heartbeat(self) -> None:
        """Renew the lease while the model is silent; notices a cancel."""
        begin_write()
        self._fenced()
        db.session.commit()

    # -- the attempt ------------------------------------------------------------------

    def run(self) -> None:
        """Record the prompt, stream the answer, and end the job in one final state."""
        messages = self.kind.build_messages(self.params, self.kept)
        begin_write()
        transform = self._fenced()
        db.session.add(LlmPrompt(transform_id=self.id, attempt=self.attempt, messages=messages))
        record = LlmTransform(
            transform_id=self.id,
            attempt=self.attempt,
            model=llm.model_name(self.config),
            parameters={"temperature": self.kind.temperature},
        )
        db.session.add(record)
        db.session.commit()
        announce(transform)
        stream: llm.ChatStream | None = None
        try:
            try:
                stream = llm.stream_chat(messages, self.config, self.kind.temperature)
                self._pump(stream)
                self._complete(stream)
            except llm.LlmError as error:
                self._fail(error.message, stream)
            except OutputError as error:
                self._fail(str(error), stream)
        except FencedOut:
            log.info("transform %s attempt %s was fenced out", self.id, self.attempt)
            self._account(stream, error=N_("Stopped: the job was taken over or cancelled."))
        finally:
            if stream is not None:
                stream.close()

    def _pump(self, stream: llm.ChatStream) -> None:
        """Read the stream on a thread; write coalesced flushes here, at most one per window."""
        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()

        def read() -> None:
            try:
                for delta in stream:
                    inbox.put(("text", delta))
                inbox.put(("end", None))
            except Exception as error:  # noqa: BLE001 - handed to the writing thread
                inbox.put(("error", llm.classify(error)))

        threading.Thread(target=read, daemon=True, name=f"llm-{self.id}").start()
        pending: list[str] = []
        last_flush = last_token = last_beat = time.monotonic()
        stall, beat = self.config["STALL_SECONDS"], self.lease.total_seconds() / 3
        while True:
            now = time.monotonic()
            if pending:
                timeout = max(0.0, last_flush + self.window - now)
            else:
                timeout = max(0.0, min(last_token + stall, last_beat + beat) - now)
            try:
                kind, value = inbox.get(timeout=timeout)
            except queue.Empty:
                now = time.monotonic()
                if pending:
                    self.flush("".join(pending))
                    pending, last_flush, last_beat = [], now, now
                elif now - last_token >= stall:
                    stalled = N_("The model stopped sending text.")
                    raise llm.LlmError(stalled, retryable=True) from None
                else:
                    self.heartbeat()
                    last_beat = now
                continue
            if kind == "text":
                pending.append(value)
                last_token = time.monotonic()
                if last_token - last_flush >= self.window:
                    self.flush("".join(pending))
                    pending, last_flush, last_beat = [], last_token, last_token
                continue
            if pending:
                self.flush("".join(pending))
            if kind == "error":
                raise value
            return

    def _complete(self, stream: llm.ChatStream) -> None:
        results = self.kind.parse("".join(self.raw), True)
        begin_write()
        if len(results) > len(self.found):
            self._store(results[len(self.found) :])
        total = len(self.kept) + len(self.found)
        if total == 0:
            db.session.rollback()
            raise OutputError(N_("The model's answer contained no usable results."))
        message = (
            N_("Done.") if total >= self.target else N_("Done: the model wrote fewer than asked.")
        )
        transform = self._fenced(
            status="completed",
            progress=100,
            progress_message=message,
            finished_at=utcnow(),
            lease_owner=None,
        )
        self._account(stream, commit=False)
        db.session.commit()
        announce(transform, user=True)

    def _fail(self, message: str, stream: llm.ChatStream | None) -> None:
        begin_write()
        transform = self._fenced(
            status="failed",
            error=message,
            progress_message=N_("Failed."),
            finished_at=utcnow(),
            lease_owner=None,
        )
        self._account(stream, error=message, commit=False)
        db.session.commit()
        announce(transform, user=True)

    def _account(
        self, stream: llm.ChatStream | None, error: str | None = None, commit: bool = True
    ) -> None:
        """What the attempt produced and cost: kept even when it ended badly."""
        usage = stream.usage if stream is not None else {}
        db.session.execute(
            update(LlmTransform)
            .where(LlmTransform.transform_id == self.id, LlmTransform.attempt == self.attempt)
            .values(
                raw_response="".join(self.raw),
                finish_reason=stream.finish_reason if stream is not None else None,
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=usage.get("completion_tokens"),
                total_tokens=usage.get("total_tokens"),
                error=error,
                finished_at=utcnow(),
            )
        )
        if commit:
            db.session.commit()
