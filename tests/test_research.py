"""Deep research through the API and the pages, against the fake provider through the real
`openai` client: questions first (the job waits for its writer, holding no slot), answers or a
skip (a human transform), then the research in either mode — a streamed chat, or a background
response of the Responses API that is re-attached (never created twice) after its stream
drops and polled, parked between polls, once it is too old to stream again.

A research prompt carries `[[script:NAME]]`: the script's first chat reply is the questions,
every later call (chat or Responses) gets its content, the research text."""

import json
import re
from typing import Any

import httpx2
from factories import make_project
from sqlalchemy import select
from support import wait_for

from app.artifacts.models import Artifact, HumanTransform, TransformInput, TransformOutput
from app.extensions import db
from app.jobs.models import LlmTransform, Transform

QUESTIONS = ["Which platform is it for?", "How many episodes?", "Any tropes to avoid?"]
TEXT = (
    "# The Heiress Returns\n\nShort dramas open on conflict ([Paywall timing]"
    "(https://news.example.com/paywall)).\n\n## Characters\n\n- Lin: the heiress\n\n"
    "## Sources\n\n- [Paywall timing](https://news.example.com/paywall)\n"
)
CITED = [{"title": "Paywall timing", "url": "https://news.example.com/paywall"}]
FINAL = ("completed", "failed", "cancelled")


def base(project_id: int) -> str:
    return f"/api/workflows/{project_id}/outline-generation"


def script(provider, name: str, text: str = TEXT, **options: Any) -> None:
    questions = json.dumps({"questions": QUESTIONS})
    provider.script(name, text, chat_replies=[questions], token_chars=6, **options)


def start(http: httpx2.Client, project_id: int, name: str, **body: Any) -> dict[str, Any]:
    prompt = body.pop("prompt", f"A revenge drama about an heiress. [[script:{name}]]")
    response = http.post(f"{base(project_id)}/start", json={"prompt": prompt, **body})
    assert response.status_code == 202, response.text
    return response.json()


def session(http: httpx2.Client, project_id: int, session_id: int) -> dict[str, Any]:
    response = http.get(f"{base(project_id)}/sessions/{session_id}")
    assert response.status_code == 200, response.text
    return response.json()


def wait_phase(http, project_id: int, session_id: int, *phases: str, timeout: float = 30) -> dict:
    return wait_for(
        lambda: (s := session(http, project_id, session_id))["phase"] in phases and s, timeout
    )


def wait_status(http, project_id: int, session_id: int, *statuses: str, timeout: float = 30):
    return wait_for(
        lambda: (s := session(http, project_id, session_id))["status"] in statuses and s, timeout
    )


def answer(http, project_id: int, session_id: int, **body: Any) -> httpx2.Response:
    return http.post(f"{base(project_id)}/answers", json={"sessionId": session_id, **body})


