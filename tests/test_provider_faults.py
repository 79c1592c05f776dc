"""Every provider fault ends in the right state, with the right message and attempts; cancel,
retry by hand, retries that continue, hostile cursors."""

import json
import time

import pytest
from factories import BRAINSTORM_PARAMS
from sqlalchemy import select
from support import events, ideas_json, wait_for

from app.extensions import db
from app.jobs.models import LlmTransform

IDEAS = [("Alpha", "First body."), ("Beta", "Second body."), ("Gamma", "Third body.")]
PARAMS = BRAINSTORM_PARAMS


@pytest.fixture
def http(api, make_user):
    return api(make_user())


def start(http, script: str, num: int = 3) -> int:
    project = http.post("/api/projects", json={"name": "Faults"}).json()["projectId"]
    params = {**PARAMS, "requirements": f"[[script:{script}]]", "numIdeas": num}
    response = http.post("/api/brainstorm/start", json={"projectId": project, "params": params})
    assert response.status_code == 202, response.text
    return response.json()["transformId"]


def state(http, job_id: int) -> dict:
    return http.get(f"/api/jobs/{job_id}").json()


def final(http, job_id: int, timeout: float = 30) -> dict:
    finals = ("completed", "failed", "cancelled")
    return wait_for(lambda: (s := state(http, job_id))["status"] in finals and s, timeout)


def attempts(app, job_id: int) -> list[LlmTransform]:
    with app.app_context():
        rows = db.session.scalars(
            select(LlmTransform).where(LlmTransform.transform_id == job_id).order_by("attempt")
        ).all()
        db.session.expunge_all()
        return rows


def titles(job: dict) -> list[str]:
    return [r["title"] for r in job["results"]]


def test_a_5xx_before_the_first_token_is_retried(http, provider, app):
    provider.script("e500", ideas_json(IDEAS), fault={"kind": "status", "status": 500}, times=1)
    job = final(http, start(http, "e500"))
    assert (job["status"], job["attempt"], job["retryCount"]) == ("completed", 2, 1)
    first, second = attempts(app, job["id"])
    assert "HTTP 500" in first.error and second.error is None
    assert second.raw_response == ideas_json(IDEAS) and titles(job) == [t for t, _ in IDEAS]


def test_a_429_waits_at_least_retry_after(http, provider, app):
    fault = {"kind": "status", "status": 429, "retry_after": 1}
    provider.script("e429", ideas_json(IDEAS), fault=fault, times=1)
    job_id = start(http, "e429")
    retrying = wait_for(lambda: (s := state(http, job_id))["status"] == "retrying" and s)
    assert "rate limited" in retrying["error"] and retrying["nextAttemptAt"]
    job = final(http, job_id)
    assert job["status"] == "completed" and job["attempt"] == 2
    sent = provider.requests("e429")
    assert sent[1]["at"] - sent[0]["at"] >= 0.95


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "LLM_API_KEY"), (403, "LLM_MODEL"), (404, "LLM_MODEL"), (400, "HTTP 400")],
)
def test_client_errors_fail_at_once_with_an_actionable_message(http, provider, status, hint):
    provider.script(f"e{status}", ideas_json(IDEAS), fault={"kind": "status", "status": status})
    job = final(http, start(http, f"e{status}"))
    assert (job["status"], job["attempt"], job["retryCount"]) == ("failed", 1, 0)
    assert hint in job["error"] and "test-key" not in json.dumps(job)
    assert len(provider.requests(f"e{status}")) == 1


def test_retries_run_out(http, provider, app):
    provider.script("always500", ideas_json(IDEAS), fault={"kind": "status", "status": 503})
    job = final(http, start(http, "always500"))
    assert (job["status"], job["attempt"], job["retryCount"]) == ("failed", 3, 2)
    assert "HTTP 503" in job["error"] and len(attempts(app, job["id"])) == 3


