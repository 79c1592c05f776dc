"""Fake OpenAI-compatible chat provider, run as a subprocess by the tests and benchmarks."""

# Usage: python tests/fake_provider.py --port 0   (prints "READY http://127.0.0.1:PORT").
# Stdlib only, so it starts fast and cannot be skewed by the app's own dependencies.
# A "[[script:NAME]]" marker in any message picks a script registered via /_control/scripts:
#   POST   /_control/scripts                -> 201 {"name", "tokens"}  (replaces same name)
#   DELETE /_control/scripts                -> {"cleared": n}
#   POST   /_control/scripts/NAME/release   -> {"released": NAME}
#   GET    /_control/requests[?script=NAME] -> [{"script", "body", "headers", "at", "path"}]
#   GET    /_control/sent[?script=NAME]     -> [{"script", "request", "index", "token", "at"}]
#   DELETE /_control/requests | /_control/sent[?script=NAME] -> {"cleared": n}
#   GET    /_control/active                 -> int (chat responses still being written)
# A script with "refuse_json_mode": true answers 400 to requests with a response_format; one
# with "fault_on": [ordinals] has its fault only on those requests (0: its first).
#
# OpenAI's Responses API (Bearer auth; the marker is looked for in `input` and `instructions`):
#   POST /v1/responses                       -> the response object, or SSE with stream: true
#   GET  /v1/responses/ID                    -> the response object as of now (404 if unknown)
#   GET  /v1/responses/ID?stream=true&starting_after=N -> SSE of the events after N (background
#        only, else 400; 400 "can no longer be streamed" once older than the stream-again age)
#   POST /v1/responses/ID/cancel             -> the response object (background only, else 400)
#   GET  /_control/responses[?script=NAME]   -> [{"id", "script", "background", "created_at",
#        "status", "cancelled", "cancel_calls", "retrieves", "streams", "open_streams", "usage"}]
#   DELETE /_control/responses[?script=NAME] -> {"cleared": n} (their open streams end)
#   GET  /_control/config                    -> {"stream_again_seconds": x}
#   POST /_control/config {"stream_again_seconds": x} -> the config (--stream-again-seconds)
# A response's timeline is fixed at creation: "queued" for "queued_ms" (background only), then
# "searches" web search calls of "search_delay_ms" each, then the tokens as for chat, with
# "citations" [{"title", "url", "after": token index[, "start_index", "end_index"]}] emitted as
# url_citation annotations after that token; a background response follows it on the server's
# clock, a foreground one only while its client stays (a hang-up leaves it "cancelled").
# "stay_queued": true keeps it queued until cancelled; "retrieve_fault": {"status"[, "times"]}
# answers the first `times` plain retrieves of each response with that status (all if no times);
# "no_responses_api": true answers 404 to every /v1/responses request of the script. Faults:
# "status" fails the create (times / fault_on count the script's creates); "drop", "stall",
# "bad_json" (after N events) and "split_utf8" apply to stream connections of each response,
# numbered 0 (the create's stream) and 1, 2, ... (its stream-again requests, refused or not).
# Only creates go to /_control/requests; "pause_at" and "finish_reason" do not apply here.
# "chat_replies": [text, ...] answers chat request k of the script with text k (at once,
# without the script's pace or fault), then the content: a job's first calls (its questions)
# before the answer every later call gets.

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SCRIPT_MARKER = re.compile(r"\[\[script:([^\]\s]+)\]\]")
PARAMS_BLOCK = re.compile(r"<params>(.*?)</params>", re.DOTALL)
FAULT_KINDS = frozenset({"status", "drop", "stall", "bad_json", "no_done", "split_utf8"})
DEFAULT_NUM_IDEAS = 3
# Matches OpenAI's own (type, code) pairs so client code that inspects them behaves as in prod.
ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", "service_unavailable"),
}
# Long enough that the two halves of a split character reach the client as separate reads.
SPLIT_GAP_SECONDS = 0.02
# Bounds how long a paused stream can go without noticing that its client hung up.
GATE_POLL_SECONDS = 0.05
# How old a background response may be and still be streamed again (--stream-again-seconds).
DEFAULT_STREAM_AGAIN_SECONDS = 300.0
DEFAULT_RESPONSE_TEXT = "A short answer from the fake Responses API."


@dataclass
class Script:
    """A registered reply: the tokens to stream plus timing, pause and fault settings."""

    name: str | None
    tokens: list[str]
    delay_ms: float = 0.0
    first_token_delay_ms: float | None = None
    pause_at: int | None = None
    fault: dict[str, Any] | None = None
    usage: dict[str, int] | None = None
    finish_reason: str = "stop"
    times: int | None = None
    # The fault only on these requests of the script (0-based ordinals), if given.
    fault_on: list[int] | None = None
    # Answer 400 to a request asking for JSON output, as providers without JSON mode do.
    refuse_json_mode: bool = False
    # Responses API only: the timeline before the tokens, citations and API-level faults.
    searches: int = 0
    search_delay_ms: float = 0.0
    queued_ms: float = 0.0
    citations: list[dict[str, Any]] = field(default_factory=list)
    stay_queued: bool = False
    retrieve_fault: dict[str, Any] | None = None
    no_responses_api: bool = False
    # Chat requests 0, 1, … of the script answer these texts first (then the content).
    chat_replies: list[str] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    served: int = 0
    # Create requests of the Responses API made for this script (faulted ones included).
    creates_asked: int = 0

    @property
    def content(self) -> str:
        """Return the full reply text."""
        return "".join(self.tokens)

    def delay_before(self, index: int) -> float:
        """Return the seconds to sleep before token ``index``."""
        if index == 0 and self.first_token_delay_ms is not None:
            return self.first_token_delay_ms / 1000
        return self.delay_ms / 1000


