"""The job page in a real Chromium: the idea being written shows under the results as it
streams and goes once complete; the elapsed time ticks; failed and cancelled look different
(word, icon and colour), and a finished job's bar is not red."""

import json
import time

import pytest
from support import ideas_json
from test_browser import sign_in, until, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]

IDEAS = [
    ("霸道总裁的咖啡店", "她在雨夜接手了一家快倒闭的咖啡店。"),
    ("<b>not bold</b> & friends", "Two rivals share one apartment, and a body to finish."),
    ("第三个故事：逆袭", "外卖小哥在最后一集揭开身份。"),
]
PARAMS = {
    "platform": "douyin",
    "genrePaths": [["女频", "爱情", "甜宠"]],
    "genreProportions": [100],
    "numIdeas": 3,
}


def start(http, script: str) -> int:
    project = http.post("/api/projects", json={"name": "Page"}).json()["projectId"]
    params = {**PARAMS, "requirements": f"[[script:{script}]]"}
    response = http.post("/api/brainstorm/start", json={"projectId": project, "params": params})
    assert response.status_code == 202, response.text
    return response.json()["transformId"]


def text_of(page, selector: str) -> str:
    found = page.locator(selector)
    return found.first.text_content() or "" if found.count() else ""


def test_the_idea_being_written_shows_as_it_streams(browser, server, provider, make_user, api):
    began = time.monotonic()
    account = make_user("writing")
    http = api(account)
    content = ideas_json(IDEAS)
    held = content.index("and a body")  # in the middle of the second idea's body
    # Slow enough that a loaded machine still sees the first idea before it completes.
    provider.script("page", content, token_chars=2, delay_ms=60, pause_at=held // 2)
    job_id = start(http, "page")

    with watched_context(browser) as (context, errors):
        page = watch(context.new_page(), errors)
        sign_in(page, server.url, account)
        page.goto(f"{server.url}/jobs/{job_id}")
        # The title grows under the results before the idea is complete …
        until(lambda: text_of(page, "#job_partial h3"), lambda t: t.startswith("霸道"))
        assert page.locator("#job_results .idea").count() == 0
        assert page.locator("#job_partial").is_visible()
        # … and goes into the results when it is; the next one is written below them.
        until(lambda: text_of(page, "#job_partial .prose"), lambda t: "Two rivals" in t)
        assert text_of(page, "#job_partial h3") == IDEAS[1][0]  # text, not markup
        assert page.locator("#job_partial b").count() == 0
        assert page.locator("#job_results .idea h3").all_text_contents() == [IDEAS[0][0]]
        assert page.get_attribute("#job_partial", "aria-busy") == "true"
        # The elapsed time ticks between the server's updates.
        clock = "#job_status .timing time.clock"
        first = text_of(page, clock)
        until(lambda: text_of(page, clock), lambda t: t != first, timeout=5)

        page.reload()  # mid-idea: the page shows it from the database
        assert text_of(page, "#job_partial h3") == IDEAS[1][0]
        assert "Two rivals" in text_of(page, "#job_partial .prose")

        provider.release("page")
        page.wait_for_selector("#job_status.status-completed", timeout=20_000)
        assert page.locator("#job_results .idea").count() == 3
        assert not page.locator("#job_partial").is_visible()
        assert page.locator("#job_partial *").count() == 0
        bar = page.eval_on_selector("#job_status progress", "e => getComputedStyle(e).accentColor")
        assert bar == "rgb(0, 120, 90)", bar  # done-coloured, not the accent red
        assert page.locator("#job_status .timing").count() == 0
        assert errors == []
    print(f"\n  the idea being written: {time.monotonic() - began:.1f}s")


def test_failed_and_cancelled_look_different(browser, server, provider, make_user, api):
    account = make_user("badges")
    http = api(account)
    provider.script("fails", json.dumps({"ideas": []}), fault={"kind": "status", "status": 400})
    failed = start(http, "fails")
    provider.script("held", ideas_json(IDEAS), pause_at=3)
    cancelled = start(http, "held")
    until(lambda: http.get(f"/api/jobs/{cancelled}").json()["status"], lambda s: s == "running")
    assert http.post(f"/api/jobs/{cancelled}/cancel").json()["status"] == "cancelled"
    until(lambda: http.get(f"/api/jobs/{failed}").json()["status"], lambda s: s == "failed")
    provider.release("held")

    with watched_context(browser) as (context, errors):
        page = watch(context.new_page(), errors)
        sign_in(page, server.url, account)
        looks = {}
        for job_id in (failed, cancelled):
            page.goto(f"{server.url}/jobs/{job_id}")
            looks[job_id] = page.eval_on_selector(
                "#job_status .badge",
                """e => [e.textContent.trim(), getComputedStyle(e).backgroundColor,
                         getComputedStyle(e).color, getComputedStyle(e).borderStyle]""",
            )
            assert page.locator("#job_status .timing").count() == 0
        assert looks[failed][0] == "✕Failed" and looks[cancelled][0] == "⊘Cancelled"
        assert looks[failed][1] != looks[cancelled][1]  # not the same red
        assert looks[failed][1] == "rgb(184, 74, 0)"
        page.goto(f"{server.url}/jobs/")  # the Jobs page's badges are the same
        shown = page.locator(".badge").all_text_contents()
        assert "✕Failed" in shown and "⊘Cancelled" in shown
        assert errors == []