def test_streaming_research_asks_then_writes_from_the_answers(app, api, make_user, provider):
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id, "Heiress")
    script(provider, "stream1")
    started = start(http, project_id, "stream1", mode="streaming")
    assert set(started) == {"transformId", "sessionId", "status", "url"}
    assert started["sessionId"] == started["transformId"]
    sid = started["sessionId"]
    waiting = wait_phase(http, project_id, sid, "needs_input")
    assert waiting["status"] == "needs_input"
    assert waiting["clarificationQuestions"] == QUESTIONS
    assert waiting["clarificationAnswers"] is None and waiting["finalOutline"] is None
    # The job waits in the Jobs list's "needs your input" and holds no worker slot.
    listed = http.get("/api/jobs", params={"status": "needs_input"}).json()["jobs"]
    assert [j["id"] for j in listed] == [sid]
    status = http.get(f"{base(project_id)}/status").json()
    assert status["id"] == sid and status["phase"] == "needs_input"

    replies = ["Douyin", "", "No amnesia"]
    response = answer(http, project_id, sid, answers=replies)
    assert response.status_code == 202, response.text
    done = wait_status(http, project_id, sid, *FINAL)
    assert done["status"] == "completed" and done["phase"] == "done"
    assert done["mode"] == "streaming"
    assert done["clarificationAnswers"] == replies
    assert done["finalOutline"] == TEXT
    # A streamed chat has no web search: its links are the model's suggestions.
    assert done["citations"] == CITED and done["citationsSource"] == "model"
    assert done["backgroundResponseId"] is None and done["pollingAttempts"] == 0
    assert done["completedAt"] and done["startedAt"] and done["errorMessage"] is None
    instructions = done["researchInstructions"]
    assert "Q: Which platform is it for?\nA: Douyin" in instructions
    assert "How many episodes" not in instructions  # left empty: not sent
    assert http.get(f"{base(project_id)}/status").status_code == 404  # none active now
    assert http.get(f"{base(project_id)}/latest").json()["session"]["id"] == sid
    # Lineage: the prompt (params) and the answers go in, the result comes out.
    graph = http.get(f"/api/projects/{project_id}/lineage").json()
    types = {n["id"]: n["type"] for n in graph["nodes"]}
    into = {types[e["from"]] for e in graph["edges"] if e["to"] == f"transform:{sid}"}
    out = {types[e["to"]] for e in graph["edges"] if e["from"] == f"transform:{sid}"}
    assert {"research_params", "research_answers"} <= into
    assert {"research_outline", "questions", "research_instructions"} <= out
    # The research call asked the research model with the writer's answers.
    research_call = provider.requests("stream1")[1]["body"]
    assert "Douyin" in research_call["messages"][-1]["content"]

    with app.app_context():
        # The answers are an artifact made by a human transform, read by the job.
        sheet = db.session.scalar(
            select(Artifact)
            .join(TransformInput, TransformInput.artifact_id == Artifact.id)
            .where(TransformInput.transform_id == sid, TransformInput.role == "answers")
        )
        assert sheet.type == "research_answers" and sheet.data["answers"] == replies
        made_by = db.session.scalar(
            select(TransformOutput.transform_id).where(TransformOutput.artifact_id == sheet.id)
        )
        act = db.session.get(Transform, made_by)
        human = db.session.scalar(
            select(HumanTransform).where(HumanTransform.transform_id == act.id)
        )
        assert act.type == "human" and human.action == "answer"


def test_a_skip_goes_on_with_defaults_and_an_answer_is_checked(app, api, make_user, provider):
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id)
    script(provider, "skip1")
    sid = start(http, project_id, "skip1", mode="streaming")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    # One answer per question, each at most 2,000 characters; answers or skip, not both.
    assert answer(http, project_id, sid, answers=["one"]).status_code == 422
    too_long = answer(http, project_id, sid, answers=["x" * 2001, "", ""])
    assert too_long.status_code == 422 and too_long.json()["field"] == "answers.0"
    assert answer(http, project_id, sid, answers=[], skip=True).status_code == 422
    assert session(http, project_id, sid)["status"] == "needs_input"  # nothing was written
    assert answer(http, project_id, sid, skip=True).status_code == 202
    done = wait_status(http, project_id, sid, *FINAL)
    assert done["status"] == "completed" and done["clarificationAnswers"] is None
    assert "skipped your questions" in done["researchInstructions"]
    # Not waiting any more: 409 with the session.
    again = answer(http, project_id, sid, skip=True)
    assert again.status_code == 409 and again.json()["id"] == sid and again.json()["error"]


