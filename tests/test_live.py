"""Live streams against the real server, workers and provider: resume, partial results,
coalescing, one Redis subscription per process, reloads."""

import html
import json
import re

import pytest
import redis
from factories import BRAINSTORM_PARAMS
from support import events, ideas_json, wait_for

from app.jobs.events import channel_prefix

PARAMS = BRAINSTORM_PARAMS
IDEAS = [("雨夜重逢", "她在雨里等了三年。"), ("Second", "A body, two."), ("Third", "Body 3.")]


def start(http, script: str, **params) -> int:
    """A project and a brainstorm whose model answer is the named script."""
    project = http.post("/api/projects", json={"name": "Live"}).json()["projectId"]
    body = {
        "projectId": project,
        "params": {**PARAMS, "requirements": f"[[script:{script}]]", **params},
    }
    response = http.post("/api/brainstorm/start", json=body)
    assert response.status_code == 202, response.text
    return response.json()["transformId"]


def job(http, job_id: int) -> dict:
    return http.get(f"/api/jobs/{job_id}").json()


def finished(http, job_id: int) -> dict:
    return wait_for(lambda: (j := job(http, job_id))["status"] in ("completed", "failed") and j)


def stored_raw(http, job_id: int) -> str:
    return "".join(c["text"] for c in job(http, job_id)["chunks"])


