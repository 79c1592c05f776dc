"""The job context: the only way a running kind changes anything. Every write is fenced by the
job's lease epoch, so a worker whose lease was taken over cannot write any more."""

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypeVar

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import InterfaceError, OperationalError

from app import llm
from app.clock import utcnow
from app.extensions import begin_write, db
from app.i18n import N_
from app.jobs.kinds import JobKind
from app.jobs.lifecycle import Claim
from app.jobs.models import RESULT_ROLE, LlmPrompt, LlmTransform, Transform
from app.jobs.outcomes import Ask, Park, Stopping
from app.jobs.state import calls_of, chunks_after, inputs_of, outputs_of, params_of
from app.jobs.streaming import Pace, Reader, pump
from app.jobs.writer import Emit, Flush, retried, writer_of
from app.metrics import CHUNKS, TIME_TO_FIRST_TOKEN, TOKEN_TO_ROW, TOKENS

log = logging.getLogger(__name__)
T = TypeVar("T")
WAITING_AFTER = 2.0  # seconds of silence before the page says "waiting for the model"
NO_NEWS_AFTER = 60.0  # seconds of silence before it says for how many minutes


@dataclass(frozen=True)
class Streamed:
    """What one model call gave."""

    text: str
    finish_reason: str | None


@dataclass
class _Call:
    """A model call being streamed: who reads its flushes, when it was asked
    (time.monotonic()), what of its text is stored, and when its first token came."""

    on_text: Callable[[str], None]
    asked: float = field(default_factory=time.monotonic)
    parts: list[str] = field(default_factory=list)
    first_token: datetime | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