def test_one_research_per_project_and_sessions_only_through_their_project(
    app, api, make_user, provider
):
    account, other = make_user(), make_user("other")
    http = api(account)
    project_id = make_project(app, account.id)
    second_project = make_project(app, account.id, "Second")
    foreign = make_project(app, other.id, "Not yours")
    script(provider, "one1")
    sid = start(http, project_id, "one1")["sessionId"]
    busy = http.post(f"{base(project_id)}/start", json={"prompt": "Another [[script:one1]]"})
    assert busy.status_code == 409
    assert busy.json()["sessionId"] == sid and busy.json()["error"]
    # A session of another project, or of a project the caller is not in: 404.
    assert http.get(f"{base(second_project)}/sessions/{sid}").status_code == 404
    assert answer(http, second_project, sid, skip=True).status_code == 404
    assert http.post(f"{base(foreign)}/start", json={"prompt": "x"}).status_code == 404
    outsider = api(other)
    assert outsider.get(f"{base(project_id)}/sessions/{sid}").status_code == 404
    assert outsider.get(f"{base(project_id)}/latest").status_code == 404
    # Bad input: a clear 422, nothing recorded.
    for body in ({"prompt": "   "}, {"prompt": "x", "mode": "fast"}, {"prompt": "x" * 4001}):
        assert http.post(f"{base(second_project)}/start", json=body).status_code == 422
    bad_context = {"prompt": "x", "contextArtifactId": 999999}
    refused = http.post(f"{base(second_project)}/start", json=bad_context)
    assert refused.status_code == 422 and refused.json()["field"] == "contextArtifactId"
    assert http.get(f"{base(second_project)}/latest").json() == {"session": None}
    cancelled = http.post(f"{base(project_id)}/cancel", json={"sessionId": sid})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ended = http.post(f"{base(project_id)}/cancel", json={"sessionId": sid})
    assert ended.status_code == 409 and ended.json()["status"] == "cancelled"


def test_background_research_with_web_search_citations(app, api, make_user, provider):
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id)
    after = TEXT.index("))") // 6
    script(
        provider,
        "bg1",
        searches=2,
        delay_ms=5,
        citations=[{**CITED[0], "after": after}],
        usage={"input_tokens": 300, "output_tokens": 120},
    )
    sid = start(http, project_id, "bg1", mode="background")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    assert answer(http, project_id, sid, answers=["Douyin", "60", ""]).status_code == 202
    done = wait_status(http, project_id, sid, *FINAL)
    assert done["status"] == "completed" and done["mode"] == "background"
    assert done["finalOutline"] == TEXT
    assert done["citations"] == CITED and done["citationsSource"] == "search"
    created = provider.responses("bg1")
    assert len(created) == 1 and done["backgroundResponseId"] == created[0]["id"]
    body = provider.requests("bg1")[-1]["body"]
    assert body["background"] is True and body["store"] is True
    assert {"type": "web_search"} in body["tools"]
    with app.app_context():
        calls = db.session.scalars(
            select(LlmTransform).where(LlmTransform.transform_id == sid)
        ).all()
        research = [c for c in calls if (c.parameters or {}).get("mode") == "background"]
        assert [c.response_id for c in research] == [created[0]["id"]]
        assert research[0].total_tokens == 420


def test_a_dropped_stream_is_re_attached_then_polled_once_too_old(app, api, make_user, provider):
    """The first stream drops mid-way; the provider refuses to stream the response again
    (too old): the job polls it, parked between polls, and ends with the whole text once —
    from one create."""
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id)
    provider.configure(stream_again_seconds=0.2)
    script(provider, "poll1", delay_ms=40, fault={"kind": "drop", "after": 12}, fault_on=[0])
    sid = start(http, project_id, "poll1", mode="background")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    answer(http, project_id, sid, skip=True)
    polled = wait_for(
        lambda: (s := session(http, project_id, sid))["pollingAttempts"] >= 1 and s, timeout=30
    )
    assert polled["status"] in ("pending", "running", "completed")
    assert polled["backgroundResponseId"] == provider.responses("poll1")[0]["id"]
    done = wait_status(http, project_id, sid, *FINAL, timeout=40)
    assert done["status"] == "completed" and done["finalOutline"] == TEXT
    assert done["pollingAttempts"] >= 1 and done["lastPolledAt"]
    created = provider.responses("poll1")
    assert len(created) == 1 and created[0]["streams"] >= 1 and created[0]["retrieves"] >= 1
    # The page's text is the research text once: what streamed, then the rest.
    job = http.get(f"/api/jobs/{sid}").json()
    assert job["status"] == "completed"
    with app.app_context():
        from app.jobs.state import current_chunks

        text = "".join(c.text for c in current_chunks(db.session.get(Transform, sid)))
    assert text.endswith(TEXT) and text.count("# The Heiress Returns") == 1


