"""Research under process faults, each test on a cluster of its own (`tests/cluster.py`): a
worker SIGKILLed mid-way through a background response — the next worker re-attaches to the
same response (one create, the text without gap or repeat, the tokens billed once); parked
polling holds no worker slot; a provider without the Responses API; the offline demo model
playing both modes."""

import json
import signal
import time
from typing import Any

import httpx2
import pytest
from cluster import RECORD, make_account
from support import wait_for

from app.jobs.worker import status_key

pytestmark = pytest.mark.slow
QUESTIONS = json.dumps({"questions": ["Which platform?", "How many episodes?"]})
TEXT = "# Research\n\n" + "".join(
    f"- Finding {n}: short dramas hook in three seconds, [source {n}](https://example.org/{n}).\n"
    for n in range(1, 41)
)


def base(project_id: int) -> str:
    return f"/api/workflows/{project_id}/outline-generation"


def project(http: httpx2.Client, name: str) -> int:
    response = http.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["projectId"]


def session(http: httpx2.Client, project_id: int, sid: int) -> dict[str, Any]:
    return http.get(f"{base(project_id)}/sessions/{sid}").json()


def research(http: httpx2.Client, project_id: int, prompt: str, mode: str) -> int:
    """Start research and skip its questions once they come; its session id."""
    response = http.post(f"{base(project_id)}/start", json={"prompt": prompt, "mode": mode})
    assert response.status_code == 202, response.text
    sid = response.json()["sessionId"]
    wait_for(lambda: session(http, project_id, sid)["phase"] == "needs_input", timeout=30)
    skipped = http.post(f"{base(project_id)}/answers", json={"sessionId": sid, "skip": True})
    assert skipped.status_code == 202, skipped.text
    return sid


def finished(http: httpx2.Client, project_id: int, sid: int, timeout: float = 60) -> dict:
    return wait_for(
        lambda: (
            (s := session(http, project_id, sid))["status"] in ("completed", "failed", "cancelled")
            and s
        ),
        timeout,
    )


def research_text(reader, sid: int) -> str:
    """What the job's page shows as streamed, minus the questions call before the research."""
    text = "".join(c["text"] for c in reader.chunks(sid, 1))
    return text[text.index("# Research") :]


def mid_research(cluster, store, provider, name: str, mode: str, **script) -> tuple:
    """One worker writing a research's text (past its 60th chunk): (api, project, session,
    the worker)."""
    [web], [worker] = cluster.start(webs=1, workers=1)
    http = cluster.api(web, make_account(store.app))
    provider.script(name, TEXT, chat_replies=[QUESTIONS], token_chars=8, delay_ms=25, **script)
    project_id = project(http, name)
    sid = research(http, project_id, f"Research the paywall [[script:{name}]]", mode)
    # Mid-way through the research text (the questions call wrote the first chunks).
    wait_for(lambda: session(http, project_id, sid)["phase"] == "writing", timeout=30)
    wait_for(lambda: store.job(sid)["last_seq"] >= 60, timeout=30)
    return http, project_id, sid, worker


def test_sigkill_during_a_background_run_re_attaches_to_the_same_response(cluster, store, provider):
    usage = {"input_tokens": 900, "output_tokens": 700}
    http, project_id, sid, first = mid_research(
        cluster, store, provider, "kill1", "background", usage=usage
    )
    at = RECORD.fault("SIGKILL worker mid background response")
    first.signal_group(signal.SIGKILL)
    cluster.worker()
    done = finished(http, project_id, sid)
    RECORD.timing("SIGKILL → research done on the next worker", time.monotonic() - at)
    assert done["status"] == "completed", done
    created = provider.responses("kill1")
    assert len(created) == 1 and created[0]["streams"] >= 1  # re-attached, never re-created
    assert done["backgroundResponseId"] == created[0]["id"]
    # The page's text: the research once, without gap or repeat, in the same attempt.
    assert store.job(sid)["attempt"] == 1
    assert research_text(store, sid) == TEXT == done["finalOutline"]
    # Billed once: the calls' tokens add up to the one response's.
    calls = [c for c in store.attempts(sid) if (c["parameters"] or {}).get("mode")]
    billed = sum(c["total_tokens"] or 0 for c in calls)
    RECORD.note("tokens billed in a crash-and-resume run", f"{billed} (one run: 1600)")
    assert billed == 1600
    assert {c["parameters"]["responseId"] for c in calls} == {created[0]["id"]}
    assert [bool(c["parameters"].get("resume")) for c in calls] == [False, True]


