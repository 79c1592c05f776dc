"""Fake OpenAI-compatible chat provider, run as a subprocess by the tests and benchmarks."""

# Usage: python tests/fake_provider.py --port 0   (prints "READY http://127.0.0.1:PORT").
# Stdlib only, so it starts fast and cannot be skewed by the app's own dependencies.
# A "[[script:NAME]]" marker in any message picks a script registered via /_control/scripts:
#   POST   /_control/scripts                -> 201 {"name", "tokens"}  (replaces same name)
#   DELETE /_control/scripts                -> {"cleared": n}
#   POST   /_control/scripts/NAME/release   -> {"released": NAME}
#   GET    /_control/requests[?script=NAME] -> [{"script", "body", "headers", "at"}]
#   GET    /_control/sent[?script=NAME]     -> [{"script", "request", "index", "token", "at"}]
#   DELETE /_control/requests | /_control/sent[?script=NAME] -> {"cleared": n}
#   GET    /_control/active                 -> int (chat responses still being written)
# A script with "refuse_json_mode": true answers 400 to requests with a response_format; one
# with "fault_on": [ordinals] has its fault only on those requests (0: its first).

from __future__ import annotations

import argparse
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
    gate: threading.Event = field(default_factory=threading.Event)
    served: int = 0

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

    def __init__(self, model: str) -> None:
        """Start with no scripts and empty logs."""
        self.lock = threading.Lock()
        self.model = model
        self.scripts: dict[str, Script] = {}
        self.requests: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.default_served = 0
        self.active = 0

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
    )


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


class FakeProviderServer(ThreadingHTTPServer):
    """Threaded HTTP server holding the shared fake-provider state."""

    daemon_threads = True
    # The default backlog of 5 drops connections when a benchmark opens 60+ streams at once.
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], model: str) -> None:
        """Bind to ``address`` and start with empty state."""
        self.state = State(model)
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
        else:
            self._send_error_json(404, f"Unknown path {path}", "unknown_url")

    def do_POST(self) -> None:
        """Serve POST routes."""
        path, _ = self._route()
        if path in ("/v1/chat/completions", "/chat/completions"):
            self._chat()
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

    # ----------------------------------------------------------------------------- chat

    def _chat(self) -> None:
        """Handle ``POST /v1/chat/completions``."""
        state = self.server.state
        raw = self._read_body()
        received = time.time()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        name = script_name(body) if isinstance(body, dict) else None
        record = {
            "script": name,
            "body": body if body is not None else raw.decode("utf-8", "replace"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "at": received,
        }
        with state.lock:
            state.requests.append(record)
        if not self._require_auth():
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._send_error_json(400, "Request body must be JSON with a 'messages' list")
            return
        if name is None:
            script = default_script(body)
        else:
            with state.lock:
                found = state.scripts.get(name)
            if found is None:
                self._send_error_json(400, f"No script named {name!r}", "unknown_script")
                return
            script = found
        if script.refuse_json_mode and "response_format" in body:
            self._send_error_json(400, "response_format is not supported by this model")
            return
        ordinal = state.next_ordinal(script)
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
    args = parser.parse_args(argv)
    server = FakeProviderServer((args.host, args.port), args.model)
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
