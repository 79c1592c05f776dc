"""The only door to a language model: an OpenAI-compatible endpoint or the offline demo."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

from app.i18n import N_
from app.inputs import storable
from app.llm.demo import demo_tokens

DEMO_MODEL = "demo"
# A delta that carries no text but shows the provider is alive (a role, usage, reasoning).
LIFE = ""


class LlmError(Exception):
    """A provider failure, classified: may another attempt succeed, and when; `code` names
    the class for retries and figures. The message is a key, `params` fill it when shown."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str,
        retry_after: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message % params if params else message)
        self.message, self.retryable, self.retry_after, self.code, self.params = (
            message,
            retryable,
            retry_after,
            code,
            params,
        )


@dataclass
class ChatStream:
    """Deltas as the model writes them (LIFE for an event without text); usage, finish reason
    and the provider's response id as they become known."""

    model: str
    parameters: dict[str, Any]
    deltas: Iterator[str]
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    response_id: str | None = None
    _close: Any = None

    def __iter__(self) -> Iterator[str]:
        return self.deltas

    def close(self) -> None:
        """Stop reading: the provider stops generating (and billing)."""
        if self._close is not None:
            self._close()


def is_demo(config: dict[str, Any]) -> bool:
    """Without an API key the offline demo model answers."""
    return not config.get("LLM_API_KEY")


def model_name(config: dict[str, Any], model: str | None = None) -> str:
    """The model that will answer under this configuration (`model`, else LLM_MODEL)."""
    return DEMO_MODEL if is_demo(config) else model or config["LLM_MODEL"]


def stream_chat(
    messages: list[dict[str, str]],
    config: dict[str, Any],
    *,
    temperature: float = 0.9,
    json_output: bool = False,
    demo: Callable[[list[dict[str, str]]], str] | None = None,
    model: str | None = None,
) -> ChatStream:
    """Start a streamed chat completion with the configured model, or `model` (or the demo's
    answer)."""
    if is_demo(config):
        reply = demo(messages) if demo else N_("The offline demo model has no answer for this.")
        return demo_stream(messages, reply, config["DEMO_TOKEN_DELAY_MS"] / 1000)
    return _openai_stream(messages, config, temperature, json_output, model)


def demo_stream(
    messages: list[dict[str, str]], text: str, delay: float, silence: float = 0.0
) -> ChatStream:
    """The demo model's answer as a stream: `silence` seconds of thinking (a sign of life
    each second, as a reasoning model sends), then a token every `delay` seconds."""
    tokens = demo_tokens(text)
    state = {"closed": False}
    stream = ChatStream(model=DEMO_MODEL, parameters={"token_delay": delay}, deltas=iter(()))

    def deltas() -> Iterator[str]:
        thinking = time.monotonic() + silence
        while (left := thinking - time.monotonic()) > 0:
            if state["closed"]:
                return
            time.sleep(min(1.0, left))
            yield LIFE
        for token in tokens:
            if state["closed"]:
                return
            time.sleep(delay)
            yield token
        stream.finish_reason = "stop"
        prompt = sum(len(m["content"]) for m in messages) // 2
        stream.usage = {
            "prompt_tokens": prompt,
            "completion_tokens": len(tokens),
            "total_tokens": prompt + len(tokens),
        }

    stream.deltas = deltas()
    stream._close = lambda: state.update(closed=True)
    return stream


_clients: dict[tuple[str | None, str, float], openai.OpenAI] = {}
_clients_lock = threading.Lock()
# Endpoints that refused response_format: asked without it from then on (in this process).
_no_json_mode: set[tuple[str | None, str]] = set()


def _client(config: dict[str, Any]) -> openai.OpenAI:
    """One client (and connection pool) per endpoint and process, shared by its threads."""
    key = (config.get("LLM_BASE_URL") or None, config["LLM_API_KEY"], config["LLM_TIMEOUT"])
    with _clients_lock:
        if key not in _clients:
            _clients[key] = openai.OpenAI(
                base_url=key[0],
                api_key=key[1],
                timeout=httpx2.Timeout(key[2], connect=10.0),
                max_retries=0,  # our jobs retry, with their own backoff and lineage
            )
        return _clients[key]


def client(config: dict[str, Any]) -> openai.OpenAI:
    """The process's client of the configured endpoint (for APIs beyond chat completions)."""
    return _client(config)


def _create(
    config: dict[str, Any], messages: list[dict[str, str]], model: str, **parameters: Any
) -> Any:
    """Send the request through the openai client (auth, retries off, errors classified by
    it) and keep its raw streaming response: parsing each event into the client's models
    costs five times what reading the JSON does, and a worker streams many at once."""
    return (
        _client(config)
        .chat.completions.with_streaming_response.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
            **parameters,
        )
        .__enter__()
    )


