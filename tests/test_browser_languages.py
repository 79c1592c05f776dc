"""The interface in a real browser: a zh-CN browser gets Chinese from its first page (sign-up
included), times in its own time zone; the header's switch turns a page English without
JavaScript, and a signed-in choice follows the person to another browser."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_browser import watched_context
from test_browser_outline import without_javascript

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_chinese_browser_gets_chinese_and_the_switch_works_without_javascript(
    browser, server, make_user
):
    base = server.url
    options = {"locale": "zh-CN", "timezone_id": "Asia/Tokyo"}
    with watched_context(browser, **options) as (context, errors):
        page = context.new_page()
        page.goto(base + "/signup")
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert "创建账号" in page.content() or "注册" in page.content()
        page.fill("#username", "lin")
        page.fill("#password", "correct horse")
        page.fill("#confirm", "correct horse")
        with page.expect_navigation():
            page.click("form button.primary")
        assert "我的项目" in page.content()
        page.fill("#name", "雨夜咖啡店")
        with page.expect_navigation():
            page.click("form button.primary")
        # Times read in the browser's zone (its JavaScript told the server): "刚刚" or
        # "N 秒钟前" in words, the exact local time in the tooltip.
        page.goto(base + "/projects/")
        title = page.get_attribute(".project-card time", "title") or ""
        tokyo = datetime.now(ZoneInfo("Asia/Tokyo"))
        nearby = {(tokyo - timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M") for m in (0, 1)}
        assert title in nearby, (title, nearby)
        shown = page.text_content(".project-card time") or ""
        assert "前" in shown or "刚刚" in shown
        assert errors == []
    # Without JavaScript: the switch is a plain form; the choice is kept on the account.
    with without_javascript(browser) as (context, _errors):
        page = context.new_page()
        page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
        page.goto(base + "/login")
        assert page.get_attribute("html", "lang") == "zh-CN"
        page.fill("#username", "lin")
        page.fill("#password", "correct horse")
        with page.expect_navigation():
            page.click("form button.primary")
        with page.expect_navigation():
            page.click("header form.language button")
        assert page.get_attribute("html", "lang") == "en" and "Your projects" in page.content()
    with watched_context(browser, locale="zh-CN") as (context, _errors):
        page = context.new_page()  # another browser, still Chinese: but the account says English
        page.goto(base + "/login")
        page.fill("#username", "lin")
        page.fill("#password", "correct horse")
        with page.expect_navigation():
            page.click("form button.primary")
        assert page.get_attribute("html", "lang") == "en"
