"""The stream cursor "attempt.seq": parsing it, and what a client has missed since."""

from dataclasses import dataclass
from typing import Annotated

from flask import request
from pydantic import BeforeValidator

from app.inputs import Filter, natural


@dataclass(frozen=True)
class Cursor:
    attempt: int
    seq: int

    def __str__(self) -> str:
        return f"{self.attempt}.{self.seq}"


def parse(raw: str | None) -> Cursor | None:
    """A cursor from "a.s", or None when it cannot be read (the client gets a snapshot)."""
    attempt, sep, seq = (raw or "").strip().partition(".")
    a, s = natural(attempt), natural(seq)
    return Cursor(a, s) if sep and a is not None and s is not None else None


# ?after= in a stream's query: unreadable means "no cursor" (a snapshot), never an error.
After = Filter(
    Annotated[Cursor, BeforeValidator(lambda v: parse(v) or v if isinstance(v, str) else v)]
)


def from_request(after: Cursor | None) -> Cursor | None:
    """Last-Event-ID (sent on reconnect) wins over ?after= (the page's render point)."""
    last = request.headers.get("Last-Event-ID")
    return parse(last) if last else after
