"""Checks that tests/fake_provider.py speaks the OpenAI wire format the real client expects."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai
import pytest

SERVER_SCRIPT = Path(__file__).parent / "fake_provider.py"


@pytest.fixture(scope="module")
def provider_url() -> Iterator[str]:
    """Run the fake provider as a real subprocess and yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER_SCRIPT), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY http://127.0.0.1:"), line
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture
def client(provider_url: str) -> Iterator[openai.OpenAI]:
    """Yield a real OpenAI client pointed at the fake provider, without retries."""
    with openai.OpenAI(base_url=provider_url + "/v1", api_key="test", max_retries=0) as c:
        yield c


def register(base: str, **script: Any) -> dict[str, Any]:
    """Register a script through the control API."""
    response = httpx2.post(base + "/_control/scripts", json=script)
    assert response.status_code == 201, response.text
    return response.json()


def control(base: str, path: str) -> Any:
    """GET a control endpoint and decode its JSON."""
    response = httpx2.get(base + path)
    assert response.status_code == 200, response.text
    return response.json()


def stream(client: openai.OpenAI, text: str) -> openai.Stream[Any]:
    """Start a streaming completion whose only user message is ``text``."""
    return client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": text}],
        stream=True,
        stream_options={"include_usage": True},
    )


def contents(chunks: list[Any]) -> list[str]:
    """Return the non-empty content deltas in order."""
    return [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_default_reply_has_requested_number_of_ideas(client: openai.OpenAI) -> None:
    """The default reply is JSON with numIdeas ideas, streamed with role, stop and usage."""
    prompt = 'Brainstorm.\n<params>{"numIdeas": 5, "genre": "romance"}</params>'
    with stream(client, prompt) as s:
        chunks = list(s)
    ideas = json.loads("".join(contents(chunks)))["ideas"]
    assert [i["title"] for i in ideas] == [f"Idea {n}" for n in range(1, 6)]
    assert all(isinstance(i["body"], str) and i["body"] for i in ideas)
    assert chunks[0].object == "chat.completion.chunk"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None

    with stream(client, "no params here") as s:
        assert len(json.loads("".join(contents(list(s))))["ideas"]) == 3


def test_script_tokens_arrive_in_order_with_usage(client: openai.OpenAI, provider_url: str) -> None:
    """A registered script's tokens arrive one per chunk, in order, followed by usage."""
    tokens = ["Once", " upon", " a", " time", "…"]
    usage = {"prompt_tokens": 11, "completion_tokens": 5}
    register(provider_url, name="tale", content="ignored", tokens=tokens, usage=usage)
    with stream(client, "Tell me [[script:tale]]") as s:
        chunks = list(s)
    assert contents(chunks) == tokens
    final = chunks[-1]
    assert final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (11, 5)
    assert final.usage.total_tokens == 16

    register(provider_url, name="chars", content="abcdefghij", token_chars=3)
    with stream(client, "[[script:chars]]") as s:
        assert contents(list(s)) == ["abc", "def", "ghi", "j"]


def test_requests_are_logged_with_headers(client: openai.OpenAI, provider_url: str) -> None:
    """The request log records the script, body and lower-cased headers, and can be cleared."""
    assert httpx2.delete(provider_url + "/_control/requests").status_code == 200
    register(provider_url, name="logme", content="ok")
    client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": "[[script:logme]]"}],
        extra_headers={"Idempotency-Key": "abc-123"},
    )
    (entry,) = control(provider_url, "/_control/requests")
    assert entry["script"] == "logme"
    assert entry["body"]["messages"][0]["content"] == "[[script:logme]]"
    assert entry["headers"]["authorization"] == "Bearer test"
    assert entry["headers"]["idempotency-key"] == "abc-123"
    assert isinstance(entry["at"], float)


def test_non_streaming_completion(client: openai.OpenAI, provider_url: str) -> None:
    """Without stream=True the reply is one chat.completion object."""
    register(provider_url, name="whole", content="Hello there", finish_reason="length")
    completion = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "[[script:whole]]"}]
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 3


def test_models_endpoint(client: openai.OpenAI) -> None:
    """GET /v1/models lists the fake model."""
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_rate_limit_fault_exposes_retry_after(client: openai.OpenAI, provider_url: str) -> None:
    """A 429 fault raises RateLimitError with Retry-After, then the script recovers."""
    fault = {"kind": "status", "status": 429, "retry_after": 7, "message": "slow down"}
    register(provider_url, name="limited", content="fine now", fault=fault, times=1)
    with pytest.raises(openai.RateLimitError) as caught:
        stream(client, "[[script:limited]]")
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.body == {
        "message": "slow down",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    with stream(client, "[[script:limited]]") as s:
        assert "".join(contents(list(s))) == "fine now"


def test_server_error_fault(client: openai.OpenAI, provider_url: str) -> None:
    """A 503 fault raises InternalServerError."""
    register(provider_url, name="down", content="x", fault={"kind": "status", "status": 503})
    with pytest.raises(openai.InternalServerError):
        stream(client, "[[script:down]]")


def test_missing_api_key_is_401(provider_url: str) -> None:
    """Requests without a bearer token get 401 in OpenAI's error shape."""
    body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic dGVzdA=="}):
        response = httpx2.post(provider_url + "/v1/chat/completions", json=body, headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert set(error) >= {"message", "type", "code"}
        assert error["code"] == "invalid_api_key"


def test_drop_breaks_the_stream_after_k_tokens(client: openai.OpenAI, provider_url: str) -> None:
    """A drop fault surfaces as APIConnectionError (from httpx2.RemoteProtocolError)."""
    register(
        provider_url,
        name="drop",
        content="abcdefghij",
        token_chars=2,
        fault={"kind": "drop", "after": 3},
    )
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError) as caught, stream(client, "[[script:drop]]") as s:
        for chunk in s:
            received.extend(contents([chunk]))
    assert received == ["ab", "cd", "ef"]
    assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)
    wait_for(lambda: control(provider_url, "/_control/active") == 0)