def read_chunks(http, job_id: int, limit: int | None, headers=None, params=None) -> list[dict]:
    """Chunk events from the JSON stream, until `limit` chunks or `done`."""
    got = []
    with http.stream(
        "GET", f"/api/streaming/transform/{job_id}", headers=headers or {}, params=params or {}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in events(response):
            if event.event == "chunk":
                got.append({**event.json(), "id": event.id})
                if limit and len(got) >= limit:
                    break
            elif event.event == "done":
                break
    return got


def test_resume_with_last_event_id_and_after_has_no_gap_and_no_repeat(api, make_user, provider):
    http = api(make_user())
    provider.script("resume", ideas_json(IDEAS), token_chars=3, delay_ms=25)
    job_id = start(http, "resume")
    first = read_chunks(http, job_id, 5)
    at_reconnect = job(http, job_id)["cursor"]
    second = read_chunks(http, job_id, 8, headers={"Last-Event-ID": first[-1]["id"]})
    third = read_chunks(http, job_id, None, params={"after": second[-1]["id"]})
    received = first + second + third
    seqs = [c["seq"] for c in received]
    assert seqs == list(range(1, len(seqs) + 1)), "a gap or a repeat"
    live_after = int(at_reconnect.split(".")[1])
    assert any(c["seq"] > live_after for c in second), "nothing arrived live after resuming"
    done = finished(http, job_id)
    assert done["status"] == "completed"
    assert "".join(c["text"] for c in received) == stored_raw(http, job_id) == ideas_json(IDEAS)


def test_finished_job_stream_answers_json(api, make_user, provider):
    http = api(make_user())
    provider.script("quick", ideas_json(IDEAS))
    job_id = start(http, "quick")
    finished(http, job_id)
    response = http.get(f"/api/streaming/transform/{job_id}")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == "completed"
    assert [r["title"] for r in response.json()["results"]] == [t for t, _ in IDEAS]


def test_partial_results_exactly_two_ideas_while_paused(api, web, make_user, provider, server):
    account = make_user()
    http = api(account)
    content = ideas_json(IDEAS)
    second_done = content.index("}", content.index('"Second"')) + 1
    provider.script("pause2", content, token_chars=1, pause_at=second_done)
    job_id = start(http, "pause2")
    ideas = wait_for(
        lambda: len(i := http.get(f"/api/ideations/{job_id}").json()["ideas"]) == 2 and i
    )
    wait_for(lambda: stored_raw(http, job_id) == content[:second_done])
    assert [i["title"] for i in ideas] == ["雨夜重逢", "Second"]
    assert job(http, job_id)["status"] == "running" and len(job(http, job_id)["results"]) == 2
    browser = web()
    browser.login(account)
    page = browser.http.get(f"/jobs/{job_id}").text
    assert page.count('class="idea"') == 2
    provider.release("pause2")
    assert finished(http, job_id)["status"] == "completed"
    assert len(http.get(f"/api/ideations/{job_id}").json()["ideas"]) == 3


def test_a_burst_of_500_tokens_is_coalesced(api, make_user, provider):
    http = api(make_user())
    body = " ".join(f"w{i}" for i in range(500))
    content = json.dumps({"ideas": [{"title": "Burst", "body": body}]})
    tokens = provider.script("burst", content, token_chars=2)
    assert len(tokens) >= 500
    job_id = start(http, "burst", numIdeas=1)
    assert finished(http, job_id)["status"] == "completed"
    chunks = job(http, job_id)["chunks"]
    assert len(chunks) < len(tokens) / 4, (len(chunks), len(tokens))
    assert "".join(c["text"] for c in chunks) == content


def test_reload_mid_job_renders_everything_so_far(api, web, make_user, provider):
    account = make_user()
    http = api(account)
    content = ideas_json(IDEAS)
    cut = content.index('"Third"')
    provider.script("reload", content, token_chars=4, pause_at=cut // 4)
    job_id = start(http, "reload")
    wait_for(lambda: len(job(http, job_id)["results"]) == 2)
    state = wait_for(lambda: (j := job(http, job_id))["cursor"] and j)
    wait_for(lambda: stored_raw(http, job_id) == content[: (cut // 4) * 4])
    browser = web()
    browser.login(account)
    page = browser.http.get(f"/jobs/{job_id}").text
    raw = re.search(r'<pre id="job_raw">\n(.*?)</pre>', page, re.S).group(1)
    assert html.unescape(raw) == stored_raw(http, job_id)
    state = job(http, job_id)
    assert f"after={state['cursor']}" in html.unescape(page)
    assert page.count('class="idea"') == 2 and "雨夜重逢" in page
    provider.release("reload")
    finished(http, job_id)


def test_one_redis_subscription_per_web_process(api, make_user, provider, settings):
    http = api(make_user())
    provider.script("subs", ideas_json(IDEAS), token_chars=2, delay_ms=20)
    job_id = start(http, "subs")
    client = redis.Redis.from_url(settings["REDIS_URL"])

    name = "sw-live-" + channel_prefix(settings["REDIS_URL"]).strip(":").replace(":", "-")

    def pattern_subscribers() -> int:  # this deployment's (the Redis server may be shared)
        listeners = [c for c in client.client_list() if c.get("name") == name]
        return sum(1 for c in listeners if int(c.get("psub", 0)) > 0)

    url = f"/api/streaming/transform/{job_id}"
    streams = [http.send(http.build_request("GET", url), stream=True) for _ in range(8)]
    try:
        for response in streams:
            next(response.iter_lines())  # each stream is open and served
        assert pattern_subscribers() == 1
    finally:
        for response in streams:
            response.close()
        client.close()
    finished(http, job_id)


@pytest.mark.slow
def test_pages_load_with_20_streams_open_and_a_pool_of_2(settings, make_user, provider):
    import httpx2
    from conftest import free_port
    from support import Process, Web, python

    port = free_port()
    env = {
        **settings,
        "PORT": str(port),
        "WORKERS": "1",
        "DB_POOL_SIZE": "2",
        "LOG_LEVEL": "WARNING",
    }
    server = Process(python("app.py"), env, "is running at", timeout=60)
    account = make_user()
    base = f"http://127.0.0.1:{port}"
    http = httpx2.Client(base_url=base, headers=account.bearer, timeout=15)
    browser = Web(base)
    try:
        provider.script("pool", ideas_json(IDEAS), token_chars=2, delay_ms=40)
        job_id = start(http, "pool")
        browser.login(account)
        streams = []
        for _ in range(20):
            request = browser.http.build_request("GET", "/live/events", params={"job": job_id})
            response = browser.http.send(request, stream=True)
            assert response.status_code == 200
            next(response.iter_lines())
            streams.append(response)
        for path in ("/projects/", f"/jobs/{job_id}", f"/api/jobs/{job_id}"):
            page = browser.http.get(path)
            assert page.status_code == 200, path
        for response in streams:
            response.close()
        finished(http, job_id)
    finally:
        http.close()
        browser.http.close()
        server.stop()


@pytest.mark.slow
def test_the_server_ends_a_stream_after_stream_max_seconds_and_the_client_misses_nothing(
    settings, make_user, provider
):
    import httpx2
    from conftest import free_port
    from support import Process, python

    port = free_port()
    env = {**settings, "PORT": str(port), "WORKERS": "1", "STREAM_MAX_SECONDS": "0.7"}
    env["LOG_LEVEL"] = "WARNING"
    server = Process(python("app.py"), env, "is running at", timeout=60)
    account = make_user()
    http = httpx2.Client(base_url=f"http://127.0.0.1:{port}", headers=account.bearer, timeout=15)
    try:
        provider.script("cut", ideas_json(IDEAS), token_chars=2, delay_ms=30)
        job_id = start(http, "cut")
        received, connections, last_id, done = [], 0, None, False
        while not done:
            connections += 1
            headers = {"Last-Event-ID": last_id} if last_id else {}
            url = f"/api/streaming/transform/{job_id}"
            with http.stream("GET", url, headers=headers) as response:
                for event in events(response):
                    if event.event == "chunk":
                        received.append(event.json())
                        last_id = event.id
                    done = done or event.event == "done"
        assert connections >= 3, "the server never ended a stream"
        seqs = [c["seq"] for c in received]
        assert seqs == list(range(1, len(seqs) + 1)), "a gap or a repeat"
        assert "".join(c["text"] for c in received) == ideas_json(IDEAS)
    finally:
        http.close()
        server.stop()


def test_page_stream_sends_the_blocks_as_partials(api, web, make_user, provider):
    account = make_user()
    http = api(account)
    content = ideas_json(IDEAS)
    first_done = content.index("}") + 1
    provider.script("partials", content, token_chars=1, pause_at=first_done)
    job_id = start(http, "partials")
    wait_for(lambda: len(job(http, job_id)["results"]) == 1)
    browser = web().login(account)
    messages = []
    with browser.http.stream("GET", "/live/events", params={"job": job_id, "after": "0.0"}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for event in events(r):
            messages.append(event)
            if len(messages) == 2:
                provider.release("partials")
            if "status-completed" in event.data:
                break
    assert '<hx-partial hx-target="#notices"' in messages[0].data  # the user's own catch-up
    catch_up = messages[1].data  # the job's
    assert '<hx-partial hx-target="#job_status" hx-swap="outerHTML">' in catch_up
    assert '<hx-partial hx-target="#job_results" hx-swap="outerHTML">' in catch_up
    assert '<hx-partial hx-target="#job_raw" hx-swap="innerHTML">' in catch_up
    assert "雨夜重逢" in catch_up and 'class="idea"' in catch_up
    assert all(m.event == "message" for m in messages)
    assert all(m.id for m in messages if "#job_raw" in m.data)  # the job's cursor
    assert messages[-1].data.count('class="idea"') == 3


def block(message: str, target: str) -> str | None:
    """What a page-stream message puts into a block (None: it leaves the block alone)."""
    found = re.search(rf'<hx-partial hx-target="#{target}" [^>]*>(.*?)</hx-partial>', message, re.S)
    return found.group(1) if found else None


def test_the_idea_being_written_has_a_block_of_its_own(api, web, make_user, provider):
    """Each flush updates #job_partial with the idea being written; #job_results changes only
    when an idea completes; a reload mid-idea shows the same; the block empties at the end."""
    account = make_user()
    http = api(account)
    content = ideas_json(IDEAS)
    held = content.index("two.")  # inside the second idea's body
    provider.script("writing", content, token_chars=1, delay_ms=15, pause_at=held)
    job_id = start(http, "writing")
    browser = web().login(account)
    messages = []
    with browser.http.stream("GET", "/live/events", params={"job": job_id, "after": "0.0"}) as r:
        for event in events(r):
            messages.append(event.data)
            if "A body," in (block(event.data, "job_partial") or ""):
                break  # the model holds in the middle of the second idea
    live = [m for m in messages[2:] if block(m, "job_partial") is not None]  # past catch-ups
    titles = [t for m in live if (t := re.search(r"<h3>(.*?)</h3>", block(m, "job_partial")))]
    assert [t.group(1) for t in titles][-1] == "Second"
    assert {"雨夜重逢", "Second"} <= {t.group(1) for t in titles}  # each idea as it was written
    second = [m for m in live if "Second" in block(m, "job_partial")]
    assert len(second) >= 3  # updated flush after flush …
    assert all(block(m, "job_results") is None for m in second)  # … without the results block
    # The first idea's completion re-rendered the results once, and emptied the block.
    completed = [m for m in live if 'class="idea"' in (block(m, "job_results") or "")]
    assert completed and "雨夜重逢" not in block(completed[0], "job_partial")

    # A reload while the model holds mid-idea shows the same block, from the database.
    wait_for(lambda: stored_raw(http, job_id) == content[:held])
    page = browser.http.get(f"/jobs/{job_id}").text
    shown = re.search(r'<div id="job_partial"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "<h3>Second</h3>" in shown and "A body," in shown
    assert page.count('class="idea"') == 1
    # The stream that page opens starts with the same block.
    with browser.http.stream(
        "GET", "/live/events", params={"job": job_id, "after": job(http, job_id)["cursor"]}
    ) as r:
        first = next(m.data for m in events(r) if block(m.data, "job_status") is not None)
    assert "<h3>Second</h3>" in block(first, "job_partial")

    provider.release("writing")
    assert finished(http, job_id)["status"] == "completed"
    with browser.http.stream("GET", "/live/events", params={"job": job_id, "after": "0.0"}) as r:
        end = next(m.data for m in events(r) if block(m.data, "job_status") is not None)
    assert 'id="job_partial" class="writing"></div>' in block(end, "job_partial")
    assert block(end, "job_results").count('class="idea"') == 3
