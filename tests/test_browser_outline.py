"""A writer's way from an idea to an exported outline in a real Chromium, with JavaScript and
without: brainstorm → edit the idea → outline it → watch sections appear (live, or by the page
refreshing itself) → reload → download the Markdown and open the print page."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_browser import sign_in, until, watched_context
from test_outline import document

pytestmark = [pytest.mark.slow, pytest.mark.browser]

IDEAS = [{"title": f"雨夜咖啡店 {n}", "body": "她接手了一家快倒闭的咖啡店。"} for n in range(3)]
JOB_URL = re.compile(r"/jobs/(\d+)$")


def results_title(page: Any) -> str:
    from playwright.sync_api import Error

    try:
        found = page.locator("#job_results .outline-doc h3")
        return found.first.text_content() or "" if found.count() else ""
    except Error:  # the page is navigating (refreshing itself)
        return ""


def status(page: Any) -> str:
    from playwright.sync_api import Error

    try:
        classes = (page.get_attribute("#job_status", "class") or "").split()
    except Error:
        return ""
    return next((c[7:] for c in classes if c.startswith("status-") and c != "status-box"), "")


@contextmanager
def without_javascript(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(java_script_enabled=False)
    try:
        yield context, []
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_from_an_idea_to_an_exported_outline(browser, server, provider, make_user, javascript):
    account = make_user("writer")
    name = f"outline{int(javascript)}"
    provider.script(f"ideas{name}", json.dumps({"ideas": IDEAS}, ensure_ascii=False))
    text = json.dumps(document(10, "咖啡店的秘密"), ensure_ascii=False)
    provider.script(name, text, token_chars=8, delay_ms=5, pause_at=text.index('"stages"') // 8)

    opened = watched_context(browser) if javascript else without_javascript(browser)
    with opened as (context, errors):
        page = context.new_page()
        base = server.url
        sign_in(page, base, account)
        page.goto(base + "/projects/")
        page.fill("#name", "从创意到大纲")
        with page.expect_navigation():
            page.click("form button.primary")
        project_url = page.url
        with page.expect_navigation():
            page.click("a.button.primary")  # "Brainstorm ideas"
        page.fill('input[name="genre-0"]', "100")
        page.fill("#requirements", f"[[script:ideas{name}]]")
        page.fill("#numIdeas", "3")
        with page.expect_navigation():
            page.click("form.brainstorm button.primary")
        until(lambda: status(page), lambda s: s == "completed", timeout=30)

        # Edit the first idea: a new version.
        page.goto(project_url)
        first = page.locator("#ideas .idea").first
        with page.expect_navigation():
            first.locator("a", has_text="Edit").click()
        page.fill("#title", "咖啡店的秘密（改）")
        with page.expect_navigation():
            page.click("form.edit button.primary")
        assert "Saved as version 2" in page.content()

        # Outline it.
        page.goto(project_url)
        first = page.locator("#ideas .idea").first
        assert "咖啡店的秘密（改）" in (first.text_content() or "")
        with page.expect_navigation():
            first.locator("a", has_text="Outline this").click()
        page.fill("#episodeCount", "10")
        page.fill("#notes", f"[[script:{name}]]")
        with page.expect_navigation():
            page.click("form.outline button.primary")
        page.wait_for_url(JOB_URL)
        job_url = page.url
        assert "v2" in page.locator(".params").text_content()

        # The header's first sections appear while the model holds; a reload shows them too.
        until(lambda: results_title(page), lambda t: t == "咖啡店的秘密", timeout=30)
        if javascript:  # every section before the pause is in (the title came first)
            until(
                lambda: page.locator("#job_results").text_content() or "",
                lambda text: "沈氏集团" in text,
                timeout=30,
            )
        page.reload()
        assert results_title(page) == "咖啡店的秘密"
        assert "沈氏集团" in page.locator("#job_results").text_content()
        provider.release(name)
        until(lambda: status(page), lambda s: s == "completed", timeout=30)
        until(
            lambda: page.locator("#job_results a", has_text="Download Markdown").count(),
            lambda n: n == 1,
            timeout=10,
        )
        assert page.locator("#job_results .episode").count() == 10

        with page.expect_download() as download:
            page.locator("#job_results a", has_text="Download Markdown").click()
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert "咖啡店的秘密" in markdown and "第10集" in markdown
        page.goto(job_url.replace("/jobs/", "/outlines/") + "/export?format=html")
        assert page.get_attribute("html", "lang") == "zh"
        assert page.locator("h1").first.text_content() == "咖啡店的秘密"

        # The project page draws the story graph with the new branch in it.
        page.goto(project_url)
        assert page.locator("svg.graph").count() == 1
        assert page.locator(f'svg.graph a[href="{JOB_URL.search(job_url).group(0)}"]').count()
        assert errors == []


def test_the_idea_library_fills_while_a_brainstorm_writes(browser, server, provider, make_user):
    account = make_user("librarian")
    content = json.dumps({"ideas": IDEAS}, ensure_ascii=False)
    held = content.index("}") + 1  # the first idea is whole, then the model holds
    provider.script("shelf", content, token_chars=1, pause_at=held)
    with watched_context(browser) as (context, errors):
        page = context.new_page()
        sign_in(page, server.url, account)
        page.goto(server.url + "/projects/")
        page.fill("#name", "Live library")
        with page.expect_navigation():
            page.click("form button.primary")
        project_url = page.url
        with page.expect_navigation():
            page.click("a.button.primary")
        page.fill('input[name="genre-0"]', "100")
        page.fill("#requirements", "[[script:shelf]]")
        page.fill("#numIdeas", "3")
        with page.expect_navigation():
            page.click("form.brainstorm button.primary")
        page.goto(project_url)  # the project page, not the job page: no reload from here on

        def titles() -> list[str]:
            return page.eval_on_selector_all(
                "#ideas .idea h4", "els => els.map(e => e.textContent)"
            )

        until(titles, lambda found: found == [IDEAS[0]["title"]], timeout=20)
        provider.release("shelf")
        until(titles, lambda found: found == [i["title"] for i in IDEAS], timeout=20)
        assert page.url == project_url
        assert errors == []
