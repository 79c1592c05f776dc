"""Reading a model's stream on its own thread, so the writer can stop it at any moment."""

import queue
import threading
from collections.abc import Callable
from typing import Any

from app import llm


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
        """Stop reading and close the provider's stream (it stops generating and billing)."""
        self._closed.set()
        if self.stream is not None:
            self.stream.close()
