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


# ----------------------------------------------------------------------------- Responses API


def create_response(client: openai.OpenAI, text: str, **options: Any) -> Any:
    """Create a Responses API response whose only input message is ``text``."""
    message = {"role": "user", "content": [{"type": "input_text", "text": text}]}
    return client.responses.create(model="fake-model", input=[message], **options)


def responses(base: str, name: str) -> list[dict[str, Any]]:
    """The fake provider's record of the responses created for script ``name``."""
    return control(base, f"/_control/responses?script={name}")


def configure(base: str, **config: Any) -> dict[str, Any]:
    """Change the fake provider's run-time settings."""
    response = httpx2.post(base + "/_control/config", json=config)
    assert response.status_code == 200, response.text
    return response.json()


def deltas(events: list[Any]) -> str:
    """Join the text deltas of Responses stream events."""
    return "".join(e.delta for e in events if e.type == "response.output_text.delta")


def test_background_stream_has_searches_citations_and_usage(
    client: openai.OpenAI, provider_url: str
) -> None:
    """A streamed background response sends OpenAI's events, numbered from 0 with no gap."""
    tokens = ["The ", "sea ", "is ", "deep."]
    register(
        provider_url,
        name="research",
        tokens=tokens,
        delay_ms=2,
        searches=2,
        search_delay_ms=5,
        citations=[{"title": "Ocean facts", "url": "https://example.com/sea", "after": 1}],
        usage={"input_tokens": 40, "output_tokens": 4},
    )
    with create_response(
        client,
        "Look it up [[script:research]]",
        background=True,
        stream=True,
        tools=[{"type": "web_search"}],
        instructions="Be brief.",
    ) as s:
        events = list(s)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    search = [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    delta = "response.output_text.delta"
    assert kinds == [
        "response.created",
        "response.in_progress",
        *search,
        *search,
        "response.output_item.added",
        "response.content_part.added",
        delta,
        delta,
        "response.output_text.annotation.added",
        delta,
        delta,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[0].response.status == "queued" and events[0].response.background is True
    assert events[1].response.status == "in_progress"
    assert deltas(events) == "The sea is deep."
    (added,) = [e for e in events if e.type == "response.output_text.annotation.added"]
    assert added.annotation.type == "url_citation" and added.annotation.url.endswith("/sea")
    assert (added.annotation.start_index, added.annotation.end_index) == (4, 8)
    final = events[-1].response
    assert final.status == "completed" and final.output_text == "The sea is deep."
    assert [item.type for item in final.output] == ["web_search_call"] * 2 + ["message"]
    assert final.output[2].content[0].annotations[0].title == "Ocean facts"
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (40, 4)
    assert final.usage.total_tokens == 44 and final.usage.input_tokens_details.cached_tokens == 0
    (request,) = control(provider_url, "/_control/requests?script=research")
    assert request["body"]["tools"] == [{"type": "web_search"}]
    assert request["body"]["background"] is True and request["path"] == "/v1/responses"
    (made,) = responses(provider_url, "research")
    assert made["id"] == final.id and made["status"] == "completed" and made["streams"] == 0
    assert made["usage"]["total_tokens"] == 44


def test_dropped_stream_resumes_after_last_event(client: openai.OpenAI, provider_url: str) -> None:
    """After a drop, streaming again from the last sequence number gives exactly the rest."""
    register(
        provider_url,
        name="resume",
        content="abcdefghijkl",
        token_chars=2,
        delay_ms=25,
        fault={"kind": "drop", "after": 5},
        fault_on=[0],
    )
    first: list[Any] = []
    with (
        pytest.raises(openai.APIConnectionError),
        create_response(client, "[[script:resume]]", background=True, stream=True) as s,
    ):
        for event in s:
            first.append(event)
    assert [e.sequence_number for e in first] == [0, 1, 2, 3, 4]
    response_id = first[0].response.id
    # Streamed again while still in progress: what is due at once, the rest as it comes.
    with client.responses.retrieve(
        response_id, stream=True, starting_after=first[-1].sequence_number
    ) as s:
        rest = list(s)
    numbers = [e.sequence_number for e in first + rest]
    assert numbers == list(range(len(numbers)))
    assert rest[-1].type == "response.completed"
    assert deltas(first + rest) == "abcdefghijkl"
    (made,) = responses(provider_url, "resume")
    assert made["streams"] == 1 and made["status"] == "completed"
    assert len(control(provider_url, "/_control/requests?script=resume")) == 1


def test_stream_again_refused_past_its_age(client: openai.OpenAI, provider_url: str) -> None:
    """Past the stream-again age a stream is refused, while a plain retrieve still works."""
    register(provider_url, name="old", content="Written long ago.", delay_ms=1)
    try:
        assert configure(provider_url, stream_again_seconds=0.3) == {"stream_again_seconds": 0.3}
        assert control(provider_url, "/_control/config") == {"stream_again_seconds": 0.3}
        created = create_response(client, "[[script:old]]", background=True)
        assert created.status == "queued" and created.output == [] and created.usage is None
        with client.responses.retrieve(created.id, stream=True, starting_after=2) as s:
            assert next(iter(s)).sequence_number == 3
        time.sleep(0.4)
        with pytest.raises(openai.BadRequestError) as caught:
            client.responses.retrieve(created.id, stream=True, starting_after=0)
        assert "can no longer be streamed" in caught.value.message
        done = client.responses.retrieve(created.id)
        assert done.status == "completed" and done.output_text == "Written long ago."
        assert done.usage is not None and done.completed_at is not None
        (made,) = responses(provider_url, "old")
        assert (made["streams"], made["retrieves"]) == (2, 1)
    finally:
        configure(provider_url, stream_again_seconds=300)


def test_cancel_ends_open_streams(client: openai.OpenAI, provider_url: str) -> None:
    """Cancelling stops the timeline: the open stream ends and the status stays cancelled."""
    register(provider_url, name="long", content="x" * 100, token_chars=1, delay_ms=30)
    with create_response(client, "[[script:long]]", background=True, stream=True) as s:
        events = iter(s)
        head = [next(events) for _ in range(4)]
        response_id = head[0].response.id
        cancelled = client.responses.cancel(response_id)
        assert cancelled.status == "cancelled"
        started = time.monotonic()
        tail = list(events)
    assert time.monotonic() - started < 1
    assert all(e.type != "response.completed" for e in tail)
    assert client.responses.retrieve(response_id).status == "cancelled"
    # Cancelling again returns it unchanged; nothing more happens.
    assert client.responses.cancel(response_id).status == "cancelled"
    (made,) = responses(provider_url, "long")
    assert made["cancelled"] is True and made["cancel_calls"] == 2
    assert made["status"] == "cancelled" and made["open_streams"] == 0

    register(provider_url, name="quick", content="done")
    finished = create_response(client, "[[script:quick]]", background=True)
    wait_for(lambda: client.responses.retrieve(finished.id).status == "completed")
    assert client.responses.cancel(finished.id).output_text == "done"
    assert responses(provider_url, "quick")[0]["cancelled"] is False


def test_stay_queued_until_cancelled(client: openai.OpenAI, provider_url: str) -> None:
    """A stay_queued response only says response.created, then waits for its cancel."""
    register(provider_url, name="stuck", content="never", stay_queued=True)
    with create_response(client, "[[script:stuck]]", background=True, stream=True) as s:
        events = iter(s)
        created = next(events)
        assert created.type == "response.created" and created.response.status == "queued"
        time.sleep(0.2)
        assert client.responses.retrieve(created.response.id).status == "queued"
        client.responses.cancel(created.response.id)
        assert list(events) == []
    assert client.responses.retrieve(created.response.id).status == "cancelled"


def test_status_fault_on_create(client: openai.OpenAI, provider_url: str) -> None:
    """A status fault fails the create: the request is logged but no response is made."""
    register(
        provider_url, name="busy", content="ok", fault={"kind": "status", "status": 500}, times=1
    )
    with pytest.raises(openai.InternalServerError):
        create_response(client, "[[script:busy]]", background=True)
    assert responses(provider_url, "busy") == []
    assert len(control(provider_url, "/_control/requests?script=busy")) == 1
    created = create_response(client, "[[script:busy]]", background=True)
    assert [r["id"] for r in responses(provider_url, "busy")] == [created.id]


def test_retrieve_fault(client: openai.OpenAI, provider_url: str) -> None:
    """retrieve_fault answers the first plain retrieves of a response with its status."""
    register(provider_url, name="flaky", content="ok", retrieve_fault={"status": 503, "times": 2})
    created = create_response(client, "[[script:flaky]]", background=True)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as caught:
            client.responses.retrieve(created.id)
        assert caught.value.status_code == 503
    wait_for(lambda: client.responses.retrieve(created.id).status == "completed")
    assert responses(provider_url, "flaky")[0]["retrieves"] >= 3


def test_no_responses_api(client: openai.OpenAI, provider_url: str) -> None:
    """A script marked no_responses_api gets 404 on /v1/responses; chat still works."""
    register(provider_url, name="chatonly", content="hello", no_responses_api=True)
    with pytest.raises(openai.NotFoundError) as caught:
        create_response(client, "[[script:chatonly]]", background=True, stream=True)
    assert set(caught.value.body) >= {"message", "type", "code"}
    assert responses(provider_url, "chatonly") == []
    with stream(client, "[[script:chatonly]]") as s:
        assert "".join(contents(list(s))) == "hello"


def test_foreground_responses(client: openai.OpenAI, provider_url: str) -> None:
    """A foreground create answers when done; it cannot be cancelled or streamed again."""
    register(provider_url, name="fg", content="Right away.", delay_ms=1)
    done = create_response(client, "[[script:fg]]")
    assert done.status == "completed" and done.output_text == "Right away."
    assert done.background is False
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(done.id)
    with pytest.raises(openai.BadRequestError):
        client.responses.retrieve(done.id, stream=True, starting_after=0)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_unknown")
    default = client.responses.create(model="fake-model", input="no marker here")
    assert default.output_text and default.usage is not None

    # A foreground stream is tied to its connection: hanging up stops the response.
    register(provider_url, name="tied", content="y" * 50, token_chars=1, delay_ms=20)
    s = create_response(client, "[[script:tied]]", stream=True)
    response_id = next(iter(s)).response.id
    s.close()
    wait_for(lambda: responses(provider_url, "tied")[0]["status"] == "cancelled", timeout=2)
    assert client.responses.retrieve(response_id).status == "cancelled"
