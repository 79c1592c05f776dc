"""The stream cursor "attempt.seq": parsing it, and what a client has missed since."""

from dataclasses import dataclass

from flask import request

MAX_PART = 2**31 - 1


@dataclass(frozen=True)
class Cursor:
    attempt: int
    seq: int

    def __str__(self) -> str:
        return f"{self.attempt}.{self.seq}"


def parse(raw: str | None) -> Cursor | None:
    """A cursor from "a.s", or None when it cannot be read (the client gets a snapshot)."""
    if not raw:
        return None
    attempt, sep, seq = raw.strip().partition(".")
    if not sep or not attempt.isdigit() or not seq.isdigit():
        return None
    a, s = int(attempt), int(seq)
    if a > MAX_PART or s > MAX_PART:
        return None
    return Cursor(a, s)


def from_request() -> Cursor | None:
    """Last-Event-ID (sent on reconnect) wins over ?after= (the page's render point)."""
    last = request.headers.get("Last-Event-ID")
    return parse(last) if last else parse(request.args.get("after"))
