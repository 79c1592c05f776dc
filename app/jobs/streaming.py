"""Reading a model's stream on its own thread, and coalescing what it sends into flushes, so
the writer can stop it at any moment and a slow write makes bigger writes, never a backlog."""

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app import llm
from app.i18n import N_

log = logging.getLogger(__name__)
TICK = 1.0  # how often a silent stream renews its lease and looks for a cancel


@dataclass(frozen=True)
class Pace:
    """How a stream is written: the flush window, and how long silence may last (before the
    first token, and between events)."""

    window: float
    stall: float
    first_token: float


class Reader:
    """Connects and reads on a daemon thread; hands ("text" | "life" | "end" | "error", value)
    to an inbox ("life": the provider sent an event without text, which still counts)."""

    def __init__(self, open_stream: Callable[[], llm.ChatStream]) -> None:
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.stream: llm.ChatStream | None = None
        self.deltas = 0
        self._closed = threading.Event()
        self._open = open_stream
        threading.Thread(target=self._run, daemon=True, name="llm-reader").start()

    def _run(self) -> None:
        try:
            self.stream = self._open()
            if self._closed.is_set():
                self.stream.close()
                return
            for delta in self.stream:
                if delta:
                    self.deltas += 1
                    self.inbox.put(("text", delta))
                else:
                    self.inbox.put(("life", None))
            self.inbox.put(("end", None))
        except Exception as error:  # noqa: BLE001 - handed to the writing thread
            if not self._closed.is_set():
                self.inbox.put(("error", llm.classify(error)))

    def usage(self) -> dict[str, int | None]:
        """Tokens spent: the provider's count, else one per streamed delta (as OpenAI sends)."""
        if self.stream is not None and self.stream.usage:
            return dict(self.stream.usage)
        return {"prompt_tokens": None, "completion_tokens": self.deltas, "total_tokens": None}

    @property
    def finish_reason(self) -> str | None:
        return self.stream.finish_reason if self.stream is not None else None

    @property
    def response_id(self) -> str | None:
        return self.stream.response_id if self.stream is not None else None

    def close(self) -> None:
        """Stop reading and close the provider's stream (it stops generating and billing).
        A failure to close is logged, never raised: it must not replace how the call ended."""
        self._closed.set()
        if self.stream is not None:
            try:
                self.stream.close()
            except Exception:  # noqa: BLE001
                log.warning("could not close a model stream", exc_info=True)


def pump(
    reader: Reader,
    pace: Pace,
    flush: Callable[[str, int, float], None],
    tick: Callable[[float], None],
) -> None:
    """Coalesce tokens: the first at once, then at most one write per window; `flush` gets
    the text, how many tokens it holds and when the first of them arrived (time.monotonic).
    Any event of the provider counts as life; silence longer than the stall limit fails the
    attempt; while the model is silent, `tick` runs every TICK seconds (renew the lease,
    notice a cancel)."""
    window, stall, first = pace.window, pace.stall, pace.first_token
    pending: list[str] = []
    oldest = 0.0
    last_flush = last_life = last_tick = time.monotonic()
    alive = False
    while True:
        now = time.monotonic()
        limit = stall if alive else first
        due = last_flush + window if pending else min(last_tick + TICK, last_life + limit)
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
                if not pending:
                    oldest = time.monotonic()  # the first token still waiting for its write
                pending.append(value)
            if kind in ("text", "life"):
                last_life, alive = time.monotonic(), True
            elif kind in ("end", "error"):
                ended = (kind, value)
        now = time.monotonic()
        if pending and (ended or now - last_flush >= window):
            flush("".join(pending), len(pending), oldest)
            pending, last_flush = [], time.monotonic()
            last_tick = last_flush
        if ended is not None:
            if ended[0] == "error":
                raise ended[1]
            return
        if not items and not pending:
            if now - last_life >= limit:
                stalled = N_("The model stopped sending text.")
                raise llm.LlmError(stalled, retryable=True, code="stalled")
            if now - last_tick >= TICK:
                tick(now - last_life)
                last_tick = time.monotonic()
