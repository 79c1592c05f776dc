"""A provider's background responses (OpenAI's Responses API, or the offline demo playing
one): created once, then streamed, streamed again from a sequence number, polled or cancelled
by whichever worker holds the job. Everything is read into a few plain events."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import openai

from app import llm
from app.i18n import N_

# Endpoints (base URL) that answered 404/405 to a create: no Responses API, in this process.
_without_api: set[str | None] = set()
_without_api_lock = threading.Lock()
WEB_SEARCH = [{"type": "web_search"}]
ENDED = ("completed", "failed", "cancelled", "incomplete")


@dataclass(frozen=True)
class Citation:
    title: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Event:
    """One event of a response: `created` (id, created_at), `text` (a delta), `citation`,
    `life` (a search or any sign of work), `done` (status, usage, error)."""

    seq: int
    kind: str
    text: str = ""
    citation: Citation | None = None
    response_id: str | None = None
    created_at: float | None = None
    status: str | None = None
    usage: dict[str, int | None] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """A response as a poll finds it (its text and citations only once it has ended)."""

    id: str
    status: str
    text: str
    citations: tuple[Citation, ...]
    usage: dict[str, int | None]
    error: str | None = None


@dataclass(frozen=True)
class Handle:
    """What names a response for good: kept in the job's checkpoint."""

    id: str
    created_at: float


class Events:
    """A response's events as they arrive; `close` may be called from another thread (the
    job's, while its reader thread waits for the next event) and stops the reading there."""

    def __init__(self, events: Iterator[Event], close: Callable[[], None]) -> None:
        self._events, self._close = events, close
        self.closed = threading.Event()

    def __iter__(self) -> "Events":
        return self

    def __next__(self) -> Event:
        if self.closed.is_set():
            raise StopIteration
        return next(self._events)

    def close(self) -> None:
        self.closed.set()
        self._close()


class NoResponsesApi(Exception):
    """The endpoint has no Responses API (it answered 404/405 to a create)."""


class Background(Protocol):
    def create(self, messages: list[dict[str, str]], model: str) -> Events: ...

    def resume(self, handle: Handle, messages: list[dict[str, str]], after: int) -> Events: ...

    def retrieve(self, handle: Handle, messages: list[dict[str, str]]) -> Snapshot: ...

    def cancel(self, handle: Handle) -> None: ...


def has_api(config: dict[str, Any]) -> bool:
    """False once the endpoint answered a create with 404/405 (remembered per process)."""
    with _without_api_lock:
        return config.get("LLM_BASE_URL") not in _without_api


def _usage(raw: Any) -> dict[str, int | None]:
    """The Responses API's usage in the chat completions' words."""
    if raw is None:
        return {}
    get = raw.get if isinstance(raw, dict) else lambda key: getattr(raw, key, None)
    return {
        "prompt_tokens": get("input_tokens"),
        "completion_tokens": get("output_tokens"),
        "total_tokens": get("total_tokens"),
    }


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _citation(annotation: Any) -> Citation | None:
    if _field(annotation, "type") != "url_citation":
        return None
    url, title = _field(annotation, "url"), _field(annotation, "title")
    if not isinstance(url, str) or not url:
        return None
    return Citation(title if isinstance(title, str) and title else url, url)