def test_a_dropped_stream_retries_and_continues_where_it_stopped(http, provider, app):
    content = ideas_json(IDEAS)
    after_second = content.index("}", content.index('"Beta"')) + 2  # past "}," of idea 2
    provider.script(
        "drop", content, token_chars=1, fault={"kind": "drop", "after": after_second}, times=1
    )
    job = final(http, start(http, "drop"))
    assert (job["status"], job["attempt"]) == ("completed", 2)
    # Attempt 2 was asked for one more idea; the one it repeated verbatim is skipped.
    assert titles(job) == ["Alpha", "Beta", "Gamma"]
    asked = provider.asked("drop")[1]
    assert asked["numIdeas"] == 1 and asked["avoidTitles"] == ["Alpha", "Beta"]
    first, second = attempts(app, job["id"])
    assert first.raw_response == content[:after_second] and "broke off" in first.error
    assert "".join(c["text"] for c in job["chunks"]) == second.raw_response == content


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "stall", "after": 5, "seconds": 4}, "stopped sending"),
        ({"kind": "bad_json", "after": 5}, "garbled"),
    ],
)
def test_stalls_and_garbled_streams_are_retried(http, provider, app, fault, message):
    provider.script("flaky", ideas_json(IDEAS), fault=fault, times=1)
    job_id = start(http, "flaky")
    if fault["kind"] == "stall":  # the page says so while the model is silent
        wait_for(lambda: state(http, job_id)["progressMessage"] == "Waiting for the model…")
    job = final(http, job_id)
    assert (job["status"], job["attempt"]) == ("completed", 2)
    assert message in attempts(app, job["id"])[0].error
    assert "".join(c["text"] for c in job["chunks"]) == ideas_json(IDEAS)


def test_split_characters_and_a_missing_done_are_harmless(http, provider):
    for name, fault in (("utf8", {"kind": "split_utf8"}), ("nodone", {"kind": "no_done"})):
        provider.script(name, ideas_json(IDEAS), token_chars=3, fault=fault)
        job = final(http, start(http, name))
        assert (job["status"], job["attempt"]) == ("completed", 1), name
        assert "".join(c["text"] for c in job["chunks"]) == ideas_json(IDEAS)


def test_an_answer_cut_by_the_length_limit_is_retried_then_fails_keeping_its_ideas(http, provider):
    content = ideas_json(IDEAS)
    cut = content[: content.index('"Beta"') + 12]  # idea 1 whole, idea 2 cut off
    provider.script("length", cut, finish_reason="length")
    job = final(http, start(http, "length"))
    assert (job["status"], job["attempt"]) == ("failed", 3)
    assert "length limit" in job["error"] and titles(job) == ["Alpha"]


def test_cancel_a_running_job_stops_the_stream_and_keeps_what_it_wrote(http, provider, app):
    provider.script("slow", ideas_json(IDEAS), token_chars=1, delay_ms=40)  # ~12 s in all
    job_id = start(http, "slow")
    wait_for(lambda: len(state(http, job_id)["chunks"]) >= 5)
    asked = time.monotonic()
    response = http.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    wait_for(lambda: provider.active() == 0, timeout=5)
    closed = time.monotonic() - asked
    print(f"\ncancel → provider stream closed in {closed * 1000:.0f} ms")
    time.sleep(0.5)
    job = state(http, job_id)
    assert job["status"] == "cancelled" and job["chunks"]
    (record,) = attempts(app, job_id)
    assert record.completion_tokens and record.raw_response == "".join(
        c["text"] for c in job["chunks"]
    )
    assert http.post(f"/api/jobs/{job_id}/cancel").status_code == 409


def test_cancel_a_retrying_job_takes_it_off_the_queue(http, provider):
    fault = {"kind": "status", "status": 429, "retry_after": 3}
    provider.script("later", ideas_json(IDEAS), fault=fault)
    job_id = start(http, "later")
    wait_for(lambda: state(http, job_id)["status"] == "retrying")
    assert http.post(f"/api/jobs/{job_id}/cancel").json()["status"] == "cancelled"
    time.sleep(4)  # past Retry-After and several sweeps
    assert len(provider.requests("later")) == 1 and state(http, job_id)["status"] == "cancelled"


def test_retry_by_hand_runs_a_new_attempt_at_the_same_url(http, provider):
    provider.script("once401", ideas_json(IDEAS), fault={"kind": "status", "status": 401}, times=1)
    job_id = start(http, "once401")
    assert final(http, job_id)["status"] == "failed"
    response = http.post(f"/api/jobs/{job_id}/retry")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    job = final(http, job_id)
    assert (job["status"], job["attempt"], job["error"]) == ("completed", 2, None)
    assert http.post(f"/api/jobs/{job_id}/retry").status_code == 409