def test_cancel_in_every_state_reaches_the_provider(app, api, make_user, provider):
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id)
    # While waiting for answers.
    script(provider, "cancel1")
    sid = start(http, project_id, "cancel1")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    assert http.post(f"{base(project_id)}/cancel", json={"sessionId": sid}).status_code == 200
    assert session(http, project_id, sid)["status"] == "cancelled"
    # While a background response streams: the provider is told.
    script(provider, "cancel2", delay_ms=100)
    sid = start(http, project_id, "cancel2", mode="background")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    answer(http, project_id, sid, skip=True)
    wait_phase(http, project_id, sid, "writing")
    assert http.post(f"{base(project_id)}/cancel", json={"sessionId": sid}).status_code == 200
    wait_for(lambda: provider.responses("cancel2")[0]["cancel_calls"] == 1)
    assert provider.responses("cancel2")[0]["status"] == "cancelled"
    # While parked between polls (its stream dropped, and it is too old to stream again):
    # the clean-up cancels it.
    provider.configure(stream_again_seconds=0)
    script(provider, "cancel3", delay_ms=300, fault={"kind": "drop", "after": 4}, fault_on=[0])
    sid = start(http, project_id, "cancel3", mode="background")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    answer(http, project_id, sid, skip=True)
    wait_for(lambda: session(http, project_id, sid)["pollingAttempts"] >= 1, timeout=30)
    assert http.post(f"{base(project_id)}/cancel", json={"sessionId": sid}).status_code == 200
    wait_for(lambda: provider.responses("cancel3")[0]["cancel_calls"] == 1)
    assert len(provider.responses("cancel3")) == 1


HOSTILE = (
    '# <img src=x onerror="alert(1)">Title\n\n<script>alert("x")</script>\n\n'
    "[click](javascript:alert(1)) [data](data:text/html,hi) ![pic](javascript:evil)\n\n"
    "[ok](https://fine.example.org/a?b=1&c=<x>)\n"
)


def test_hostile_markdown_and_citations_are_escaped(app, api, make_user, provider, web):
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id)
    script(
        provider,
        "hostile1",
        text=HOSTILE,
        citations=[
            {"title": '<b onmouseover="x">T</b>', "url": 'https://x.example/"><s>', "after": 3}
        ],
    )
    sid = start(http, project_id, "hostile1", mode="background")["sessionId"]
    wait_phase(http, project_id, sid, "needs_input")
    answer(http, project_id, sid, skip=True)
    assert wait_status(http, project_id, sid, *FINAL)["status"] == "completed"
    page = web().login(account).http.get(f"/jobs/{sid}").text
    doc = page.split('class="research-doc">', 1)[1].split("</article>", 1)[0]
    # Raw HTML is text; only http(s) links became links, each rel="noopener nofollow".
    assert "&lt;script&gt;" in doc and "<script" not in doc
    assert not re.search(r"<[a-z]+[^>]*\bon[a-z]+=", doc) and "<img" not in doc
    assert re.findall(r'(?:href|src)="([^"]*)"', doc) == [
        "https://fine.example.org/a?b=1&amp;c=%3Cx%3E"
    ]
    assert all("noopener nofollow" in a for a in re.findall(r"<a [^>]*>", doc))
    citations = page.split('class="citations">', 1)[1].split("</section>", 1)[0]
    assert "<b onmouseover" not in citations and "&lt;b onmouseover" in citations
    assert '"><s>' not in citations