class OpenAIResponses:
    """Background responses through the `openai` client, with the provider's web search."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.client = llm.client(config)

    def create(self, messages: list[dict[str, str]], model: str) -> Events:
        try:
            stream = self.client.responses.create(
                model=model,
                input=messages,  # type: ignore[arg-type]
                background=True,
                store=True,
                stream=True,
                tools=WEB_SEARCH,  # type: ignore[arg-type]
            )
        except (openai.NotFoundError, openai.APIStatusError) as error:
            if getattr(error, "status_code", None) in (404, 405):
                with _without_api_lock:
                    _without_api.add(self.config.get("LLM_BASE_URL"))
                raise NoResponsesApi from error
            raise llm.classify(error) from error
        except Exception as error:  # noqa: BLE001 - every failure is classified
            raise llm.classify(error) from error
        return Events(self._read(stream), stream.close)

    def resume(self, handle: Handle, messages: list[dict[str, str]], after: int) -> Events:
        try:
            stream = self.client.responses.retrieve(handle.id, stream=True, starting_after=after)
        except Exception as error:  # noqa: BLE001
            raise llm.classify(error) from error
        return Events(self._read(stream), stream.close)

    def retrieve(self, handle: Handle, messages: list[dict[str, str]]) -> Snapshot:
        try:
            response = self.client.responses.retrieve(handle.id)
        except Exception as error:  # noqa: BLE001
            raise llm.classify(error) from error
        citations: list[Citation] = []
        for item in response.output or ():
            for part in _field(item, "content") or ():
                for annotation in _field(part, "annotations") or ():
                    found = _citation(annotation)
                    if found is not None:
                        citations.append(found)
        error = response.error.message if response.error else None
        return Snapshot(
            id=response.id,
            status=str(response.status),
            text=response.output_text if response.status == "completed" else "",
            citations=tuple(citations),
            usage=_usage(response.usage),
            error=error,
        )

    def cancel(self, handle: Handle) -> None:
        try:
            self.client.responses.cancel(handle.id)
        except Exception as error:  # noqa: BLE001
            raise llm.classify(error) from error

    @staticmethod
    def _read(stream: Any) -> Iterator[Event]:
        """The client's typed events as ours; a broken connection as a retryable error."""
        try:
            for event in stream:
                kind, seq = event.type, event.sequence_number
                if kind == "response.created":
                    response = event.response
                    yield Event(
                        seq, "created", response_id=response.id, created_at=response.created_at
                    )
                elif kind == "response.output_text.delta":
                    yield (
                        Event(seq, "text", text=event.delta) if event.delta else Event(seq, "life")
                    )
                elif kind == "response.output_text.annotation.added":
                    found = _citation(event.annotation)
                    yield Event(seq, "citation", citation=found) if found else Event(seq, "life")
                elif kind in ("response.completed", "response.failed", "response.incomplete"):
                    response = event.response
                    error = response.error.message if response.error else None
                    yield Event(
                        seq,
                        "done",
                        status=str(response.status),
                        usage=_usage(response.usage),
                        error=error,
                    )
                    return
                elif kind == "error":
                    failed = N_("The model's server reported an error mid-answer.")
                    raise llm.LlmError(failed, retryable=True, code="server_error")
                else:
                    yield Event(seq, "life")
        except llm.LlmError:
            raise
        except Exception as error:  # noqa: BLE001
            raise llm.classify(error) from error
        finally:
            stream.close()


# ---- a background response read as the job context reads any model's stream


class Marks:
    """Where each event read from a background stream ends in the text, so a flush can say
    which sequence number its text reaches (the checkpoint) and which citations came with it."""

    def __init__(self, chars: int) -> None:
        self.events: list[tuple[int, Event]] = []  # (text length through the event, event)
        self.read_chars = chars
        self.taken = 0

    def add(self, event: Event) -> None:
        self.read_chars += len(event.text)
        self.events.append((self.read_chars, event))

    def take(self, chars: int) -> tuple[int | None, list[Citation]]:
        """The events whose text is all within the first `chars` characters: the last one's
        sequence number and their citations."""
        seq, citations = None, []
        while self.taken < len(self.events) and self.events[self.taken][0] <= chars:
            event = self.events[self.taken][1]
            seq = event.seq
            if event.citation is not None:
                citations.append(event.citation)
            self.taken += 1
        return seq, citations


def as_chat_stream(
    events: Iterator[Event], model: str, marks: Marks, response_id: str
) -> llm.ChatStream:
    """A background stream as the job context reads any model's: text deltas, signs of life,
    and the usage and finish reason once the response is done."""
    stream = llm.ChatStream(
        model=model,
        parameters={},
        deltas=iter(()),
        # Billed once, with the whole response: nothing is counted for a stream that broke.
        usage={"prompt_tokens": None, "completion_tokens": None, "total_tokens": None},
        response_id=response_id,
    )

    def deltas() -> Iterator[str]:
        for event in events:
            marks.add(event)
            if event.kind == "done":
                if event.status != "completed":
                    message = N_("The provider ended the research without an answer.")
                    raise llm.LlmError(message, retryable=True, code=f"response_{event.status}")
                stream.usage, stream.finish_reason = dict(event.usage), "stop"
                return
            yield event.text if event.kind == "text" else llm.LIFE

    stream.deltas = deltas()
    stream._close = getattr(events, "close", None)
    return stream


def finished_stream(
    text: str, usage: dict[str, int | None], model: str, response_id: str
) -> llm.ChatStream:
    """What a poll found at the end, as a stream of the text not shown yet."""
    stream = llm.ChatStream(
        model=model, parameters={}, deltas=iter([text] if text else []), response_id=response_id
    )
    stream.usage, stream.finish_reason = dict(usage), "stop"
    return stream