def test_stall_bad_json_and_no_done(client: openai.OpenAI, provider_url: str) -> None:
    """Stall delays the stream, bad_json breaks parsing, no_done ends without an error."""
    register(
        provider_url,
        name="stall",
        content="abcd",
        token_chars=1,
        fault={"kind": "stall", "after": 2, "seconds": 0.4},
    )
    started = time.monotonic()
    with stream(client, "[[script:stall]]") as s:
        assert "".join(contents(list(s))) == "abcd"
    assert time.monotonic() - started >= 0.4

    register(
        provider_url,
        name="bad",
        content="abcd",
        token_chars=1,
        fault={"kind": "bad_json", "after": 2},
    )
    received: list[str] = []
    with pytest.raises(json.JSONDecodeError), stream(client, "[[script:bad]]") as s:
        for chunk in s:
            received.extend(contents([chunk]))
    assert received == ["a", "b"]

    register(provider_url, name="nodone", content="abcd", fault={"kind": "no_done"})
    with stream(client, "[[script:nodone]]") as s:
        chunks = list(s)
    assert contents(chunks) == ["abcd"] and chunks[-1].usage is not None


def test_pause_blocks_until_release(client: openai.OpenAI, provider_url: str) -> None:
    """pause_at holds the stream before token i until the script is released."""
    register(provider_url, name="gate", tokens=["a", "b", "c", "d"], pause_at=2)
    received: list[str] = []
    failures: list[BaseException] = []

    def consume() -> None:
        """Read the whole stream in the background."""
        try:
            with stream(client, "[[script:gate]]") as s:
                for chunk in s:
                    received.extend(contents([chunk]))
        except BaseException as exc:  # re-raised in the test thread
            failures.append(exc)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    wait_for(lambda: received == ["a", "b"])
    time.sleep(0.3)
    assert received == ["a", "b"] and reader.is_alive()
    assert control(provider_url, "/_control/active") == 1
    response = httpx2.post(provider_url + "/_control/scripts/gate/release")
    assert response.json() == {"released": "gate"}
    reader.join(timeout=5)
    assert not failures and received == ["a", "b", "c", "d"]


def test_sent_log_has_timestamps(client: openai.OpenAI, provider_url: str) -> None:
    """/_control/sent records each token with its request ordinal and a send time."""
    register(provider_url, name="timed", tokens=["x", "y", "z"], delay_ms=20)
    for _ in range(2):
        with stream(client, "[[script:timed]]") as s:
            list(s)
    sent = control(provider_url, "/_control/sent?script=timed")
    assert [(e["request"], e["index"], e["token"]) for e in sent] == [
        (r, i, t) for r in (0, 1) for i, t in enumerate("xyz")
    ]
    times = [e["at"] for e in sent]
    assert times == sorted(times) and times[1] - times[0] >= 0.015
    assert abs(times[-1] - time.time()) < 5


def test_split_utf8_survives_the_openai_client(client: openai.OpenAI, provider_url: str) -> None:
    """Multi-byte characters split across chunked frames still decode correctly."""
    content = "Ça va? 你好, 世界 🎬 — ñandú"
    register(provider_url, name="utf", content=content, token_chars=3, fault={"kind": "split_utf8"})
    with stream(client, "[[script:utf]]") as s:
        assert "".join(contents(list(s))) == content
    frames = raw_chunked_frames(provider_url, "[[script:utf]]")
    assert b"".join(frames).decode() and any(not _is_utf8(f) for f in frames)


def _is_utf8(data: bytes) -> bool:
    """Return whether ``data`` decodes as UTF-8 on its own."""
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def raw_chunked_frames(base: str, text: str) -> list[bytes]:
    """Stream a completion over a bare socket and return the chunked-encoding frames."""
    url = urlsplit(base)
    body = json.dumps(
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": text}]}
    )
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\n"
        "Authorization: Bearer test\r\nContent-Type: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while packet := sock.recv(65536):
            data += packet
    _, _, rest = data.partition(b"\r\n\r\n")
    frames = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return frames
        frames.append(rest[:size])
        rest = rest[size + 2 :]


def test_server_notices_client_disconnect(client: openai.OpenAI, provider_url: str) -> None:
    """Closing a stream early is detected and the active count drops back to zero."""
    register(provider_url, name="slow", content="x" * 50, token_chars=1, delay_ms=200)
    s = stream(client, "[[script:slow]]")
    next(iter(s))
    assert control(provider_url, "/_control/active") == 1
    s.close()
    wait_for(lambda: control(provider_url, "/_control/active") == 0, timeout=2)
    assert len(control(provider_url, "/_control/sent?script=slow")) < 5


def test_sixty_concurrent_streams(client: openai.OpenAI, provider_url: str) -> None:
    """At least 60 streams are served in parallel, not one after another."""
    register(provider_url, name="many", content="0123456789", token_chars=1, delay_ms=50)
    results: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        """Run one full stream and keep its text."""
        with stream(client, "[[script:many]]") as s:
            text = "".join(contents(list(s)))
        with lock:
            results.append(text)

    started = time.monotonic()
    threads = [threading.Thread(target=one, daemon=True) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert results == ["0123456789"] * 60
    # Serially this would take 60 * 0.5 s; in parallel it is about 0.5 s.
    assert time.monotonic() - started < 6
