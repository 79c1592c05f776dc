"""Deep research in a real Chromium, with JavaScript and without: the project page → the
research form → the questions (fetched into the live page, or rendered by the server once the
page stops refreshing) → the answers → the research streaming → the rendered result, its
sources, its Markdown export, and an outline from it. The model's hostile bits stay text."""

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_browser import sign_in, until, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]

JOB_URL = re.compile(r"/jobs/(\d+)$")
QUESTIONS = ["Which platform is it for?", "How many episodes?", "Any tropes to avoid?"]
TITLE = "The Night Market Heiress"
SOURCE = {"title": "Hook timing", "url": "https://news.example.com/hooks"}
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_LINK = "[x](javascript:alert(1))"
TEXT = (
    f"# {TITLE}\n\n"
    f"Vertical dramas hook in ten seconds ([{SOURCE['title']}]({SOURCE['url']})).\n\n"
    f"Left as text: {HOSTILE_IMG} and {HOSTILE_LINK}.\n\n"
    "## Characters\n\n- Lin: the heiress who sells noodles\n- Zhou: the landlord's son\n\n"
    "## Episodes\n\n1. The stall burns.\n2. A ring in the broth.\n3. The auction.\n\n"
    f"## Sources\n\n- [{SOURCE['title']}]({SOURCE['url']})\n"
)
TOKEN_CHARS = 4
DELAY_MS = 12  # ~110 tokens: about 1.3 s of writing, long enough to be seen streaming


def status(page: Any) -> str:
    """The status class of #job_status, or "" while the page navigates."""
    from playwright.sync_api import Error

    try:
        classes = (page.get_attribute("#job_status", "class", timeout=2000) or "").split()
    except Error:
        return ""
    return next((c[7:] for c in classes if c.startswith("status-") and c != "status-box"), "")


def raw(page: Any) -> str | None:
    from playwright.sync_api import Error

    try:
        return page.eval_on_selector("#job_raw", "el => el.textContent")
    except Error:
        return None


def count(page: Any, selector: str) -> int:
    from playwright.sync_api import Error

    try:
        return page.locator(selector).count()
    except Error:
        return 0