class ControlError(ValueError):
    """A malformed control or chat request, reported to the caller as a 400."""


class State:
    """Everything shared between handler threads, guarded by one lock."""

    def __init__(
        self, model: str, stream_again_seconds: float = DEFAULT_STREAM_AGAIN_SECONDS
    ) -> None:
        """Start with no scripts and empty logs."""
        self.lock = threading.Lock()
        self.model = model
        self.scripts: dict[str, Script] = {}
        self.requests: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.default_served = 0
        self.active = 0
        # Responses API: every created response by id, and how old one may be to stream again.
        self.responses: dict[str, StoredResponse] = {}
        self.stream_again_seconds = stream_again_seconds

    def next_ordinal(self, script: Script) -> int:
        """Return this request's 0-based ordinal for its script and count it."""
        with self.lock:
            if script.name is None:
                # The default script is rebuilt per request, so its counter lives here.
                ordinal = self.default_served
                self.default_served += 1
            else:
                ordinal = script.served
                script.served += 1
        return ordinal


def split_tokens(content: str, token_chars: int) -> list[str]:
    """Split ``content`` into tokens of ``token_chars`` characters."""
    return [content[i : i + token_chars] for i in range(0, len(content), token_chars)]


def message_text(message: Any) -> str:
    """Return the text of a chat message whose content is a string or a list of parts."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def script_name(body: dict[str, Any]) -> str | None:
    """Return the first ``[[script:NAME]]`` marker found in the messages, if any."""
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        match = SCRIPT_MARKER.search(message_text(message))
        if match:
            return match.group(1)
    return None


def requested_num_ideas(body: dict[str, Any]) -> int:
    """Read ``numIdeas`` from the ``<params>`` JSON in the last user message."""
    messages = body.get("messages")
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        return DEFAULT_NUM_IDEAS
    match = PARAMS_BLOCK.search(message_text(users[-1]))
    if not match:
        return DEFAULT_NUM_IDEAS
    try:
        params = json.loads(match.group(1))
    except ValueError:
        return DEFAULT_NUM_IDEAS
    value = params.get("numIdeas") if isinstance(params, dict) else None
    # bool is an int subclass; a stray ``true`` must not become one idea.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000:
        return value
    return DEFAULT_NUM_IDEAS


def default_script(body: dict[str, Any]) -> Script:
    """Build the default brainstorm reply: ``{"ideas": [...]}`` with the requested count."""
    ideas = [
        {"title": f"Idea {i}", "body": f"A short drama premise, number {i}, with a twist."}
        for i in range(1, requested_num_ideas(body) + 1)
    ]
    content = json.dumps({"ideas": ideas}, ensure_ascii=False)
    return Script(name=None, tokens=split_tokens(content, 4))


def _number(data: dict[str, Any], key: str, default: float | None) -> float | None:
    """Read an optional non-negative number from a control payload."""
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(f"{key} must be a non-negative number")
    return float(value)


def _integer(data: dict[str, Any], key: str) -> int | None:
    """Read an optional non-negative integer from a control payload."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ControlError(f"{key} must be a non-negative integer")
    return value


def _ordinals(data: dict[str, Any]) -> list[int] | None:
    value = data.get("fault_on")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise ControlError("fault_on must be a list of request ordinals")
    return value


def parse_script(data: Any) -> Script:
    """Validate a ``POST /_control/scripts`` payload and build the script."""
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not SCRIPT_MARKER.fullmatch(f"[[script:{name}]]"):
        raise ControlError("name must be a non-empty string without spaces or ']'")
    tokens = data.get("tokens")
    if tokens is not None:
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ControlError("tokens must be a list of strings")
        # An empty token would be an empty delta, which real providers never send.
        tokens = [t for t in tokens if t]
    else:
        content = data.get("content")
        if not isinstance(content, str):
            raise ControlError("content (string) or tokens (list) is required")
        token_chars = _integer(data, "token_chars") or 4
        tokens = split_tokens(content, token_chars)
    fault = data.get("fault")
    if fault is not None:
        if not isinstance(fault, dict) or fault.get("kind") not in FAULT_KINDS:
            raise ControlError(f"fault.kind must be one of {sorted(FAULT_KINDS)}")
        _integer(fault, "after")
        _number(fault, "seconds", None)
        _integer(fault, "status")
    usage = data.get("usage")
    if usage is not None and (
        not isinstance(usage, dict)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in usage.values())
    ):
        raise ControlError("usage must map token counts to integers")
    finish_reason = data.get("finish_reason", "stop")
    if not isinstance(finish_reason, str):
        raise ControlError("finish_reason must be a string")
    retrieve_fault = data.get("retrieve_fault")
    if retrieve_fault is not None:
        if not isinstance(retrieve_fault, dict):
            raise ControlError("retrieve_fault must be an object")
        _integer(retrieve_fault, "status")
        _integer(retrieve_fault, "times")
    return Script(
        name=name,
        tokens=tokens,
        delay_ms=_number(data, "delay_ms", 0.0) or 0.0,
        first_token_delay_ms=_number(data, "first_token_delay_ms", None),
        pause_at=_integer(data, "pause_at"),
        fault=fault,
        usage=usage,
        finish_reason=finish_reason,
        times=_integer(data, "times"),
        fault_on=_ordinals(data),
        refuse_json_mode=bool(data.get("refuse_json_mode", False)),
        searches=_integer(data, "searches") or 0,
        search_delay_ms=_number(data, "search_delay_ms", 0.0) or 0.0,
        queued_ms=_number(data, "queued_ms", 0.0) or 0.0,
        citations=_citations(data),
        stay_queued=bool(data.get("stay_queued", False)),
        retrieve_fault=retrieve_fault,
        no_responses_api=bool(data.get("no_responses_api", False)),
        chat_replies=_replies(data),
    )