def test_polling_holds_no_slot_while_parked(cluster, store, provider, settings):
    """Past the stream-again age the job polls, parked between polls: with one long slot a
    second research runs meanwhile, and with one short slot a brainstorm runs at once."""
    cluster.env.update(
        LONG_JOB_CONCURRENCY="1",
        JOB_CONCURRENCY="1",
        RESEARCH_POLL_SECONDS="1",
        MAX_ACTIVE_JOBS_PER_USER="40",
    )
    [web], [_worker] = cluster.start(webs=1, workers=1)
    account = make_account(store.app)
    http = cluster.api(web, account)
    provider.configure(stream_again_seconds=0)
    slow = {"delay_ms": 40, "fault": {"kind": "drop", "after": 6}, "fault_on": [0]}
    provider.script("park1", TEXT, chat_replies=[QUESTIONS], token_chars=8, **slow)
    first_project = project(http, "Parked")
    first = research(http, first_project, "Parked research [[script:park1]]", "background")
    wait_for(lambda: session(http, first_project, first)["pollingAttempts"] >= 1, timeout=30)
    # Meanwhile another research (the one long slot is free) and a brainstorm run.
    provider.script("quick1", TEXT, chat_replies=[QUESTIONS], token_chars=40)
    second_project = project(http, "Beside")
    second = research(http, second_project, "Quick research [[script:quick1]]", "streaming")
    assert finished(http, second_project, second, timeout=30)["status"] == "completed"
    assert session(http, first_project, first)["status"] in ("pending", "running")
    brainstorm_project = project(http, "Ideas")
    started = http.post(
        "/api/brainstorm/start",
        json={
            "projectId": brainstorm_project,
            "params": {
                "platform": "douyin",
                "genrePaths": [["女频", "爱情", "甜宠"]],
                "genreProportions": [100],
            },
        },
    )
    brainstorm = started.json()["transformId"]
    wait_for(lambda: http.get(f"/api/jobs/{brainstorm}").json()["status"] == "completed")
    done = finished(http, first_project, first, timeout=60)
    assert done["status"] == "completed" and done["pollingAttempts"] >= 1
    assert done["finalOutline"] == TEXT and len(provider.responses("park1")) == 1


@pytest.mark.timeout(300)
def test_twenty_parked_research_jobs_hold_no_worker_slot(cluster, store, provider):
    cluster.env.update(RESEARCH_POLL_SECONDS="5", MAX_ACTIVE_JOBS_PER_USER="40")
    [web], [_worker] = cluster.start(webs=1, workers=1)
    account = make_account(store.app)
    http = cluster.api(web, account)
    provider.configure(stream_again_seconds=0)
    slow = {"delay_ms": 1500, "fault": {"kind": "drop", "after": 3}, "fault_on": [0]}
    provider.script("many", TEXT, chat_replies=[QUESTIONS] * 20, token_chars=8, **slow)
    sessions = []
    for n in range(20):
        project_id = project(http, f"Parked {n}")
        response = http.post(
            f"{base(project_id)}/start", json={"prompt": "[[script:many]]", "mode": "background"}
        )
        sessions.append((project_id, response.json()["sessionId"]))
    for project_id, sid in sessions:
        wait_for(lambda p=project_id, s=sid: session(http, p, s)["phase"] == "needs_input", 60)
        http.post(f"{base(project_id)}/answers", json={"sessionId": sid, "skip": True})
    for project_id, sid in sessions:
        wait_for(lambda p=project_id, s=sid: session(http, p, s)["pollingAttempts"] >= 1, 60)
    # Every one is parked: pending with a wake-up time, holding nothing.
    import redis

    connection = redis.Redis.from_url(cluster.env["REDIS_URL"])
    samples = []
    for _ in range(10):
        jobs = [store.job(sid) for _p, sid in sessions]
        parked = sum(1 for j in jobs if j["status"] == "pending" and j["next_attempt_at"])
        held = 0
        for key in connection.scan_iter(status_key(store.app)):
            report = json.loads(connection.get(key) or "{}")
            held += sum(report.get("running", {}).values())
        samples.append((parked, held))
        time.sleep(0.2)
    connection.close()
    RECORD.note("worker slots held by 20 parked research jobs", str(min(h for _p, h in samples)))
    assert max(p for p, _h in samples) == 20
    assert min(h for p, h in samples if p == 20) == 0
    assert len(provider.responses("many")) == 20
    for project_id, sid in sessions:
        http.post(f"{base(project_id)}/cancel", json={"sessionId": sid})
    # Each parked one is cancelled at the provider by a clean-up.
    wait_for(lambda: sum(r["cancel_calls"] for r in provider.responses("many")) == 20, 60)


