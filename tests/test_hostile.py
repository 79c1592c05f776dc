"""Untrusted text: model output and params are inert everywhere; concurrent starts make one job."""

import json
import re
import threading

import httpx2
from factories import BRAINSTORM_PARAMS
from support import events, ideas_json, wait_for

from app.brainstorm.catalog import genre_paths

HOSTILE = [
    "<script>alert(1)</script>",
    'hx-get="/logout"',
    '<hx-partial hx-target="#job_status">owned</hx-partial>',
    "</template>",
    "\rdata: evil\n\nevent: done\n",
    "<img src=x onerror=alert(2)>",
]
OUR_PARTIAL = re.compile(
    r'<hx-partial hx-target="#(job_\w+|nav_jobs|notices|notice_\d+)" hx-swap="\w+">'
)


def hostile_answer() -> str:
    """A valid answer whose strings (and whitespace) carry every hostile piece."""
    ideas = [{"title": text[:60], "body": f"before {text} after"} for text in HOSTILE]
    return "{\r\n" + json.dumps({"ideas": ideas}, ensure_ascii=False)[1:]


def assert_inert_html(text: str) -> None:
    assert "<script>alert" not in text and "<img src=x" not in text and "</template>" not in text
    assert 'hx-get="/logout"' not in text
    assert "<hx-partial" not in OUR_PARTIAL.sub("", text)


def test_hostile_model_output_and_params_are_inert(api, web, make_user, provider):
    account = make_user()
    http = api(account)
    answer = hostile_answer()
    provider.script("evil", answer, token_chars=5, delay_ms=15)
    project = http.post("/api/projects", json={"name": "<b>P</b>"}).json()["projectId"]
    params = {
        "platform": "douyin",
        "genrePaths": [list(genre_paths()[0])],
        "genreProportions": [100],
        "requirements": "[[script:evil]] " + " ".join(HOSTILE),
        "numIdeas": len(HOSTILE),
    }
    job_id = http.post(
        "/api/brainstorm/start", json={"projectId": project, "params": params}
    ).json()["transformId"]
    browser = web().login(account)
    page_messages, json_events = [], []

    def page_stream() -> None:
        query = {"job": job_id, "after": "0.0"}
        with browser.http.stream("GET", "/live/events", params=query) as r:
            for event in events(r):
                page_messages.append(event)
                if "status-completed" in event.data:
                    return

    def json_stream() -> None:
        with http.stream("GET", f"/api/streaming/transform/{job_id}") as r:
            json_events.extend(events(r))

    threads = [threading.Thread(target=page_stream), threading.Thread(target=json_stream)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    state = http.get(f"/api/jobs/{job_id}").json()
    assert state["status"] == "completed"

    # The API keeps the data exactly; escaping is the renderers' job.
    ideation = http.get(f"/api/ideations/{job_id}").json()
    assert [i["title"] for i in ideation["ideas"]] == [t[:60].strip() for t in HOSTILE]
    assert ideation["userInput"] == params["requirements"]

    # The page, rendered after the fact, shows it all as text.
    page = browser.http.get(f"/jobs/{job_id}").text
    assert_inert_html(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;P&lt;/b&gt;" in page

    # The page stream: only unnamed messages, only our partials, text escaped; it got to the end.
    assert any("status-completed" in m.data for m in page_messages)
    assert all(m.event == "message" for m in page_messages)
    for message in page_messages:
        assert_inert_html(message.data)

    # The JSON stream: only its own event names; the chunks rebuild the stored answer.
    assert {e.event for e in json_events} <= {"chunk", "status", "done"}
    chunks = [e.json()["text"] for e in json_events if e.event == "chunk"]
    assert "".join(chunks) == "".join(c["text"] for c in state["chunks"]) == answer


def test_parallel_starts_create_exactly_one_job(server, make_user, app, provider):
    account = make_user()
    with httpx2.Client(base_url=server.url, headers=account.bearer) as http:
        project = http.post("/api/projects", json={"name": "Race"}).json()["projectId"]
    # The job stays active while the race runs (a finished one would let another start).
    provider.script("race", ideas_json([("One", "x")]), pause_at=1)
    params = {**BRAINSTORM_PARAMS, "requirements": "[[script:race]]", "numIdeas": 1}
    barrier, answers = threading.Barrier(12), []

    def start(index: int) -> None:
        headers = {**account.bearer, "Idempotency-Key": f"race-{index}"}
        with httpx2.Client(base_url=server.url, headers=headers, timeout=30) as http:
            barrier.wait()
            body = {"projectId": project, "params": params}
            answers.append(http.post("/api/brainstorm/start", json=body))

    threads = [threading.Thread(target=start, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(a.status_code for a in answers)
    assert codes == [202] + [409] * 11, codes
    ids = {a.json()["transformId"] for a in answers}
    assert len(ids) == 1
    from sqlalchemy import func, select

    from app.extensions import db
    from app.jobs.models import Transform

    with app.app_context():
        assert db.session.scalar(select(func.count(Transform.id))) == 1
    provider.release("race")
    with httpx2.Client(base_url=server.url, headers=account.bearer) as http:
        wait_for(lambda: http.get(f"/api/jobs/{ids.pop() if ids else 0}").status_code == 200)
