"""The only door to a language model: an OpenAI-compatible endpoint or the offline demo."""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

from app.llm.demo import demo_reply, demo_tokens

DEMO_MODEL = "demo"


class LlmError(Exception):
    """A provider failure, classified: may another attempt succeed, and when."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message, self.retryable, self.retry_after = message, retryable, retry_after


@dataclass
class ChatStream:
    """Text deltas as the model writes them; usage and finish reason once it has ended."""

    model: str
    parameters: dict[str, Any]
    deltas: Iterator[str]
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
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


def stream_chat(
    messages: list[dict[str, str]], config: dict[str, Any], temperature: float = 0.9
) -> ChatStream:
    """Start a streamed chat completion with the configured model."""
    if is_demo(config):
        return _demo_stream(messages, config["DEMO_TOKEN_DELAY_MS"] / 1000)
    return _openai_stream(messages, config, temperature)


def _demo_stream(messages: list[dict[str, str]], delay: float) -> ChatStream:
    text = demo_reply(messages)
    tokens = demo_tokens(text)
    state = {"closed": False}
    stream = ChatStream(model=DEMO_MODEL, parameters={"token_delay": delay}, deltas=iter(()))

    def deltas() -> Iterator[str]:
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


def _openai_stream(
    messages: list[dict[str, str]], config: dict[str, Any], temperature: float
) -> ChatStream:
    client = openai.OpenAI(
        base_url=config.get("LLM_BASE_URL") or None,
        api_key=config["LLM_API_KEY"],
        timeout=httpx2.Timeout(config["LLM_TIMEOUT"], connect=10.0),
        max_retries=0,  # our jobs retry, with their own backoff and lineage
    )
    parameters = {"temperature": temperature}
    try:
        response = client.chat.completions.create(
            model=config["LLM_MODEL"],
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
            **parameters,
        )
    except Exception as error:  # noqa: BLE001 - every failure is classified
        raise classify(error) from error
    stream = ChatStream(model=config["LLM_MODEL"], parameters=parameters, deltas=iter(()))

    def deltas() -> Iterator[str]:
        try:
            for chunk in response:
                if chunk.usage:
                    stream.usage = {
                        "prompt_tokens": chunk.usage.prompt_tokens,
                        "completion_tokens": chunk.usage.completion_tokens,
                        "total_tokens": chunk.usage.total_tokens,
                    }
                for choice in chunk.choices:
                    if choice.finish_reason:
                        stream.finish_reason = choice.finish_reason
                    if choice.delta and choice.delta.content:
                        yield choice.delta.content
        except (openai.APIConnectionError, httpx2.TransportError) as error:
            broke = "The connection to the model broke off mid-answer."
            raise LlmError(broke, retryable=True) from error
        except Exception as error:  # noqa: BLE001
            raise classify(error) from error

    stream.deltas = deltas()
    stream._close = response.close
    return stream


def _retry_after(response: httpx2.Response | None) -> float | None:
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def classify(error: Exception) -> LlmError:
    """Which failures another attempt may fix; messages never include the key."""
    if isinstance(error, LlmError):
        return error
    if isinstance(error, openai.APITimeoutError):
        return LlmError("The model did not answer in time.", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return LlmError("Could not reach the model's server.", retryable=True)
    if isinstance(error, openai.RateLimitError):
        return LlmError(
            "The model's server is busy (rate limited).",
            retryable=True,
            retry_after=_retry_after(error.response),
        )
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        if status >= 500:
            return LlmError(f"The model's server failed (HTTP {status}).", retryable=True)
        hints = {
            401: "The API key was refused: check LLM_API_KEY.",
            403: "The API key may not use this model: check LLM_API_KEY and LLM_MODEL.",
            404: "The model or endpoint was not found: check LLM_MODEL and LLM_BASE_URL.",
        }
        return LlmError(
            hints.get(status, f"The model's server rejected the request (HTTP {status})."),
            retryable=False,
        )
    if isinstance(error, httpx2.TransportError | openai.APIError):
        return LlmError("The connection to the model broke off mid-answer.", retryable=True)
    if isinstance(error, ValueError):
        # The client hands on a garbled server-sent event as a bare JSON error.
        return LlmError("The model's stream was garbled.", retryable=True)
    return LlmError(f"Unexpected model error ({type(error).__name__}).", retryable=False)


def model_name(config: dict[str, Any]) -> str:
    """The model that will answer under this configuration."""
    return DEMO_MODEL if is_demo(config) else config["LLM_MODEL"]
