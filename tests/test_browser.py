"""The job page in a real Chromium: live over SSE across a reload and in a second tab, and with
JavaScript off (the page refreshes itself). Every tab must end on the stored raw response."""

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from support import ideas_json

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TOKEN_CHARS = 4
DELAY_MS = 30  # ~170 tokens: about 5 s of streaming
JOB_URL = re.compile(r"/jobs/(\d+)$")

# CSP violations become console errors, collected with the others.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""

TITLES = ["霸道总裁的咖啡店 ☕🎬", "<b>not bold</b> & friends", "第三个故事：逆袭"]
BODIES = [
    "她在雨夜接手了一家快倒闭的咖啡店，第一位客人竟是收购整条街的总裁。"
    "He offers to buy the shop; she bets him a month of coffee that he cannot run it for a week."
    " Every episode ends on a cup with a note inside; her regulars (a retired judge, a street"
    " cat and a rival barista) each hide a secret.",
    "Two rivals share one apartment.\rA carriage return sits in this body, and so does"
    ' "<i>still not italic</i>" — the page must show all of it as text.',
    "外卖小哥在最后一集揭开身份：他是失踪多年的继承人。A short, sharp reversal.",
]


def script_content() -> str:
    """Three ideas as pretty JSON: the body's CR is escaped; a CRLF and a lone CR are raw."""
    content = ideas_json(list(zip(TITLES, BODIES, strict=True)))
    content = content.replace("{\n", "{\r\n", 1)
    return content.replace("},\n", "},\r", 1)


def pause_after_first_idea(content: str) -> int:
    """The token index at which the model holds, just after idea 1's closing brace."""
    return math.ceil((content.index("}") + 1) / TOKEN_CHARS)


def until(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Poll read() until done(value); return the value, or fail showing the last one."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s; last: {value!r}")
        time.sleep(0.05)
        value = read()
    return value


