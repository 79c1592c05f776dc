"""The brainstorm form in a real Chromium: with JavaScript, the filter, the running total,
"even split" and the stepper, then a brainstorm sent that lands on its job page; without
it, the same plain inputs; on a phone, nothing wider than the screen."""

from typing import Any

import pytest
from factories import make_project
from support import ideas_json
from test_browser import JOB_URL, sign_in, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
# The page's width and what sticks out (so a failure says where to look).
WIDTH = """() => ({
  width: document.documentElement.scrollWidth, screen: window.innerWidth,
  wide: [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((e) => e.tagName + "." + e.className)})"""


def shown_genres(page: Any) -> list[str]:
    """The labels of the genres a reader sees (their group open, not filtered out)."""
    return page.eval_on_selector_all(
        ".genre-share",
        """els => els.filter((e) => e.checkVisibility())
          .map((e) => e.querySelector("label").firstChild.textContent.trim())""",
    )


def open_groups(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        ".genre-group[open] > summary > span:first-child",
        "els => els.map(e => e.firstChild.textContent.trim())",
    )


def total(page: Any) -> tuple[str, str]:
    box = page.locator("#genre-total")
    return box.text_content() or "", box.get_attribute("data-state") or ""


def fits(page: Any, where: str) -> None:
    seen = page.evaluate(WIDTH)
    assert seen["width"] <= seen["screen"], (where, seen)


def test_the_form_with_javascript(browser, server, provider, make_user, app):
    account = make_user("writer")
    project = make_project(app, account.id, "Form")
    provider.script("form", ideas_json([("雨夜咖啡店", "她接手了一家快倒闭的咖啡店。")]))
    form_url = f"{server.url}/projects/{project}/brainstorm"
    with watched_context(browser, viewport={"width": 1280, "height": 900}) as (context, errors):
        page = watch(context.new_page(), errors)
        sign_in(page, server.url, account)
        page.goto(form_url)
        assert page.locator(".genre-tools").is_visible()
        assert open_groups(page) == ["女频"] and len(shown_genres(page)) == 18
        assert total(page) == ("No genre chosen yet.", "none")

        # The filter: only what matches shows, its groups open; cleared, the groups close again.
        page.fill("#genre-filter", "校园")
        assert shown_genres(page) == ["校园"] and open_groups(page) == ["现实"]
        page.fill("#genre-filter", "rebirth")  # the English labels count too
        assert shown_genres(page) == ["重生", "重生"] and open_groups(page) == ["女频", "男频"]
        page.fill("#genre-filter", "nothing like this")
        assert shown_genres(page) == [] and page.locator("#genre-none").is_visible()
        page.press("#genre-filter", "Enter")  # does not send the form
        assert page.url == form_url
        page.fill("#genre-filter", "")
        assert open_groups(page) == ["女频"] and not page.locator("#genre-none").is_visible()

        # The running total, per group too.
        page.fill("#genre-filter", "甜宠")
        page.fill('.genre-share:has-text("甜宠") input', "50")
        assert total(page) == ("50 % to go", "short")
        page.fill("#genre-filter", "悬疑推理")
        page.fill('.genre-share:has-text("悬疑推理") input', "70")
        assert total(page) == ("20 % too many", "wrong")
        page.fill("#genre-filter", "校园")
        page.fill('.genre-share:has-text("校园") input', "1")
        page.fill("#genre-filter", "")
        assert (
            page.locator(".genre-group:has-text('悬疑') .genre-count").text_content() == "1 chosen"
        )

        # Even split: 100 among the three chosen, the remainder to the first.
        page.click("#genre-even")
        shares = page.eval_on_selector_all(
            ".genre-share input", "els => els.map(e => e.value).filter(v => v)"
        )
        assert shares == ["34", "33", "33"] and total(page) == ("Total: 100 %", "ok")

        # The stepper stays within 1 … 10; the keyboard reaches it.
        assert page.input_value("#numIdeas") == "5"
        page.click("button.step[data-step='1']")
        assert page.input_value("#numIdeas") == "6"
        for _ in range(6):
            page.click("button.step[data-step='1']")
        assert page.input_value("#numIdeas") == "10"
        page.fill("#numIdeas", "2")
        for _ in range(3):
            page.click("button.step[data-step='-1']")
        assert page.input_value("#numIdeas") == "1"
        page.fill("#numIdeas", "3")

        # Platforms are chips reached with the keyboard, the focus visible.
        page.focus("input[name=platform][value=douyin]")
        page.keyboard.press("ArrowRight")
        assert page.locator("input[name=platform]:checked").get_attribute("value") == "kuaishou"
        chip = page.locator("label.chip:has(input[value=kuaishou])")
        assert chip.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"

        page.fill("#requirements", "[[script:form]]")
        with page.expect_navigation():
            page.click("form.brainstorm button.primary")
        assert JOB_URL.search(page.url), page.url
        body = page.text_content("main") or ""
        assert "快手" in body and "34%" in body and "Run again with these settings" in body

        # Run again: the same settings, in the form.
        with page.expect_navigation():
            page.click("text=Run again with these settings")
        assert page.locator("input[name=platform]:checked").get_attribute("value") == "kuaishou"
        assert total(page) == ("Total: 100 %", "ok") and page.input_value("#numIdeas") == "3"
        assert open_groups(page) == ["女频", "悬疑", "现实"]
        assert errors == []


def test_the_form_without_javascript_and_on_a_phone(browser, server, make_user, app):
    account = make_user("plain")
    project = make_project(app, account.id, "Plain")
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        sign_in(page, server.url, account)
        page.goto(f"{server.url}/projects/{project}/brainstorm")
        fits(page, "empty form, no JavaScript")
        assert not page.locator(".genre-tools").is_visible()
        assert page.locator("button.step").count() == 2
        assert not page.locator("button.step").first.is_visible()

        # A wrong share: sent, refused, only that share marked, its group open.
        page.fill('.genre-share:has-text("甜宠") input', "60")
        page.click("summary:has-text('现实')")
        page.fill('.genre-share:has-text("校园") input', "150")
        page.click("label.chip:has-text('TikTok')")
        page.fill("#numIdeas", "2")
        with page.expect_navigation():
            page.click("form.brainstorm button.primary")
        assert page.locator(".genre-share.invalid").count() == 1
        assert page.locator(".genre-share.invalid label").text_content() == "校园 Campus"
        assert page.locator("[aria-invalid=true]").count() == 1
        assert "A share is a whole number from 1 to 100." in page.text_content(
            ".genre-share.invalid"
        )
        fits(page, "refused form")

        # Put right, it goes: the job page.
        page.fill('.genre-share:has-text("校园") input', "40")
        with page.expect_navigation():
            page.click("form.brainstorm button.primary")
        assert JOB_URL.search(page.url), page.url
        body = page.text_content("main") or ""
        assert "TikTok" in body and "40%" in body
    finally:
        context.close()

    with watched_context(browser, viewport=PHONE) as (context, errors):
        page = watch(context.new_page(), errors)
        sign_in(page, server.url, account)
        page.goto(f"{server.url}/projects/{project}/brainstorm")
        fits(page, "empty form, JavaScript")
        page.fill("#genre-filter", "romance")
        fits(page, "filtered")
        page.fill("#genre-filter", "")
        for summary in page.locator(".genre-group > summary").all():
            if summary.evaluate("e => !e.parentElement.open"):
                summary.click()
        fits(page, "every group open")
        assert errors == []