class JobContext:
    """One attempt's view of its job: what it was asked, what it has made, and the calls that
    record, stream and keep its work."""

    def __init__(self, claim: Claim, kind: JobKind, stopping: Any) -> None:
        self.claim, self.kind, self._stopping = claim, kind, stopping
        self.id, self.attempt = claim.id, claim.attempt
        self.config = current_app.config
        self.params: dict[str, Any] = params_of(claim.id)
        self.inputs: dict[str, list[dict[str, Any]]] = inputs_of(claim.id)
        self.checkpoint: dict[str, Any] = dict(claim.checkpoint or {})
        stored = outputs_of(claim.id)
        # What earlier attempts (and this one) stored, in order: a retry asks only for the rest.
        self.results: list[dict[str, Any]] = [
            data for role, _key, data in stored if role == RESULT_ROLE
        ]
        self._keys = {key for _role, key, _data in stored if key}
        # Where each stored result is in `results`, by key (a put replaces it there).
        self._at = {
            key: index
            for index, key in enumerate(k for role, k, _data in stored if role == RESULT_ROLE)
        }
        self._positions = Counter(role for role, _key, _data in stored)
        self.seq = claim.seq
        self.calls = calls_of(claim.id, claim.attempt)
        self.window = self.config["FLUSH_WINDOW_MS"] / 1000
        self.lease = timedelta(seconds=self.config["LEASE_SECONDS"])
        self.waiting = True  # the page says "waiting for the model"
        self._silent_minutes = 0
        self._streaming = False
        self._reader: Reader | None = None  # the current call's
        self._values: dict[str, Any] = {}  # the job's columns to set with the next write
        self._emits: list[tuple[str, str, dict[str, Any], str]] = []
        # Documents put since the last write: key → (role, type, data, done).
        self._puts: dict[str, tuple[str, str, dict[str, Any], bool]] = {}
        self._writer = writer_of(current_app._get_current_object())  # type: ignore[attr-defined]
        db.session.commit()  # the reads above end here: a streaming attempt holds no connection

    # ---- what a kind calls ------------------------------------------------------------------

    def emit(self, type: str, data: dict[str, Any], key: str, role: str = RESULT_ROLE) -> bool:  # noqa: A002
        """Store a result artifact (with its output edge and position), idempotent by key: a
        retry or a takeover never stores it twice. False if the key was stored before."""
        if key in self._keys:
            return False
        self._keys.add(key)
        self._emits.append((role, type, data, key))
        if role == RESULT_ROLE:
            self._at[key] = len(self.results)
            self.results.append(data)
        self._write_unless_streaming()
        return True

    def put(
        self,
        type: str,  # noqa: A002
        data: dict[str, Any],
        key: str,
        *,
        done: bool = False,
        role: str = RESULT_ROLE,
    ) -> None:
        """Store a result artifact that grows (a document written section by section): the
        first put stores it, each later one replaces its data (a takeover or a retry finds it
        in `results` and goes on from there); `done` when it is whole."""
        self._puts[key] = (role, type, data, done)
        if role == RESULT_ROLE:
            if key in self._at:
                self.results[self._at[key]] = data
            else:
                self._at[key] = len(self.results)
                self.results.append(data)
        self._write_unless_streaming()

    def progress(
        self,
        done: int | None,
        total: int | None = None,
        message: str | None = None,
        *,
        percent: int | None = None,
        **params: Any,
    ) -> None:
        """Honest progress: `done` of `total` (None: not known), or only a `percent` for work
        that is not counted in pieces; the message is a key with parameters, translated when
        shown."""
        if done is not None:
            self._values.update(progress_done=done, progress_total=total)
        if total and done is not None:
            self._values["progress"] = min(99, 100 * done // max(1, total))
        if percent is not None:
            self._values["progress"] = max(0, min(99, percent))
        if message is not None:
            self._values.update(progress_message=message, progress_params=params or None)
        self._write_unless_streaming()

    def save(self, **state: Any) -> None:
        """Keep provider state that must survive a crash; a takeover finds it in `checkpoint`."""
        self.checkpoint = {**self.checkpoint, **state}
        self._values["checkpoint"] = dict(self.checkpoint)
        self._write_unless_streaming()

    def forget(self) -> None:
        """Drop the checkpoint (with the next write): from here on, a lost worker means a new
        attempt rather than a takeover of this one."""
        self.checkpoint = {}
        self._values["checkpoint"] = None
        self._write_unless_streaming()

    def ask(self, questions: list[dict[str, Any]]) -> NoReturn:
        """Wait for the writer's answers, holding no worker slot; the job comes back pending."""
        raise Ask(questions)

    def park(self, until: datetime, message: str = N_("Waiting…"), **params: Any) -> NoReturn:
        """Release the worker slot until a time; the sweeper wakes the job, no retry spent.
        The message is a key with parameters, like progress's."""
        raise Park(until, message, params or None)

    def stream(
        self,
        messages: list[dict[str, str]],
        on_text: Callable[[str], None],
        *,
        temperature: float = 0.9,
        json_output: bool = False,
        model: str | None = None,
        opener: Callable[[], llm.ChatStream] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Streamed:
        """Call the model and stream its answer: `on_text` gets each flush's text (the first
        token at once, then at most one flush per FLUSH_WINDOW_MS) and may emit and report
        progress; what it does is written with that flush, in one transaction. The call is
        recorded (prompt, model, parameters, usage, response id, first token).

        `model` names another model than LLM_MODEL; `opener` opens the stream itself (a
        provider API other than chat completions, or a re-attachment to a response already
        running), recorded with `parameters`."""
        self.calls += 1
        call = self.calls
        model = llm.model_name(self.config, model)
        recorded: dict[str, Any] = {"temperature": temperature, **(parameters or {})}
        if json_output:
            recorded["json_output"] = True
        self._record_call(call, messages, model, recorded)
        reader = Reader(
            opener
            or (
                lambda: llm.stream_chat(
                    messages,
                    self.config,
                    temperature=temperature,
                    json_output=json_output,
                    demo=self.kind.demo,
                    model=model,
                )
            )
        )
        live = _Call(on_text)
        error: str | None = None
        self._streaming, self._reader = True, reader
        try:
            stall = self.kind.stall_seconds or self.config["STALL_SECONDS"]
            pace = Pace(self.window, stall, self.kind.first_token_seconds or stall)
            pump(
                reader,
                pace,
                lambda text, tokens, since: self._flush(live, text, tokens, since),
                self._tick,
            )
            if reader.finish_reason is None:
                ended = N_("The model's stream ended before its answer did.")
                raise llm.LlmError(ended, retryable=True, code="incomplete")
        except BaseException as failure:
            error = getattr(failure, "message", None) or str(failure) or type(failure).__name__
            if getattr(failure, "params", None):
                error %= failure.params  # the call's record keeps the text in English
            raise
        finally:
            self._streaming = False
            reader.close()
            self._account(call, reader, live.text, live.first_token, error)
        return Streamed(live.text, reader.finish_reason)

    @property
    def streamed_tokens(self) -> int:
        """Tokens the current call has streamed so far (one per delta, as providers send
        them; the provider's own count comes with its usage at the end)."""
        return self._reader.deltas if self._reader is not None else 0

    def stored_text(self, after: int = 0) -> str:
        """The text this attempt has stored after a chunk (whichever worker stored it)."""
        text = "".join(chunk.text for chunk in chunks_after(self.id, self.attempt, after, self.seq))
        db.session.commit()  # the read ends here: the attempt holds no connection
        return text

    # ---- writing ----------------------------------------------------------------------------

    def _write_unless_streaming(self) -> None:
        if not self._streaming:
            self.write()

    def write(
        self,
        text: str | None = None,
        extra: tuple[tuple[str, str, dict[str, Any], str], ...] = (),
        **values: Any,
    ) -> Transform:
        """One fenced write (several attempts' share a transaction: app/jobs/writer.py):
        results emitted (and `extra` ones: role, type, data, key), progress, checkpoint, the
        lease, and a chunk of text; then a publish. FencedOut if the job is no longer ours."""
        for role, type_, data, key in extra:
            if key not in self._keys:
                self._keys.add(key)
                self._emits.append((role, type_, data, key))
        values = {**self._values, **values}
        seq = self.seq + (1 if text else 0)
        if text:
            values["last_seq"] = seq
        emits = []
        for role, type_, data, key in self._emits:
            emits.append(Emit(role, type_, data, key, self._positions[role]))
            self._positions[role] += 1
        for key, (role, type_, data, done) in self._puts.items():
            if key in self._keys:
                emits.append(Emit(role, type_, data, key, 0, "replace", done))
                continue
            self._keys.add(key)
            emits.append(Emit(role, type_, data, key, self._positions[role], "new", done))
            self._positions[role] += 1
        flush = Flush(
            job=self.id,
            epoch=self.claim.epoch,
            attempt=self.attempt,
            project_id=self.claim.project_id,
            user_id=self.claim.user_id,
            lease=self.lease,
            values=values,
            text=text,
            emits=emits,
            shown=bool(emits) or any(k not in ("last_seq", "checkpoint") for k in values),
        )
        self._values.clear()
        self._emits.clear()
        self._puts.clear()
        transform = self._writer.write(flush)
        self.seq = seq
        return transform

    # ---- streaming --------------------------------------------------------------------------

    def _flush(self, live: _Call, text: str, tokens: int, since: float) -> None:
        """Write one flush of a call's text (`tokens` of them, the first arrived at `since`:
        time.monotonic()), and count it in the figures."""
        if self._stopping.is_set():
            raise Stopping
        if live.first_token is None:
            live.first_token = utcnow()
            TIME_TO_FIRST_TOKEN.labels(self.kind.name).observe(time.monotonic() - live.asked)
        live.on_text(text)
        if self.waiting:
            self._values.setdefault("progress_message", N_("Writing…"))
            self._values.setdefault("progress_params", None)
        self._silent_minutes = 0
        self.write(text)
        live.parts.append(text)  # the call's text is what was stored, never more
        TOKEN_TO_ROW.observe(time.monotonic() - since)
        CHUNKS.labels(self.kind.name).inc()
        TOKENS.labels(self.kind.name).inc(tokens)
        self.waiting = False

    def _tick(self, silent_for: float) -> None:
        """While the model is silent: renew the lease, notice a cancel, say we are waiting."""
        if self._stopping.is_set():
            raise Stopping
        if silent_for >= NO_NEWS_AFTER:
            # Said in whole minutes, written once a minute: a long silence is not a failure
            # while the provider has not given up.
            minutes = int(silent_for // 60)
            if self._silent_minutes != minutes:
                self._silent_minutes = minutes
                self._values.update(
                    progress_message=N_("No news from the model for %(minutes)d min."),
                    progress_params={"minutes": minutes},
                )
            self.waiting = True
        elif silent_for >= WAITING_AFTER and not self.waiting:
            self._values.update(progress_message=N_("Waiting for the model…"), progress_params=None)
            self.waiting = True
        self.write()

    # ---- lineage ----------------------------------------------------------------------------

    def _record_call(
        self,
        call: int,
        messages: list[dict[str, str]],
        model: str,
        parameters: dict[str, Any],
    ) -> None:
        self.write()  # the job is still ours (FencedOut if not), what waits is written

        def transaction() -> None:
            begin_write()
            db.session.add(
                LlmPrompt(transform_id=self.id, attempt=self.attempt, call=call, messages=messages)
            )
            db.session.add(
                LlmTransform(
                    transform_id=self.id,
                    attempt=self.attempt,
                    call=call,
                    model=model,
                    parameters=parameters,
                    first_seq=self.seq + 1,
                )
            )
            db.session.commit()

        retried(transaction)

    def _account(
        self,
        call: int,
        reader: Reader,
        text: str,
        first_token: datetime | None,
        error: str | None,
    ) -> None:
        """What the call produced and cost, kept even when it ended badly (unfenced: it is
        lineage of this attempt, whoever holds the job now)."""
        usage = reader.usage()

        def transaction() -> None:
            db.session.rollback()
            begin_write()
            db.session.execute(
                update(LlmTransform)
                .where(
                    LlmTransform.transform_id == self.id,
                    LlmTransform.attempt == self.attempt,
                    LlmTransform.call == call,
                )
                .values(
                    raw_response=text,
                    finish_reason=reader.finish_reason,
                    response_id=reader.response_id,
                    first_token_at=first_token,
                    prompt_tokens=usage.get("prompt_tokens"),
                    completion_tokens=usage.get("completion_tokens"),
                    total_tokens=usage.get("total_tokens"),
                    error=error,
                    finished_at=utcnow(),
                )
            )
            db.session.commit()

        try:
            retried(transaction)
        except (OperationalError, InterfaceError):
            log.warning("could not record the end of call %s of job %s", call, self.id)