@contextmanager
def without_javascript(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(java_script_enabled=False)
    try:
        yield context, []
    finally:
        context.close()


def open_page(context: Any, errors: list[str], dialogs: list[str]) -> Any:
    page = watch(context.new_page(), errors)

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def start_research(page: Any, base: str, name: str, prompt: str, mode: str) -> str:
    """Create a project, open its research form from the project page and send it; the job
    page's URL."""
    page.goto(base + "/projects/")
    page.fill("#name", f"Research {name}")
    with page.expect_navigation():
        page.click("form button.primary")
    assert re.search(r"/projects/\d+$", page.url), page.url
    assert page.locator("#research h2").text_content() == "Deep research"
    with page.expect_navigation():
        page.get_by_role("link", name="Start deep research").click()
    assert page.url.endswith("/research")
    page.fill("#prompt", prompt)
    assert page.locator("#contextArtifactId option").count() == 1  # nothing to attach yet
    if mode:
        page.select_option("#mode", mode)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Start research").click()
    assert posted.value.status == 303
    page.wait_for_url(JOB_URL)
    return page.url


@pytest.mark.parametrize(
    ("javascript", "mode"),
    [(True, "background"), (False, "streaming")],
    ids=["javascript-background", "no-javascript-streaming"],
)
def test_research_from_the_project_page_to_an_outline(
    browser, server, provider, make_user, javascript, mode
):
    began = time.monotonic()
    account = make_user("researcher")
    name = f"research{int(javascript)}"
    # The questions come at once from chat_replies; with JavaScript they are held (pause_at
    # holds the questions call too) until the job page is open, so they must arrive live.
    provider.script(
        name,
        TEXT,
        chat_replies=[json.dumps({"questions": QUESTIONS})],
        token_chars=TOKEN_CHARS,
        delay_ms=DELAY_MS,
        citations=[{**SOURCE, "after": TEXT.index("))") // TOKEN_CHARS}],
        **({"pause_at": 0} if javascript else {}),
    )

    dialogs: list[str] = []
    opened = watched_context(browser) if javascript else without_javascript(browser)
    with opened as (context, errors):
        page = open_page(context, errors, dialogs)
        loads: list[str] = []
        page.on("load", lambda loaded: loads.append(loaded.url))
        sign_in(page, server.url, account)
        prompt = f"A revenge drama at a night market. [[script:{name}]]"
        job_url = start_research(page, server.url, name, prompt, mode)
        assert prompt in page.locator(".params").text_content()

        # The questions, and the answers form.
        if javascript:
            assert status(page) in ("pending", "running")
            assert page.locator("#answer_0").count() == 0
            page.evaluate("window.__no_reload = 'questions'")
            provider.release(name)
            page.wait_for_selector("#research_answers #answer_2", timeout=20_000)
            assert page.evaluate("window.__no_reload") == "questions", "the page reloaded"
            assert page.url == job_url
            assert status(page) == "needs_input"
        else:
            until(lambda: count(page, "#answer_2"), lambda n: n == 1, timeout=20)
            assert status(page) == "needs_input"
            assert page.locator('meta[http-equiv="refresh"]').count() == 0  # nobody is hurried
        asked = page.locator("#job_results .research-questions li").all_text_contents()
        assert [q.strip() for q in asked] == QUESTIONS
        assert page.locator("#research_answers textarea").count() == len(QUESTIONS)
        page.fill("#answer_0", "Douyin, vertical video")
        with page.expect_navigation():
            page.get_by_role("button", name="Send answers").click()
        assert page.url == job_url

        # The research writes: live, or by the page refreshing itself.
        if javascript:
            page.evaluate("window.__no_reload = 'research'")
            seen: list[tuple[str, int]] = []

            def look() -> tuple[str, int]:
                seen.append((status(page), len(raw(page) or "")))
                return seen[-1]

            until(look, lambda v: v[0] == "completed", timeout=30)
            assert page.evaluate("window.__no_reload") == "research", "the page reloaded"
            lengths = sorted({n for s, n in seen if s == "running"})
            assert len(lengths) >= 2 and lengths[0] < seen[-1][1], f"no streaming seen: {seen}"
            until(lambda: count(page, "article.research-doc"), lambda n: n == 1, timeout=10)
        else:
            answered = len(loads)
            until(lambda: status(page), lambda s: s == "completed", timeout=30)
            assert len(loads) > answered, "the page did not refresh itself"
            assert page.locator('meta[http-equiv="refresh"]').count() == 0
        assert page.url == job_url
        assert TITLE in (raw(page) or "") and HOSTILE_IMG in (raw(page) or "")
        assert page.locator("#job_raw *").count() == 0

        # The result: its outline rendered, its sources, the answers under the questions.
        results = page.locator("#job_results")
        doc = results.locator("article.research-doc")
        assert doc.locator("h1").all_text_contents() == [TITLE]
        assert doc.locator("li").first.text_content() == "Lin: the heiress who sells noodles"
        shown = doc.text_content() or ""
        assert HOSTILE_IMG in shown and HOSTILE_LINK in shown  # shown as text
        assert doc.locator("img").count() == 0
        hrefs = doc.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert hrefs and set(hrefs) == {SOURCE["url"]}, hrefs
        assert page.locator('a[href^="javascript:"], [onerror]').count() == 0
        sources = results.locator("section.citations")
        link = sources.locator("ol li a")
        assert link.count() == 1
        assert link.text_content() == SOURCE["title"]
        assert link.get_attribute("href") == SOURCE["url"]
        if mode == "background":
            assert "Pages the model's web search read." in sources.text_content()
        else:
            assert "Suggested by the model, unverified" in sources.text_content()
        answers = results.locator(".research-questions li .answer").all_text_contents()
        assert answers == ["Douyin, vertical video", "(no answer)", "(no answer)"]
        assert page.locator("#research_answers form").count() == 0
        for label in ("Download Markdown", "Print / PDF", "Download JSON"):
            assert results.get_by_role("link", name=label).count() == 1, label

        # The Markdown export is the model's text, as written.
        with page.expect_download() as download:
            results.get_by_role("link", name="Download Markdown").click()
        assert download.value.suggested_filename.endswith(".md")
        assert Path(download.value.path()).read_text(encoding="utf-8") == TEXT

        # On to an outline from it.
        outline = results.get_by_role("link", name="Make an outline from this")
        assert re.search(r"^/artifacts/\d+/outline$", outline.get_attribute("href") or "")
        with page.expect_navigation() as navigation:
            outline.click()
        assert navigation.value.status == 200
        assert page.locator("h1").text_content() == "Outline this idea"
        assert page.locator("form.outline").count() == 1
        assert TITLE in page.locator("section.panel h2").first.text_content()
        assert dialogs == []
        assert errors == []
    print(
        f"\n  research, {mode}, JavaScript {'on' if javascript else 'off'}: "
        f"{time.monotonic() - began:.1f}s"
    )


def test_skipping_the_questions_without_javascript(browser, server, provider, make_user):
    began = time.monotonic()
    account = make_user("skipper")
    provider.script(
        "skip", TEXT, chat_replies=[json.dumps({"questions": QUESTIONS})], token_chars=16
    )
    dialogs: list[str] = []
    with without_javascript(browser) as (context, errors):
        page = open_page(context, errors, dialogs)
        sign_in(page, server.url, account)
        job_url = start_research(page, server.url, "skip", "Skip it. [[script:skip]]", "")
        until(lambda: count(page, "#answer_0"), lambda n: n == 1, timeout=20)
        with page.expect_navigation():
            page.get_by_role("button", name="Skip the questions").click()
        assert page.url == job_url
        until(lambda: status(page), lambda s: s == "completed", timeout=30)
        results = page.locator("#job_results")
        assert "You skipped the questions." in results.text_content()
        assert results.locator(".research-questions .answer").count() == 0
        assert results.locator("article.research-doc h1").text_content() == TITLE
        assert page.locator("#research_answers form").count() == 0
        assert dialogs == [] and errors == []
    print(f"\n  skipped questions, JavaScript off: {time.monotonic() - began:.1f}s")