def _replies(data: dict[str, Any]) -> list[str]:
    value = data.get("chat_replies", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlError("chat_replies must be a list of strings")
    return value


def _citations(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate the ``citations`` of a script: ``[{"title", "url", "after"}, ...]``."""
    value = data.get("citations")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise ControlError("citations must be a list of objects")
    for citation in value:
        if not isinstance(citation.get("title"), str) or not isinstance(citation.get("url"), str):
            raise ControlError("each citation needs a title and a url (strings)")
        _integer(citation, "after")
        _integer(citation, "start_index")
        _integer(citation, "end_index")
    return value


def usage_for(script: Script, body: dict[str, Any]) -> dict[str, int]:
    """Return the usage block: the script's numbers, else a rough 4-chars-per-token count."""
    given = script.usage or {}
    prompt_chars = sum(len(message_text(m)) for m in body.get("messages") or [])
    prompt = given.get("prompt_tokens", max(1, prompt_chars // 4))
    completion = given.get("completion_tokens", (len(script.content) + 3) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """Build OpenAI's error JSON for ``status``."""
    kind, default_code = ERROR_KINDS.get(status, ("api_error", None))
    return {
        "error": {"message": message, "type": kind, "param": None, "code": code or default_code}
    }


def json_text(payload: Any) -> str:
    """Compact JSON, raw UTF-8 like OpenAI; a lone surrogate (not UTF-8) as its escape."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def encode_event(payload: Any) -> bytes:
    """Encode one SSE ``data:`` event; raw UTF-8, so splits can land mid-character."""
    text = payload if isinstance(payload, str) else json_text(payload)
    return f"data: {text}\n\n".encode()


# --------------------------------------------------------------------------- Responses API

TERMINAL_EVENTS = frozenset({"response.completed", "response.failed", "response.incomplete"})


def response_texts(body: dict[str, Any]) -> list[str]:
    """Return the texts of a Responses request: its instructions, then its input messages."""
    texts = []
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        texts.append(instructions)
    given = body.get("input")
    if isinstance(given, str):
        texts.append(given)
    elif isinstance(given, list):
        texts.extend(message_text(item) for item in given)
    return texts


def response_script_name(body: dict[str, Any]) -> str | None:
    """Return the first ``[[script:NAME]]`` marker in the instructions or input, if any."""
    for text in response_texts(body):
        match = SCRIPT_MARKER.search(text)
        if match:
            return match.group(1)
    return None


def response_usage(script: Script, body: dict[str, Any]) -> dict[str, Any]:
    """Return a Responses usage block: the script's numbers, else ~4 characters per token."""
    given = script.usage or {}
    chars = sum(len(text) for text in response_texts(body))
    tokens_in = given.get("input_tokens", given.get("prompt_tokens", max(1, chars // 4)))
    tokens_out = given.get(
        "output_tokens", given.get("completion_tokens", (len(script.content) + 3) // 4)
    )
    return {
        "input_tokens": tokens_in,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": tokens_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": tokens_in + tokens_out,
    }


def encode_named_event(payload: dict[str, Any]) -> bytes:
    """Encode one Responses SSE event: ``event: <type>`` then its JSON ``data:`` line."""
    return f"event: {payload['type']}\ndata: {json_text(payload)}\n\n".encode()


@dataclass
class StoredResponse:
    """A created response: its event timeline, fixed at creation, and what was done to it."""

    id: str
    script: Script
    background: bool
    store: bool
    created_wall: float
    started: float
    # (seconds after creation, event) in sequence order; events[i]["sequence_number"] == i.
    events: list[tuple[float, dict[str, Any]]]
    in_progress_offset: float | None
    completed_offset: float | None
    base: dict[str, Any]
    output: list[dict[str, Any]]
    usage: dict[str, Any]
    # Nothing happens after this offset: set by a cancel, or a foreground client's hang-up.
    cutoff: float | None = None
    cancelled: bool = False
    discarded: bool = False
    cancel_calls: int = 0
    retrieves: int = 0
    streams: int = 0
    open_streams: int = 0

    def offset(self) -> float:
        """Seconds since creation, on the monotonic clock."""
        return time.monotonic() - self.started

    def due(self, offset: float) -> int:
        """Return how many events have happened by ``offset``."""
        count = 0
        for at, _ in self.events:
            if at > offset or (self.cutoff is not None and at > self.cutoff):
                break
            count += 1
        return count

    def next_due(self, offset: float) -> float | None:
        """Return the offset of the next event still to happen, if any."""
        if self.over(offset):
            return None
        index = self.due(offset)
        return self.events[index][0] if index < len(self.events) else None

    def over(self, offset: float) -> bool:
        """Return whether no event can happen after ``offset`` any more."""
        if self.discarded or self.cutoff is not None:
            return True
        return self.completed_offset is not None and offset >= self.completed_offset

    def status(self, offset: float) -> str:
        """Return the status the timeline gives at ``offset``."""
        done = self.completed_offset
        if done is not None and offset >= done and (self.cutoff is None or done <= self.cutoff):
            return "completed"
        if self.cutoff is not None:
            return "cancelled"
        if self.in_progress_offset is None or offset < self.in_progress_offset:
            return "queued" if self.background else "in_progress"
        return "in_progress"

    def snapshot(self, status: str) -> dict[str, Any]:
        """Build the response object with ``status``; output and usage only once completed."""
        done = status == "completed" and self.completed_offset is not None
        completed_at = int(self.created_wall + self.completed_offset) if done else None
        return {
            **self.base,
            "status": status,
            "completed_at": completed_at,
            "output": self.output if done else [],
            "usage": self.usage if done else None,
        }

    def now(self) -> dict[str, Any]:
        """Return the response object as of now."""
        return self.snapshot(self.status(self.offset()))

    def summary(self) -> dict[str, Any]:
        """Return this response's entry in ``GET /_control/responses``."""
        return {
            "id": self.id,
            "script": self.script.name,
            "background": self.background,
            "created_at": self.created_wall,
            "status": self.status(self.offset()),
            "cancelled": self.cancelled,
            "cancel_calls": self.cancel_calls,
            "retrieves": self.retrieves,
            "streams": self.streams,
            "open_streams": self.open_streams,
            "usage": self.usage,
        }


def build_response(
    script: Script, body: dict[str, Any], model: str, background: bool, store: bool
) -> StoredResponse:
    """Lay out a new response's whole timeline of events, starting now."""
    created_wall = time.time()
    response_id = f"resp_{uuid.uuid4().hex}{uuid.uuid4().hex[:16]}"
    tools = body.get("tools")
    base = {
        "id": response_id,
        "object": "response",
        "created_at": int(created_wall),
        "status": "queued",
        "background": background,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body.get("model") or model,
        "output": [],
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": store,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": tools if isinstance(tools, list) else [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": body.get("metadata") if isinstance(body.get("metadata"), dict) else {},
    }
    stored = StoredResponse(
        id=response_id,
        script=script,
        background=background,
        store=store,
        created_wall=created_wall,
        started=time.monotonic(),
        events=[],
        in_progress_offset=None,
        completed_offset=None,
        base=base,
        output=[],
        usage=response_usage(script, body),
    )
    events = stored.events

    def add(at: float, kind: str, **fields: Any) -> None:
        events.append((at, {"type": kind, **fields, "sequence_number": len(events)}))

    first = "queued" if background else "in_progress"
    add(0.0, "response.created", response=stored.snapshot(first))
    if script.stay_queued:
        return stored
    now = script.queued_ms / 1000 if background else 0.0
    stored.in_progress_offset = now
    add(now, "response.in_progress", response=stored.snapshot("in_progress"))

    sources = [{"type": "url", "url": c["url"]} for c in script.citations]
    for index in range(script.searches):
        item_id = f"ws_{uuid.uuid4().hex}"
        action = {"type": "search", "query": f"fake search {index + 1}"}
        item = {"id": item_id, "type": "web_search_call", "status": "in_progress"}
        ids = {"item_id": item_id, "output_index": index}
        add(now, "response.output_item.added", output_index=index, item={**item, "action": action})
        add(now, "response.web_search_call.in_progress", **ids)
        add(now, "response.web_search_call.searching", **ids)
        now += script.search_delay_ms / 1000
        add(now, "response.web_search_call.completed", **ids)
        done = {**item, "status": "completed", "action": {**action, "sources": sources}}
        add(now, "response.output_item.done", output_index=index, item=done)
        stored.output.append(done)

    message_id = f"msg_{uuid.uuid4().hex}"
    ids = {"item_id": message_id, "output_index": script.searches}
    message = {"id": message_id, "type": "message", "status": "in_progress", "role": "assistant"}
    add(
        now,
        "response.output_item.added",
        output_index=script.searches,
        item=message | {"content": []},
    )
    empty_part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    add(now, "response.content_part.added", **ids, content_index=0, part=empty_part)

    # Each citation covers the token after which it comes, unless it names its own span.
    starts = [0]
    for token in script.tokens:
        starts.append(starts[-1] + len(token))
    last = max(len(script.tokens) - 1, 0)
    annotations: list[dict[str, Any]] = []
    pending = sorted(
        enumerate(script.citations), key=lambda pair: (min(pair[1].get("after", 0), last), pair[0])
    )

    def annotate(up_to: int) -> None:
        while pending and min(pending[0][1].get("after", 0), last) <= up_to:
            _, citation = pending.pop(0)
            token = min(citation.get("after", 0), last)
            annotation = {
                "type": "url_citation",
                "url": citation["url"],
                "title": citation["title"],
                "start_index": citation.get("start_index", starts[token]),
                "end_index": citation.get("end_index", starts[min(token + 1, len(starts) - 1)]),
            }
            add(
                now,
                "response.output_text.annotation.added",
                **ids,
                content_index=0,
                annotation_index=len(annotations),
                annotation=annotation,
            )
            annotations.append(annotation)

    for index, token in enumerate(script.tokens):
        now += script.delay_before(index)
        add(now, "response.output_text.delta", **ids, content_index=0, delta=token, logprobs=[])
        annotate(index)
    annotate(last)

    text = script.content
    part = {"type": "output_text", "annotations": annotations, "logprobs": [], "text": text}
    add(now, "response.output_text.done", **ids, content_index=0, text=text, logprobs=[])
    add(now, "response.content_part.done", **ids, content_index=0, part=part)
    finished = {**message, "status": "completed", "content": [part]}
    add(now, "response.output_item.done", output_index=script.searches, item=finished)
    stored.output.append(finished)
    stored.completed_offset = now
    add(now, "response.completed", response=stored.snapshot("completed"))
    return stored


def stream_fault(script: Script, connection: int) -> dict[str, Any] | None:
    """Return the fault for stream connection ``connection`` of a response, if any."""
    fault = script.fault
    if fault is None or fault["kind"] == "status":
        return None
    if script.times is not None and connection >= script.times:
        return None
    if script.fault_on is not None and connection not in script.fault_on:
        return None
    return fault


class FakeProviderServer(ThreadingHTTPServer):
    """Threaded HTTP server holding the shared fake-provider state."""

    daemon_threads = True
    # The default backlog of 5 drops connections when a benchmark opens 60+ streams at once.
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        model: str,
        stream_again_seconds: float = DEFAULT_STREAM_AGAIN_SECONDS,
    ) -> None:
        """Bind to ``address`` and start with empty state."""
        self.state = State(model, stream_again_seconds)
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; tests do that on purpose."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Routes the OpenAI-compatible endpoints and the unauthenticated ``/_control`` API."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeProvider/1.0"
    # Without TCP_NODELAY, Nagle plus delayed ACKs holds small SSE writes back ~40 ms.
    disable_nagle_algorithm = True
    server: FakeProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        """Drop per-request access logs; they would flood the test output."""

    # ----------------------------------------------------------------------------- routing

    def do_GET(self) -> None:
        """Serve GET routes."""
        path, query = self._route()
        state = self.server.state
        if path == "/v1/models":
            if self._require_auth():
                created = int(time.time())
                model = {"id": state.model, "object": "model", "created": created}
                self._send_json(200, {"object": "list", "data": [{**model, "owned_by": "fake"}]})
        elif path == "/_control/requests":
            with state.lock:
                items = [r for r in state.requests if self._matches(r, query)]
            self._send_json(200, items)
        elif path == "/_control/sent":
            with state.lock:
                items = [s for s in state.sent if self._matches(s, query)]
            self._send_json(200, items)
        elif path == "/_control/active":
            with state.lock:
                active = state.active
            self._send_json(200, active)
        elif path == "/_control/responses":
            with state.lock:
                items = [r.summary() for r in state.responses.values()]
            self._send_json(200, [r for r in items if self._matches(r, query)])
        elif path == "/_control/config":
            with state.lock:
                config = {"stream_again_seconds": state.stream_again_seconds}
            self._send_json(200, config)
        elif (response_id := self._response_id(path)) is not None:
            self._retrieve(response_id, query)
        else:
            self._send_error_json(404, f"Unknown path {path}", "unknown_url")

    def do_POST(self) -> None:
        """Serve POST routes."""
        path, _ = self._route()
        if path in ("/v1/chat/completions", "/chat/completions"):
            self._chat()
            return
        if path in ("/v1/responses", "/responses"):
            self._create_response()
            return
        if path.endswith("/cancel") and (found := self._response_id(path[: -len("/cancel")])):
            self._read_body()
            self._cancel(found)
            return
        raw = self._read_body()
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            self._send_error_json(400, "Body is not valid JSON")
            return
        if path == "/_control/scripts":
            self._register(data)
        elif path.startswith("/_control/scripts/") and path.endswith("/release"):
            self._release(unquote(path.removeprefix("/_control/scripts/").removesuffix("/release")))
        elif path == "/_control/config":
            self._configure(data)
        else:
            self._send_error_json(404, f"Unknown path {path}", "unknown_url")

    def do_DELETE(self) -> None:
        """Serve DELETE routes that reset logs and scripts."""
        path, query = self._route()
        self._read_body()
        state = self.server.state
        with state.lock:
            if path == "/_control/requests":
                cleared, state.requests = len(state.requests), []
            elif path == "/_control/sent":
                kept = [s for s in state.sent if not self._matches(s, query)]
                cleared, state.sent = len(state.sent) - len(kept), kept
            elif path == "/_control/scripts":
                for script in state.scripts.values():
                    # Paused streams must not outlive the scripts they belong to.
                    script.gate.set()
                cleared, state.scripts = len(state.scripts), {}
            elif path == "/_control/responses":
                gone = [r for r in state.responses.values() if self._matches(r.summary(), query)]
                for response in gone:
                    # Streams still open on a cleared response end at their next look.
                    response.discarded = True
                    del state.responses[response.id]
                cleared = len(gone)
            else:
                cleared = -1
        if cleared < 0:
            self._send_error_json(404, f"Unknown path {path}", "unknown_url")
        else:
            self._send_json(200, {"cleared": cleared})

    # ----------------------------------------------------------------------------- control

    def _register(self, data: Any) -> None:
        """Register or replace a script."""
        try:
            script = parse_script(data)
        except ControlError as exc:
            self._send_error_json(400, str(exc))
            return
        name = str(script.name)
        state = self.server.state
        with state.lock:
            old = state.scripts.get(name)
            if old is not None:
                # Release the old gate so streams paused on the replaced script cannot hang.
                old.gate.set()
            state.scripts[name] = script
            # Ordinals restart with the new script, so old sent entries would collide.
            state.sent = [s for s in state.sent if s["script"] != name]
        self._send_json(201, {"name": name, "tokens": script.tokens})

    def _release(self, name: str) -> None:
        """Open a script's pause gate."""
        state = self.server.state
        with state.lock:
            script = state.scripts.get(name)
        if script is None:
            self._send_error_json(404, f"No script named {name!r}", "unknown_script")
            return
        script.gate.set()
        self._send_json(200, {"released": name})

    @staticmethod
    def _matches(entry: dict[str, Any], query: dict[str, list[str]]) -> bool:
        """Apply the optional ``?script=NAME`` filter (``?script=`` selects the default)."""
        if "script" not in query:
            return True
        return entry["script"] == (query["script"][0] or None)

    def _recorded(self, named: Any) -> tuple[Any, str | None]:
        """Read the request's JSON body (None if it is not JSON) and its script's name, and
        log the request for ``/_control/requests``."""
        raw = self._read_body()
        received = time.time()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        name = named(body) if isinstance(body, dict) else None
        record = {
            "script": name,
            "body": body if body is not None else raw.decode("utf-8", "replace"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "at": received,
            "path": self._route()[0],
        }
        with self.server.state.lock:
            self.server.state.requests.append(record)
        return body, name

    def _script(self, name: str | None, default: Any) -> Script | None:
        """The request's script: the named one (None, after a 400, if there is none), else
        the default the endpoint builds."""
        if name is None:
            return default()
        with self.server.state.lock:
            found = self.server.state.scripts.get(name)
        if found is None:
            self._send_error_json(400, f"No script named {name!r}", "unknown_script")
        return found

    # ----------------------------------------------------------------------------- chat

    def _chat(self) -> None:
        """Handle ``POST /v1/chat/completions``."""
        state = self.server.state
        body, name = self._recorded(script_name)
        if not self._require_auth():
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._send_error_json(400, "Request body must be JSON with a 'messages' list")
            return
        script = self._script(name, lambda: default_script(body))
        if script is None:
            return
        if script.refuse_json_mode and "response_format" in body:
            self._send_error_json(400, "response_format is not supported by this model")
            return
        ordinal = state.next_ordinal(script)
        if ordinal < len(script.chat_replies):
            # This request's own reply, paced and faulted like the script's.
            reply = split_tokens(script.chat_replies[ordinal], 4)
            script = dataclasses.replace(
                script,
                tokens=reply,
                fault=None,
                delay_ms=0.0,
                first_token_delay_ms=None,
                gate=script.gate,
            )
        fault = script.fault
        if fault is not None and script.times is not None and ordinal >= script.times:
            fault = None
        if fault is not None and script.fault_on is not None and ordinal not in script.fault_on:
            fault = None
        if fault is not None and fault["kind"] == "status":
            self._send_status_fault(fault)
            return
        with state.lock:
            state.active += 1
        try:
            if body.get("stream"):
                self._stream(script, fault, ordinal, body)
            else:
                self._complete(script, fault, body)
        except OSError:
            # The client went away mid-response; nothing to report, just stop quietly.
            self.close_connection = True
        finally:
            with state.lock:
                state.active -= 1

    def _send_status_fault(self, fault: dict[str, Any]) -> None:
        """Answer with the fault's HTTP error before any token."""
        status = int(fault.get("status", 500))
        message = str(fault.get("message") or f"Injected fault: HTTP {status}")
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        self._send_error_json(status, message, headers=headers)

    def _stream(
        self, script: Script, fault: dict[str, Any] | None, ordinal: int, body: dict[str, Any]
    ) -> None:
        """Stream ``script`` as ``chat.completion.chunk`` SSE events over chunked encoding."""
        state = self.server.state
        kind = fault["kind"] if fault else None
        fault_at = min(int(fault.get("after", 0)), len(script.tokens)) if fault else -1
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model") or state.model,
            "system_fingerprint": "fp_fake",
        }
        if include_usage:
            # OpenAI sends usage: null on every chunk but the last when usage is requested.
            base["usage"] = None
        split = kind == "split_utf8"

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Request-Id", f"req_{uuid.uuid4().hex}")
        self.end_headers()

        # Index len(tokens) is the point just before the final chunk, so faults and pauses
        # placed past the last token still fire.
        for index in range(len(script.tokens) + 1):
            if index == fault_at:
                if kind == "drop":
                    self._abort()
                    return
                if kind == "stall" and not self._wait(float(fault.get("seconds", 1.0))):
                    return
                if kind == "bad_json":
                    self._write_chunk(encode_event("{not json"))
            if index == script.pause_at and not self._await_gate(script.gate):
                return
            if index == len(script.tokens):
                break
            if not self._wait(script.delay_before(index)):
                return
            delta = {"content": script.tokens[index]}
            if index == 0:
                delta = {"role": "assistant", **delta}
            event = encode_event(self._chunk(base, delta, None))
            with state.lock:
                state.sent.append(
                    {
                        "script": script.name,
                        "request": ordinal,
                        "index": index,
                        "token": script.tokens[index],
                        "at": time.time(),
                    }
                )
            self._write_event(event, split)
        if not script.tokens:
            # A reply with no tokens still announces the assistant role, as OpenAI does.
            self._write_event(encode_event(self._chunk(base, {"role": "assistant"}, None)), split)
        self._write_event(encode_event(self._chunk(base, {}, script.finish_reason)), split)
        if include_usage:
            final = {**base, "choices": [], "usage": usage_for(script, body)}
            self._write_event(encode_event(final), split)
        if kind == "no_done":
            self._write_chunk(b"")
            self.close_connection = True
            return
        self._write_event(encode_event("[DONE]"), split)
        self._write_chunk(b"")

    @staticmethod
    def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        """Build one ``chat.completion.chunk`` payload."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice]}

    def _complete(self, script: Script, fault: dict[str, Any] | None, body: dict[str, Any]) -> None:
        """Answer a non-streaming request with one ``chat.completion`` object."""
        kind = fault["kind"] if fault else None
        if script.pause_at is not None and not self._await_gate(script.gate):
            return
        total = sum(script.delay_before(i) for i in range(len(script.tokens)))
        if kind == "stall":
            total += float(fault.get("seconds", 1.0)) if fault else 0.0
        if not self._wait(total):
            return
        if kind == "drop":
            self._abort()
            return
        message = {"role": "assistant", "content": script.content, "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None}
        payload = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.server.state.model,
            "system_fingerprint": "fp_fake",
            "choices": [{**choice, "finish_reason": script.finish_reason}],
            "usage": usage_for(script, body),
        }
        self._send_json(200, payload)

    # ----------------------------------------------------------------------------- responses

    @staticmethod
    def _response_id(path: str) -> str | None:
        """Return ``ID`` for ``/v1/responses/ID`` (or ``/responses/ID``), else None."""
        for prefix in ("/v1/responses/", "/responses/"):
            if path.startswith(prefix):
                rest = unquote(path.removeprefix(prefix))
                return rest if rest and "/" not in rest else None
        return None

    def _no_such_response(self, response_id: str) -> None:
        """Answer 404 the way OpenAI does for an unknown (or unstored) response id."""
        message = f"Response with id '{response_id}' not found."
        self._send_error_json(404, message, "response_not_found")

    def _no_responses_api(self) -> None:
        """Answer 404 like a provider that has no Responses API."""
        self._send_error_json(
            404, f"Invalid URL ({self.command} {self._route()[0]})", "unknown_url"
        )

    def _lookup(self, response_id: str) -> StoredResponse | None:
        """Find a retrievable response, answering 404 (or 401) when there is none."""
        if not self._require_auth():
            return None
        with self.server.state.lock:
            found = self.server.state.responses.get(response_id)
        if found is None or not found.store:
            self._no_such_response(response_id)
            return None
        if found.script.no_responses_api:
            self._no_responses_api()
            return None
        return found

    def _create_response(self) -> None:
        """Handle ``POST /v1/responses``."""
        state = self.server.state
        body, name = self._recorded(response_script_name)
        if not self._require_auth():
            return
        if not isinstance(body, dict) or not isinstance(body.get("input"), str | list):
            self._send_error_json(400, "Request body must be JSON with an 'input' string or list")
            return
        script = self._script(
            name, lambda: Script(name=None, tokens=split_tokens(DEFAULT_RESPONSE_TEXT, 4))
        )
        if script is None:
            return
        if script.no_responses_api:
            self._no_responses_api()
            return
        background = bool(body.get("background"))
        store = body.get("store") is not False
        if background and not store:
            self._send_error_json(400, "Background mode requires store=true.")
            return
        with state.lock:
            ordinal = script.creates_asked
            script.creates_asked += 1
        fault = script.fault
        if fault is not None and fault["kind"] == "status":
            chosen = script.times is None or ordinal < script.times
            if chosen and (script.fault_on is None or ordinal in script.fault_on):
                self._send_status_fault(fault)
                return
        response = build_response(script, body, state.model, background, store)
        with state.lock:
            state.responses[response.id] = response
        try:
            if body.get("stream"):
                self._start_sse()
                self._pump(response, 0, stream_fault(script, 0))
            elif background:
                self._send_json(200, response.events[0][1]["response"])
            elif self._await_completion(response):
                with state.lock:
                    payload = response.now()
                self._send_json(200, payload)
        except OSError:
            self.close_connection = True
            self._hung_up(response)

    def _hung_up(self, response: StoredResponse) -> None:
        """A foreground response's client left: the response stops where it is."""
        with self.server.state.lock:
            if not response.background and not response.over(response.offset()):
                response.cutoff = response.offset()

    def _await_completion(self, response: StoredResponse) -> bool:
        """Wait for a foreground response to finish; False if its client hangs up first."""
        while True:
            with self.server.state.lock:
                offset = response.offset()
                if response.over(offset):
                    return True
                due = response.next_due(offset)
            wait = GATE_POLL_SECONDS if due is None else min(due - offset, GATE_POLL_SECONDS)
            if not self._wait(max(wait, 0.0)):
                self._hung_up(response)
                return False

    def _start_sse(self) -> None:
        """Send the headers of an SSE answer in chunked encoding."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("X-Request-Id", f"req_{uuid.uuid4().hex}")
        self.end_headers()

    def _pump(self, response: StoredResponse, first: int, fault: dict[str, Any] | None) -> None:
        """Stream events ``first``.. of ``response`` as they fall due, until it is over."""
        state = self.server.state
        kind = fault["kind"] if fault else None
        fault_at = int(fault.get("after", 0)) if fault else -1
        split = kind == "split_utf8"
        written = 0
        following = first
        with state.lock:
            response.open_streams += 1
        try:
            while True:
                with state.lock:
                    offset = response.offset()
                    due = response.due(offset)
                    batch = [event for _, event in response.events[following:due]]
                    over = response.over(offset)
                    upcoming = response.next_due(offset)
                for event in batch:
                    if written == fault_at:
                        if kind == "drop":
                            self._abort()
                            self._hung_up(response)
                            return
                        if kind == "stall" and not self._wait(float(fault.get("seconds", 1.0))):
                            self._hung_up(response)
                            return
                        if kind == "bad_json":
                            self._write_chunk(
                                b"event: " + event["type"].encode() + b"\ndata: {not json\n\n"
                            )
                    self._write_event(encode_named_event(event), split)
                    written += 1
                    following += 1
                if over and not batch:
                    break
                if over:
                    continue
                wait = GATE_POLL_SECONDS
                if upcoming is not None:
                    wait = min(max(upcoming - response.offset(), 0.0), GATE_POLL_SECONDS)
                if not self._wait(wait):
                    self._hung_up(response)
                    return
            if kind == "drop" and written <= fault_at:
                # Asked to drop after more events than there were: drop instead of ending.
                self._abort()
                return
            self._write_chunk(b"")
        except OSError:
            self.close_connection = True
            self._hung_up(response)
        finally:
            with state.lock:
                response.open_streams -= 1

    def _retrieve(self, response_id: str, query: dict[str, list[str]]) -> None:
        """Handle ``GET /v1/responses/ID``, plain or as a stream-again request."""
        state = self.server.state
        again = query.get("stream", [""])[0].lower() in ("true", "1")
        response = self._lookup(response_id)
        if response is None:
            return
        connection = poll = 0
        with state.lock:
            if again:
                connection = response.streams + 1
                response.streams += 1
            else:
                poll = response.retrieves
                response.retrieves += 1
            age = time.time() - response.created_wall
            limit = state.stream_again_seconds
        if not again:
            failure = response.script.retrieve_fault
            if failure is not None:
                times = failure.get("times")
                if times is None or poll < times:
                    self._send_status_fault({**failure, "status": failure.get("status", 503)})
                    return
            with state.lock:
                payload = response.now()
            self._send_json(200, payload)
            return
        if not response.background:
            message = "Only responses created with background=true can be streamed again."
            self._send_error_json(400, message)
            return
        if age > limit:
            message = (
                f"Response '{response_id}' can no longer be streamed: it was created more than "
                f"{limit:g} seconds ago. Retrieve it without stream instead."
            )
            self._send_error_json(400, message)
            return
        try:
            after = int(query.get("starting_after", ["-1"])[0] or -1)
        except ValueError:
            self._send_error_json(400, "starting_after must be an integer")
            return
        self._start_sse()
        self._pump(response, max(after + 1, 0), stream_fault(response.script, connection))

    def _cancel(self, response_id: str) -> None:
        """Handle ``POST /v1/responses/ID/cancel``."""
        state = self.server.state
        response = self._lookup(response_id)
        if response is None:
            return
        with state.lock:
            response.cancel_calls += 1
            if response.background:
                offset = response.offset()
                if response.status(offset) in ("queued", "in_progress"):
                    response.cutoff = offset
                    response.cancelled = True
                payload = response.now()
        if not response.background:
            self._send_error_json(400, "Cannot cancel a synchronous response.")
            return
        self._send_json(200, payload)

    def _configure(self, data: Any) -> None:
        """Handle ``POST /_control/config``: change the stream-again age at run time."""
        state = self.server.state
        try:
            if not isinstance(data, dict):
                raise ControlError("body must be a JSON object")
            seconds = _number(data, "stream_again_seconds", None)
        except ControlError as exc:
            self._send_error_json(400, str(exc))
            return
        with state.lock:
            if seconds is not None:
                state.stream_again_seconds = seconds
            config = {"stream_again_seconds": state.stream_again_seconds}
        self._send_json(200, config)

    # ----------------------------------------------------------------------------- transport

    def _route(self) -> tuple[str, dict[str, list[str]]]:
        """Split the request target into path and query."""
        parts = urlsplit(self.path)
        return parts.path.rstrip("/") or "/", parse_qs(parts.query, keep_blank_values=True)

    def _read_body(self) -> bytes:
        """Read the request body so keep-alive connections stay in sync."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _require_auth(self) -> bool:
        """Check for ``Authorization: Bearer <non-empty>``, answering 401 when missing."""
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return True
        message = "You didn't provide an API key. Use 'Authorization: Bearer YOUR_KEY'."
        self._send_error_json(401, message, "invalid_api_key")
        return False

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Send a JSON response with a Content-Length."""
        data = json_text(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_error_json(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send an OpenAI-shaped error response."""
        self._send_json(status, error_body(status, message, code), headers)

    def _write_chunk(self, data: bytes) -> None:
        """Write one chunked-encoding frame in a single send; empty data ends the body."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if data else b"0\r\n\r\n")
        self.wfile.flush()

    def _write_event(self, event: bytes, split: bool) -> None:
        """Write an SSE event, optionally cut inside its first multi-byte UTF-8 character."""
        lead = next((i for i, byte in enumerate(event) if byte >= 0xC0), -1) if split else -1
        if lead < 0:
            self._write_chunk(event)
            return
        self._write_chunk(event[: lead + 1])
        time.sleep(SPLIT_GAP_SECONDS)
        self._write_chunk(event[lead + 1 :])

    def _abort(self) -> None:
        """Cut the connection mid-body so the client sees a truncated stream."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _peer_closed(self, timeout: float) -> bool | None:
        """Wait up to ``timeout`` for readability: True = peer hung up, None = data arrived."""
        # None lets callers stop polling: a pipelining client's bytes would make select spin.
        try:
            readable, _, _ = select.select([self.connection], [], [], timeout)
            if not readable:
                return False
            # The body is fully read, so the only thing a waiting HTTP client can send is EOF.
            return True if self.connection.recv(1, socket.MSG_PEEK) == b"" else None
        except (OSError, ValueError):
            return True

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` but return False early if the client disconnects."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            closed = self._peer_closed(remaining)
            if closed:
                self.close_connection = True
                return False
            if closed is None:
                time.sleep(max(0.0, deadline - time.monotonic()))
                break
        return True

    def _await_gate(self, gate: threading.Event) -> bool:
        """Block until ``gate`` opens; return False if the client disconnects first."""
        while not gate.wait(GATE_POLL_SECONDS):
            if self._peer_closed(0):
                self.close_connection = True
                return False
        return True


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the listening socket is closed on the way out."""
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start listening, announce READY and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--model", default="fake-model", help="model id for /v1/models")
    parser.add_argument(
        "--stream-again-seconds",
        type=float,
        default=DEFAULT_STREAM_AGAIN_SECONDS,
        help="how old a background response may be and still be streamed again",
    )
    args = parser.parse_args(argv)
    server = FakeProviderServer((args.host, args.port), args.model, args.stream_again_seconds)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    host, port = server.server_address[:2]
    print(f"READY http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
