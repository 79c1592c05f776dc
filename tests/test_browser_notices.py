"""Notices in a real Chromium: a job finishing while the writer is on other pages raises a toast
in every tab, the nav count follows live, and dismissing in one tab clears it everywhere."""

import pytest
from support import ideas_json
from test_browser import sign_in, start_brainstorm, until, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def nav_text(page) -> str:
    return page.inner_text("#nav_jobs")


def test_toasts_follow_the_writer_and_clear_everywhere(browser, server, provider, make_user):
    account = make_user("toasts")
    provider.script(
        "later", ideas_json([("One", "A."), ("Two", "B."), ("Three", "C.")]), pause_at=3
    )
    with watched_context(browser) as (context, errors):
        tab1 = watch(context.new_page(), errors)
        sign_in(tab1, server.url, account)
        job_id = start_brainstorm(tab1, server.url, "later")
        tab1.goto(server.url + "/projects/")  # the writer wanders off
        tab2 = watch(context.new_page(), errors)
        tab2.goto(server.url + "/jobs/")
        for tab in (tab1, tab2):
            assert nav_text(tab) == "Jobs (1)"
            assert tab.locator(f"#notice_{job_id}").count() == 0
        tab2.wait_for_selector(f"#job_row_{job_id}.status-running", timeout=30_000)

        provider.release("later")
        for tab in (tab1, tab2):  # in each tab: a toast, and the count goes down, live
            tab.wait_for_selector(f"#notice_{job_id}", timeout=30_000)
            assert "are ready" in tab.inner_text(f"#notice_{job_id}")
            until(lambda tab=tab: nav_text(tab), lambda text: text == "Jobs")
        tab2.wait_for_selector(f"#job_row_{job_id}.status-completed", timeout=10_000)

        tab1.click(f"#notice_{job_id} button.dismiss")  # htmx: no navigation
        for tab in (tab1, tab2):
            tab.wait_for_selector(f"#notice_{job_id}", state="detached", timeout=10_000)
        for tab in (tab1, tab2):
            tab.reload()
            assert tab.locator(f"#notice_{job_id}").count() == 0
        assert tab1.url.endswith("/projects/")
        assert errors == []