def test_a_provider_without_the_responses_api_falls_back_to_streaming(cluster, store, provider):
    [web], _workers = cluster.start(webs=1, workers=1)
    account = make_account(store.app)
    http = cluster.api(web, account)
    replies = [QUESTIONS, TEXT, QUESTIONS]  # each job asks, then researches by chat
    provider.script("noapi", TEXT, chat_replies=replies, token_chars=40, no_responses_api=True)
    project_id = project(http, "No API")
    sid = research(http, project_id, "[[script:noapi]]", "background")
    done = finished(http, project_id, sid)
    assert done["status"] == "completed" and done["mode"] == "streaming"
    assert done["note"] == "no_responses_api" and done["finalOutline"] == TEXT
    assert done["citationsSource"] == "model" and provider.responses("noapi") == []
    # Remembered in this worker process: the next background research streams at once.
    second = project(http, "No API again")
    sid = research(http, second, "[[script:noapi]]", "background")
    assert finished(http, second, sid)["mode"] == "streaming"
    creates = [r for r in provider.requests("noapi") if "input" in (r["body"] or {})]
    assert len(creates) == 1


@pytest.mark.parametrize("mode", ["streaming", "background"])
def test_the_demo_model_plays_both_modes_offline(cluster, store, mode):
    cluster.env.update(LLM_API_KEY="", DEMO_RESEARCH_SECONDS="3")
    [web], _workers = cluster.start(webs=1, workers=1)
    account = make_account(store.app)
    http = cluster.api(web, account)
    project_id = project(http, "Demo")
    response = http.post(
        f"{base(project_id)}/start", json={"prompt": "一个豪门千金复仇的短剧", "mode": mode}
    )
    sid = response.json()["sessionId"]
    asked = wait_for(lambda: (s := session(http, project_id, sid))["phase"] == "needs_input" and s)
    assert 2 <= len(asked["clarificationQuestions"]) <= 5
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in q) for q in asked["clarificationQuestions"])
    answers = ["抖音"] + [""] * (len(asked["clarificationQuestions"]) - 1)
    http.post(f"{base(project_id)}/answers", json={"sessionId": sid, "answers": answers})
    done = finished(http, project_id, sid, timeout=30)
    assert done["status"] == "completed" and done["mode"] == mode
    assert done["finalOutline"].startswith("# ") and done["citations"]
    assert done["citationsSource"] == "demo"
    assert all(".example." in c["url"] or "//example." in c["url"] for c in done["citations"])
    if mode == "background":
        assert done["backgroundResponseId"].startswith("resp_demo_")
    assert {c["model"] for c in store.attempts(sid)} == {"demo"}  # each call recorded


def test_sigkill_during_a_streamed_research_starts_a_new_attempt(cluster, store, provider):
    """A chat completion cannot be re-attached: the next worker runs a new attempt, whose
    text starts afresh (nothing repeated), without asking the questions again."""
    http, project_id, sid, first = mid_research(cluster, store, provider, "kill2", "streaming")
    first.signal_group(signal.SIGKILL)
    cluster.worker()
    done = finished(http, project_id, sid)
    assert done["status"] == "completed" and done["finalOutline"] == TEXT
    job = store.job(sid)
    assert job["attempt"] == 2 and job["retry_count"] == 1
    assert "".join(c["text"] for c in store.chunks(sid, 2)) == TEXT
    assert len(provider.requests("kill2")) == 3  # the questions once, the research twice


def test_sigterm_hands_a_background_research_back_and_it_re_attaches(cluster, store, provider):
    """A deploy stops the worker mid-text: the job is handed back (no retry spent), the next
    worker re-attaches to the same response, and the text has no gap or repeat."""
    http, project_id, sid, first = mid_research(cluster, store, provider, "term1", "background")
    first.signal_group(signal.SIGTERM)
    assert first.process.proc.wait(30) == 0
    handed = store.job(sid)
    assert handed["status"] == "pending" and handed["retry_count"] == 0, handed
    cluster.worker()
    done = finished(http, project_id, sid)
    assert done["status"] == "completed" and done["finalOutline"] == TEXT
    assert store.job(sid)["attempt"] == 1 and research_text(store, sid) == TEXT
    assert len(provider.responses("term1")) == 1
