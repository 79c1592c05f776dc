"""How an attempt ends, other than by returning: raised by a kind (through its context) or by
the machinery, and mapped to a transition by the runner and `lifecycle`."""

from datetime import datetime
from typing import Any

from app.i18n import N_


class Outcome(Exception):
    """Base of every way an attempt ends early."""


class Retryable(Outcome):
    """This attempt failed; another may succeed (after `retry_after` seconds at the least).
    The message is a key, `params` fill it when shown."""

    def __init__(
        self,
        message: str,
        code: str,
        retry_after: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.retry_after, self.params = message, code, retry_after, params


class Permanent(Outcome):
    """No attempt will succeed: the job fails now."""

    def __init__(self, message: str, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.params = message, code, params


class Ask(Outcome):
    """The job needs its writer's answers: it waits, holding no worker slot."""

    def __init__(self, questions: list[dict[str, Any]]) -> None:
        super().__init__("needs input")
        self.questions = questions


class Park(Outcome):
    """The job waits until a time (a provider working on its own), holding no worker slot."""

    def __init__(self, until: datetime, message: str, params: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.until, self.message, self.params = until, message, params


class Stopping(Outcome):
    """The worker is shutting down: the job goes back to the queue without spending a retry."""

    def __init__(self) -> None:
        super().__init__(N_("Handed back: the worker was stopping."))


class FencedOut(Outcome):
    """This attempt no longer owns the job (cancelled, or its lease was taken over)."""

    def __init__(self) -> None:
        super().__init__(N_("Stopped: the job was cancelled or taken over."))