def test_the_pages_work_without_javascript(app, api, make_user, provider, web):
    """Start from the form, answer on the job page with a plain form, read the result and its
    sources, export it, and go on to an outline from it."""
    account = make_user()
    http = api(account)
    tab = web().login(account)
    project_id = make_project(app, account.id, "Pages")
    script(provider, "pages1")
    form = tab.http.get(f"/projects/{project_id}/research")
    assert form.status_code == 200 and 'name="prompt"' in form.text
    empty = tab.post_form(f"/projects/{project_id}/research", {"prompt": "  "})
    assert empty.status_code == 422 and "Say what the research is for." in empty.text
    sent = tab.post_form(
        f"/projects/{project_id}/research",
        {"prompt": "A revenge drama. [[script:pages1]]", "mode": "streaming"},
    )
    assert sent.status_code == 303
    job_url = sent.headers["Location"]
    sid = int(job_url.rsplit("/", 1)[1])
    wait_phase(http, project_id, sid, "needs_input")
    page = tab.http.get(job_url).text
    assert 'http-equiv="refresh"' not in page  # nobody is typing under a reload
    assert all(f'name="answer_{i}"' in page for i in range(3)) and "Skip the questions" in page
    assert "Which platform is it for?" in page
    answered = tab.post_form(
        f"/research/{sid}/answers",
        {"answer_0": "Kuaishou", "answer_1": "", "answer_2": ""},
        form_path=job_url,
    )
    assert answered.status_code == 303 and answered.headers["Location"] == job_url
    done = wait_status(http, project_id, sid, *FINAL)
    assert done["clarificationAnswers"] == ["Kuaishou", "", ""]
    page = tab.http.get(job_url).text
    assert "<h1>The Heiress Returns</h1>" in page and "Kuaishou" in page
    assert "Suggested by the model, unverified" in page
    assert 'name="answer_0"' not in page
    markdown = tab.http.get(f"/research/{sid}/export", params={"format": "md"})
    assert markdown.text == TEXT and "attachment" in markdown.headers["content-disposition"]
    exported = tab.http.get(f"/research/{sid}/export", params={"format": "json"}).json()
    assert exported["finalOutline"] == TEXT and exported["citations"] == CITED
    printable = tab.http.get(f"/research/{sid}/export", params={"format": "html"}).text
    assert "<h1>The Heiress Returns</h1>" in printable
    assert tab.http.get(f"/research/{sid}/export", params={"format": "pdf"}).status_code == 422
    # "Make an outline from this": the outline form takes the research result as its source.
    link = re.search(r'href="(/artifacts/(\d+)/outline)"', page)
    assert link and int(link.group(2)) == done["resultArtifactId"]
    assert tab.http.get(link.group(1)).status_code == 200
    outline = http.post(
        "/api/outlines/start",
        json={"projectId": project_id, "sourceArtifactId": done["resultArtifactId"]},
    )
    assert outline.status_code == 202, outline.text
    # The project page lists the result and offers research again.
    project_page = tab.http.get(f"/projects/{project_id}").text
    assert "The Heiress Returns" in project_page and "Start deep research" in project_page


def test_an_idea_version_is_the_context_of_the_research(app, api, make_user, provider):
    account = make_user()
    http = api(account)
    project_id = make_project(app, account.id)
    other_project = make_project(app, account.id, "Other")
    with app.app_context():
        idea = Artifact(
            project_id=project_id,
            type="brainstorm_idea",
            data={"title": "雨夜咖啡店", "body": "她接手了一家快倒闭的咖啡店。"},
            created_by=account.id,
        )
        db.session.add(idea)
        db.session.commit()
        idea_id = idea.id
    script(provider, "context1")
    refused = http.post(
        f"{base(other_project)}/start", json={"prompt": "x", "contextArtifactId": idea_id}
    )
    assert refused.status_code == 422 and refused.json()["field"] == "contextArtifactId"
    sid = start(http, project_id, "context1", contextArtifactId=idea_id)["sessionId"]
    asked = wait_phase(http, project_id, sid, "needs_input")
    assert asked["contextArtifactId"] == idea_id
    assert (
        "她接手了一家快倒闭的咖啡店。"
        in provider.requests("context1")[0]["body"]["messages"][-1]["content"]
    )
    answer(http, project_id, sid, skip=True)
    done = wait_status(http, project_id, sid, *FINAL)
    assert "雨夜咖啡店" in done["researchInstructions"]
    graph = http.get(f"/api/projects/{project_id}/lineage").json()
    assert {"from": f"artifact:{idea_id}", "to": f"transform:{sid}", "role": "context"} in graph[
        "edges"
    ]