def _openai_stream(
    messages: list[dict[str, str]],
    config: dict[str, Any],
    temperature: float,
    json_output: bool,
    model: str | None,
) -> ChatStream:
    parameters: dict[str, Any] = {"temperature": temperature}
    model = model or config["LLM_MODEL"]
    endpoint = (config.get("LLM_BASE_URL"), model)
    if json_output and endpoint not in _no_json_mode:
        parameters["response_format"] = {"type": "json_object"}
    try:
        try:
            response = _create(config, messages, model, **parameters)
        except openai.BadRequestError as refused:
            if "response_format" not in parameters or "response_format" not in str(refused):
                raise
            # This endpoint has no JSON mode: the answer is read liberally anyway.
            _no_json_mode.add(endpoint)
            parameters.pop("response_format")
            response = _create(config, messages, model, **parameters)
    except Exception as error:  # noqa: BLE001 - every failure is classified
        raise classify(error) from error
    stream = ChatStream(model=model, parameters=parameters, deltas=iter(()))

    def deltas() -> Iterator[str]:
        try:
            for event in _events(response.iter_lines()):
                yield _read_chunk(stream, event)  # LIFE when the event carried no text
        except (openai.APIConnectionError, httpx2.TransportError) as error:
            broke = N_("The connection to the model broke off mid-answer.")
            raise LlmError(broke, retryable=True, code="connection") from error
        except Exception as error:  # noqa: BLE001
            raise classify(error) from error

    stream.deltas = deltas()
    stream._close = response.close
    return stream


def _events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The JSON of each server-sent event, until `[DONE]` (multi-line data joined)."""
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line == "" and data:
            payload, data = "\n".join(data), []
            if payload == "[DONE]":
                return
            event = json.loads(payload)  # garbled: a ValueError, classified as such
            if isinstance(event, dict) and event.get("error"):
                failed = N_("The model's server reported an error mid-answer.")
                raise LlmError(failed, retryable=True, code="server_error")
            yield event
    if data and "\n".join(data) != "[DONE]":
        yield json.loads("\n".join(data))


def _read_chunk(stream: ChatStream, chunk: dict[str, Any]) -> str:
    """Note what a chat.completion.chunk says of the answer; its text."""
    stream.response_id = stream.response_id or chunk.get("id")
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        stream.usage = {
            key: usage.get(key) for key in ("prompt_tokens", "completion_tokens", "total_tokens")
        }
    text = ""
    for choice in chunk.get("choices") or ():
        if choice.get("finish_reason"):
            stream.finish_reason = choice["finish_reason"]
        content = (choice.get("delta") or {}).get("content")
        if isinstance(content, str):
            text += content
    return storable(text)


def _retry_after(response: httpx2.Response | None) -> float | None:
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


_HINTS = {
    401: ("auth", N_("The API key was refused: check LLM_API_KEY.")),
    403: ("auth", N_("The API key may not use this model: check LLM_API_KEY and LLM_MODEL.")),
    404: (
        "not_found",
        N_("The model or endpoint was not found: check LLM_MODEL and LLM_BASE_URL."),
    ),
}


def classify(error: Exception) -> LlmError:
    """Which failures another attempt may fix; messages never include the key."""
    if isinstance(error, LlmError):
        return error
    if isinstance(error, openai.APITimeoutError):
        return LlmError(N_("The model did not answer in time."), retryable=True, code="timeout")
    if isinstance(error, openai.APIConnectionError):
        message = N_("Could not reach the model's server.")
        return LlmError(message, retryable=True, code="connection")
    if isinstance(error, openai.RateLimitError):
        return LlmError(
            N_("The model's server is busy (rate limited)."),
            retryable=True,
            code="rate_limited",
            retry_after=_retry_after(error.response),
        )
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        if status >= 500:
            message = N_("The model's server failed (HTTP %(status)d).")
            return LlmError(message, retryable=True, code="server_error", params={"status": status})
        code, message = _HINTS.get(
            status, ("rejected", N_("The model's server rejected the request (HTTP %(status)d)."))
        )
        return LlmError(message, retryable=False, code=code, params={"status": status})
    if isinstance(error, httpx2.TransportError | openai.APIError):
        broke = N_("The connection to the model broke off mid-answer.")
        return LlmError(broke, retryable=True, code="connection")
    if isinstance(error, ValueError):
        # The client hands on a garbled server-sent event as a bare JSON error.
        return LlmError(N_("The model's stream was garbled."), retryable=True, code="garbled")
    message = N_("Unexpected model error (%(name)s).")
    return LlmError(
        message, retryable=False, code="internal", params={"name": type(error).__name__}
    )