def test_retry_by_hand_waits_for_another_active_job(http, provider):
    provider.script("fail1", ideas_json(IDEAS), fault={"kind": "status", "status": 401}, times=1)
    project = http.post("/api/projects", json={"name": "P"}).json()["projectId"]
    body = {"projectId": project, "params": {**PARAMS, "requirements": "[[script:fail1]]"}}
    failed = http.post("/api/brainstorm/start", json=body).json()["transformId"]
    final(http, failed)
    provider.script("hold", ideas_json(IDEAS), pause_at=3)
    body["params"]["requirements"] = "[[script:hold]]"
    active = http.post("/api/brainstorm/start", json=body).json()["transformId"]
    response = http.post(f"/api/jobs/{failed}/retry")
    assert response.status_code == 409 and "running" in response.json()["error"]
    provider.release("hold")
    final(http, active)


def test_a_new_attempt_resets_the_streams(http, provider):
    content = ideas_json(IDEAS)
    provider.script(
        "again", content, token_chars=2, delay_ms=10, fault={"kind": "drop", "after": 20}, times=1
    )
    job_id = start(http, "again")
    text, resets = "", 0
    with http.stream("GET", f"/api/streaming/transform/{job_id}") as response:
        for event in events(response):
            data = event.json()
            if event.event == "status" and data.get("reset"):
                text, resets = "", resets + 1
            elif event.event == "chunk":
                text += data["text"]
            elif event.event == "done":
                break
    assert resets >= 2 and text == content  # the first attempt's text was dropped


@pytest.mark.parametrize(
    "cursor",
    ["abc", "-1", "1.-1", "99999999999999999999.1", "1.999999999", "0.0", "7.3", ""]
    + ["².1", "1.٣", "9" * 5000 + ".1"],
)
def test_hostile_cursors_get_a_snapshot_of_this_job_only(http, provider, cursor):
    provider.script("other", ideas_json(IDEAS))
    other = start(http, "other")
    assert final(http, other)["status"] == "completed"  # its chunks are in the DB
    provider.script("mine", ideas_json([("Mine", "x")]), pause_at=3)
    project = http.post("/api/projects", json={"name": "Mine"}).json()["projectId"]
    params = {**PARAMS, "requirements": "[[script:mine]]", "numIdeas": 1}
    mine = http.post("/api/brainstorm/start", json={"projectId": project, "params": params})
    mine_id = mine.json()["transformId"]
    wait_for(lambda: state(http, mine_id)["chunks"])
    for query in ({"after": cursor}, {}):
        headers = {} if query else {"Last-Event-ID": cursor.encode()}
        url = f"/api/streaming/transform/{mine_id}"
        with http.stream("GET", url, params=query, headers=headers) as response:
            assert response.status_code == 200
            first = []
            for event in events(response):
                first.append(event)
                if event.event == "status" and "status" in event.json():
                    break
        texts = "".join(e.json()["text"] for e in first if e.event == "chunk")
        assert (
            "Alpha" not in texts
            and texts == "".join(c["text"] for c in state(http, mine_id)["chunks"])[: len(texts)]
        )
    provider.release("mine")
    assert final(http, mine_id)["status"] == "completed"


def test_cancel_and_retry_forms_work_without_javascript(api, web, make_user, provider):
    account = make_user("formuser")
    http = api(account)
    provider.script("hold", ideas_json(IDEAS), pause_at=3)
    job_id = start(http, "hold")
    wait_for(lambda: state(http, job_id)["status"] == "running")
    browser = web().login(account)
    page = browser.http.get(f"/jobs/{job_id}").text
    assert 'class="action-cancel"' in page and 'class="action-retry"' in page
    cancelled = browser.post_form(f"/jobs/{job_id}/cancel", {}, form_path=f"/jobs/{job_id}")
    assert cancelled.status_code == 303 and cancelled.headers["Location"] == f"/jobs/{job_id}"
    assert "status-cancelled" in browser.http.get(f"/jobs/{job_id}").text
    again = browser.post_form(f"/jobs/{job_id}/cancel", {}, form_path=f"/jobs/{job_id}")
    assert "already ended" in browser.http.get(again.headers["Location"]).text
    provider.script("hold", ideas_json(IDEAS))
    retried = browser.post_form(f"/jobs/{job_id}/retry", {}, form_path=f"/jobs/{job_id}")
    assert retried.status_code == 303
    assert final(http, job_id)["status"] == "completed"
    page = browser.http.get(f"/jobs/{job_id}").text
    assert "status-completed" in page
    assert "Attempt 2 of 3." not in page  # attempts matter no more once the job is done
