"""What a stream client has missed: catch-up from the DB, then deltas, gaps filled, no repeats."""

from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any

from app.extensions import db
from app.jobs.kinds import JobKind
from app.jobs.models import Transform
from app.jobs.state import (
    Chunk,
    JobState,
    Writing,
    chunks_after,
    current_chunks,
    load_state,
    text_tail,
)
from app.live.cursor import Cursor
from app.live.hub import Delta


@dataclass
class Update:
    """What to send a client: text to append (or to start over with), the new state, and
    the item being written (`partial`: the page shows one; `writing`: None when none is)."""

    cursor: Cursor
    chunks: list[Chunk]
    reset: bool = False  # the text starts over: another attempt, or an unreadable cursor
    state: JobState | None = None
    partial: bool = False
    writing: Writing | None = None
    # Set when this update is exactly the delta, so its rendering can be shared by all streams.
    shared: Delta | None = None

    def rendered(self, key: Any, render: Callable[["Update"], str]) -> str:
        """Render the update, once per process and key when it is a shared delta."""
        if self.shared is None:
            return render(self)
        return self.shared.rendered(key, lambda: render(self))


def _load(job_id: int) -> JobState:
    transform = db.session.get(Transform, job_id, populate_existing=True)
    assert transform is not None
    return load_state(transform, with_chunks=False)


def shared_state(delta: Delta) -> Callable[[], JobState]:
    """The job's state read once per process for this delta, however many streams want it."""
    return lambda: delta.rendered("state", lambda: _load(delta.job))  # type: ignore[return-value]


class Feed:
    """One client's position in one job's stream. With `partials`, it also keeps the end of
    the text it has sent (bounded: Writing), from which the item being written is read."""

    def __init__(self, job_id: int, cursor: Cursor | None, partials: bool = False) -> None:
        self.job_id = job_id
        self.cursor = cursor
        self.shown: tuple[Any, ...] | None = None  # the state this client last received
        self.partials = partials
        self.kind: JobKind | None = None  # known from the first catch-up
        self.tail: Writing | None = None  # None: not read yet

    def _writing(self, chunks: list[Chunk], reset: bool, status: str | None) -> Writing | None:
        """The tail after these chunks; the item being written while the job runs (status
        None: a delta of text alone, which only a running job sends)."""
        kind = self.kind
        if kind is None or self.cursor is None:
            return None
        text = "".join(chunk.text for chunk in chunks)
        if reset:
            self.tail = Writing.of(kind, text)
        elif self.tail is not None and text:
            self.tail = self.tail.extended(text)
        if status not in (None, "running"):
            return None
        if self.tail is None:  # e.g. a page's stream: its first catch-up carries no text
            try:
                self.tail = Writing(kind, *text_tail(self.job_id, *astuple(self.cursor)))
            finally:
                db.session.close()
        return self.tail

    def catch_up(self, always: bool = True) -> Update | None:
        """Everything after the client's cursor, straight from the DB, with the current state
        (None when nothing changed since this client's last update, unless `always`)."""
        try:
            state = _load(self.job_id)
            t = state.transform
            if (
                self.cursor is None
                or self.cursor.attempt != t.attempt
                or self.cursor.seq > t.last_seq
            ):
                chunks, reset = current_chunks(t), True
            else:
                chunks, reset = chunks_after(t.id, t.attempt, self.cursor.seq, t.last_seq), False
                if not chunks and self.cursor.seq < t.last_seq:  # compacted since
                    chunks, reset = current_chunks(t), True
            self.cursor = Cursor(t.attempt, t.last_seq)
            shown = (t.status, t.progress, t.progress_message, len(state.results), self.cursor)
            if not always and not chunks and shown == self.shown:
                return None
            self.shown = shown
            if self.partials and state.kind.partial_template:
                self.kind = state.kind
                writing = self._writing(chunks, reset, t.status)
                return Update(self.cursor, chunks, reset, state, True, writing)
            return Update(self.cursor, chunks, reset, state)
        finally:
            db.session.close()  # a waiting stream holds no connection

    def apply(self, delta: Delta) -> Update | None:
        """The part of a delta this client has not seen; gaps are read from the DB."""
        cursor = self.cursor
        if cursor is None or delta.attempt != cursor.attempt:
            return self.catch_up()
        chunks: list[Chunk] = []
        # A delta brings its chunk's text only if it has text: a change of state says where
        # the text is (its seq) without it (a worker killed between its commit and its
        # publish, or a sweeper's announce overtaking the worker's), so what it is ahead of
        # this client is read from the database.
        if delta.seq > cursor.seq + 1 or (delta.seq == cursor.seq + 1 and not delta.text):
            try:
                chunks = chunks_after(delta.job, delta.attempt, cursor.seq, delta.seq)
            finally:
                db.session.close()
        elif delta.seq == cursor.seq + 1:
            chunks = [Chunk(delta.attempt, delta.seq, delta.text)]
        if chunks:
            self.cursor = Cursor(delta.attempt, chunks[-1].seq)
        state = None
        if delta.state:
            self.shown = None
            try:
                state = shared_state(delta)()
            finally:
                db.session.close()
        if not chunks and state is None:
            return None
        exact = self.cursor == Cursor(delta.attempt, delta.seq) and len(chunks) <= 1
        partial = self.kind is not None
        writing = self._writing(chunks, False, state.transform.status if state else None)
        return Update(self.cursor, chunks, False, state, partial, writing, delta if exact else None)


def sse(data: str, event: str | None = None, event_id: Any = None) -> str:
    """One server-sent event; every line of the data framed (a bare CR is a line break too)."""
    lines = [] if event is None else [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [
        f"data: {line}" for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return "\n".join(lines) + "\n\n"
