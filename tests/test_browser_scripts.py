"""A writer's way from an outline to ten exported episodes in a real Chromium, with JavaScript
and without: the script page → a character bible → episodes 1–10, appearing one by one on the
job's page → the series page with screen time → a Fountain download read back by screenplain."""

import io
import json
import re
from pathlib import Path

import pytest
from factories import finished_outline, make_project
from screenplain.parsers.fountain import parse as parse_fountain
from screenplain.types import Dialog, Slug
from test_browser import sign_in, until, watched_context
from test_browser_outline import status, without_javascript
from test_scripts import BIBLE, EPISODE, outline_document

pytestmark = [pytest.mark.slow, pytest.mark.browser]
JOB_URL = re.compile(r"/jobs/(\d+)$")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_from_an_outline_to_ten_exported_episodes(
    app, browser, server, provider, make_user, javascript
):
    account = make_user("writer")
    project = make_project(app, account.id, "从大纲到剧本")
    name = f"scripts{int(javascript)}"
    outline = finished_outline(app, account.id, project, outline_document(12, name))
    answer = json.dumps({**BIBLE, **EPISODE}, ensure_ascii=False)
    provider.script(name, answer, token_chars=20, delay_ms=3)

    opened = watched_context(browser) if javascript else without_javascript(browser)
    with opened as (context, errors):
        page = context.new_page()
        base = server.url
        sign_in(page, base, account)
        page.goto(f"{base}/artifacts/{outline}/script")
        assert "No episode is written yet" in page.content()

        # A character bible first.
        with page.expect_navigation():
            page.click("#bible button")
        page.wait_for_url(JOB_URL)
        until(lambda: status(page), lambda s: s == "completed", timeout=30)
        until(lambda: page.locator("#job_results .character").count(), lambda n: n == 2)
        with page.expect_navigation():
            page.locator("#job_results a", has_text="Episodes and scripts").click()
        assert "林晚 · 沈言深" in page.locator("#bible").text_content()

        # Ten episodes: each appears on the job's page as soon as it is written.
        assert page.input_value("#episodes") == "1-10"
        with page.expect_navigation():
            page.click("#write button.primary")
        page.wait_for_url(JOB_URL)
        until(lambda: status(page), lambda s: s == "completed", timeout=60)
        until(lambda: page.locator("#job_results li.episode-script").count(), lambda n: n == 10)
        assert "1–10" in page.locator(".params").text_content()

        # The series, its screen time, and the Fountain export.
        with page.expect_navigation():
            page.locator("#job_results a", has_text="Episodes and scripts").click()
        assert page.locator("table.series tbody tr").count() >= 10
        assert page.locator("#screen-time svg").count() == 1
        with page.expect_download() as download:
            page.locator("#series a", has_text="Fountain").first.click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        parsed = list(parse_fountain(io.StringIO(text)))
        headings = [str(p.line) for p in parsed if isinstance(p, Slug)]
        assert [h.split()[0] for h in headings[::2]] == [f"{n}-1" for n in range(1, 11)]
        assert sum(isinstance(p, Dialog) for p in parsed) == 40
        assert errors == []
