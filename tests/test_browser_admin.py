"""The diagnostics page in a real Chromium: it follows a job taking a worker slot live, and an
admin finds and cancels someone's job with JavaScript and without."""

import pytest
from support import ideas_json
from test_admin import job, promote
from test_browser import sign_in, until, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def cancel_by_number(page, job_id: int) -> None:
    page.fill("input[name=job]", str(job_id))
    with page.expect_navigation():
        page.click("form.filters button")
    with page.expect_navigation():
        page.click(f"form[action='/admin/jobs/{job_id}/cancel'] button")
    assert f"Job #{job_id} was cancelled." in page.inner_text(".flash")


def test_the_page_follows_the_workers_and_cancels_a_job(browser, app, server, provider, make_user):
    admin, writer = make_user("ada"), make_user("mei")
    promote(app, admin)
    provider.script("held", ideas_json([("One", "A."), ("Two", "B.")]), pause_at=2)
    with watched_context(browser) as (context, errors):
        page = watch(context.new_page(), errors)
        sign_in(page, server.url, admin)
        page.goto(server.url + "/admin/")
        until(lambda: page.inner_text("#diagnostics"), lambda text: "Brainstorm #" not in text)

        job_id = job(app, writer.id, "Held", script="held")
        # No reload: the workers' table shows the job as it takes a slot.
        until(lambda: page.inner_text("#diagnostics"), lambda text: f"Brainstorm #{job_id}" in text)
        cancel_by_number(page, job_id)
        assert errors == []

    with watched_context(browser, java_script_enabled=False) as (context, errors):
        page = context.new_page()
        sign_in(page, server.url, admin)
        second = job(app, writer.id, "Held again", script="held")
        page.goto(server.url + "/admin/")
        assert page.locator("noscript meta[http-equiv=refresh]").count() == 1
        cancel_by_number(page, second)
    provider.release("held")