def watch(page: Any, errors: list[str]) -> Any:
    """Collect the page's console errors (CSP violations included) and uncaught exceptions."""

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            errors.append(f"{msg.text} ({msg.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return page


def sign_in(page: Any, base: str, account: Any) -> None:
    page.goto(base + "/login")
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    with page.expect_navigation():
        page.click("form button.primary")
    assert "/login" not in page.url


def start_brainstorm(page: Any, base: str, script: str) -> int:
    """Create a project and send the brainstorm form, through the pages; the job's id."""
    page.goto(base + "/projects/")
    page.fill("#name", "Browser project")
    with page.expect_navigation():
        page.click("form button.primary")
    assert re.search(r"/projects/\d+$", page.url), page.url
    with page.expect_navigation():
        page.click("a.button.primary")  # "Brainstorm ideas"
    page.fill('input[name="genre-0"]', "100")
    page.fill("#requirements", f"A test run. [[script:{script}]]")
    page.fill("#numIdeas", "3")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("form.brainstorm button.primary")
    assert posted.value.status == 303  # the POST answered with a redirect at once
    page.wait_for_url(JOB_URL)
    match = JOB_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


def raw_of(page: Any) -> str:
    return page.eval_on_selector("#job_raw", "el => el.textContent")


def ideas_of(page: Any) -> list[str]:
    return page.eval_on_selector_all("#job_results .idea h3", "els => els.map(e => e.textContent)")


def status_of(page: Any) -> str:
    classes = (page.get_attribute("#job_status", "class") or "").split()
    return next((c[7:] for c in classes if c.startswith("status-") and c != "status-box"), "")


def view(page: Any) -> tuple[str, int, list[str]] | None:
    """(status, length of the raw text, idea titles), or None while the page navigates."""
    from playwright.sync_api import Error

    try:
        return status_of(page), len(raw_of(page)), ideas_of(page)
    except Error:
        return None


def stored_raw(http: Any, job_id: int) -> str:
    """The current attempt's raw text, as the JSON API reads it from the database."""
    job = http.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    return "".join(chunk["text"] for chunk in job["chunks"])


def assert_final(page: Any, raw: str) -> None:
    assert raw_of(page) == raw
    assert ideas_of(page) == TITLES
    # The model's markup is shown as text: no element came from it.
    assert page.locator("#job_raw *, #job_results b, #job_results i").count() == 0


def held_script(provider: Any, name: str) -> tuple[str, list[str], str]:
    """Register the three ideas, held after idea 1: (content, tokens, what was said so far)."""
    content = script_content()
    pause_at = pause_after_first_idea(content)
    tokens = provider.script(
        name, content, delay_ms=DELAY_MS, token_chars=TOKEN_CHARS, pause_at=pause_at
    )
    return content, tokens, "".join(tokens[:pause_at])


@contextmanager
def watched_context(browser: Any, **options: Any) -> Iterator[tuple[Any, list[str]]]:
    """A JavaScript context whose console errors and CSP violations are collected (options:
    Playwright's, e.g. a viewport or a locale)."""
    errors: list[str] = []
    context = browser.new_context(**options)
    context.add_init_script(CSP_REPORTER)
    try:
        yield context, errors
    finally:
        context.close()


def test_live_page_through_reload_and_second_tab(browser, server, provider, make_user, api):
    began = time.monotonic()
    account = make_user("browser")
    content, tokens, held = held_script(provider, "live")
    assert 100 < len(tokens) < 200

    with watched_context(browser) as (context, errors):
        tab1 = watch(context.new_page(), errors)
        sign_in(tab1, server.url, account)
        job_id = start_brainstorm(tab1, server.url, "live")
        job_url = tab1.url
        assert status_of(tab1) in ("pending", "running")

        # Reload mid-stream: the page shows what the database holds, then follows on.
        until(lambda: raw_of(tab1), lambda raw: len(raw) >= 40, timeout=30)  # with pickup
        tab1.reload()
        after_reload = raw_of(tab1)
        assert status_of(tab1) == "running"
        assert held.startswith(after_reload) and len(after_reload) < len(held)
        assert ideas_of(tab1) == []

        tab2 = watch(context.new_page(), errors)
        tab2.goto(job_url)

        # The model holds just after idea 1: both tabs show it and every character so far.
        for tab in (tab1, tab2):
            until(lambda tab=tab: raw_of(tab), lambda raw: raw == held)
            until(lambda tab=tab: ideas_of(tab), lambda ideas: ideas == TITLES[:1])
            assert status_of(tab) == "running"
            # Only the actions that fit the streamed status show (CSS on #job_status).
            assert tab.locator(".action-cancel button").is_visible()
            assert not tab.locator(".action-retry button").is_visible()

        provider.release("live")
        # Tab 2 is never reloaded: idea 2 reaches it over the stream while the job runs.
        seen = until(lambda: view(tab2), lambda v: v is not None and len(v[2]) >= 2)
        assert seen[0] == "running" and seen[2] == TITLES[:2], seen

        for tab in (tab1, tab2):
            tab.wait_for_selector("#job_status.status-completed", timeout=20_000)
        final = stored_raw(api(account), job_id)
        assert final == content  # every character the model sent, as sent
        for tab in (tab1, tab2):
            assert_final(tab, final)
            assert not tab.locator(".action-cancel button").is_visible()
        # The pages that watched it end said so: it is no news on the next page.
        http = api(account)
        until(lambda: http.get(f"/api/jobs/{job_id}").json()["seen"], lambda seen: seen)
        tab2.goto(server.url + "/projects/")
        assert tab2.locator(f"#notice_{job_id}").count() == 0
        assert errors == []
    print(f"\n  live page, reload and second tab: {time.monotonic() - began:.1f}s")


def test_page_without_javascript_refreshes_itself(browser, server, provider, make_user, api):
    began = time.monotonic()
    account = make_user("nojs")
    content, tokens, held = held_script(provider, "nojs")

    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        loads: list[str] = []
        page.on("load", lambda loaded: loads.append(loaded.url))
        sign_in(page, server.url, account)
        job_id = start_brainstorm(page, server.url, "nojs")
        job_url = page.url
        assert status_of(page) in ("pending", "running")
        assert page.locator('noscript meta[http-equiv="refresh"]').count() == 1
        landed = len(loads)

        # Refreshing itself, the page comes to show the running job as the model holds.
        until(lambda: view(page), lambda v: v == ("running", len(held), TITLES[:1]), timeout=30)
        assert raw_of(page) == held
        assert len(loads) > landed, "the page did not refresh itself"

        provider.release("nojs")
        until(lambda: view(page), lambda v: v is not None and v[0] == "completed", timeout=30)
        assert page.url == job_url
        final = stored_raw(api(account), job_id)
        assert final == content
        assert_final(page, final)
        assert page.locator('meta[http-equiv="refresh"]').count() == 0  # finished: it stops
    finally:
        context.close()
    print(f"\n  JavaScript off: {time.monotonic() - began:.1f}s")
