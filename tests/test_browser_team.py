"""A shared project in two browsers: a collaborator and a viewer of the owner's project. A job
the collaborator starts streams live into the viewer's open job page; the viewer's page has
no buttons to change anything, and a forged post gets a 403 that says why."""

import re

import pytest
from support import ideas_json
from test_browser import sign_in, until, watch, watched_context

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_collaborator_and_a_viewer_share_a_project_live(
    browser, server, provider, make_user, api
):
    owner, cole, vi = make_user("mei"), make_user("cole"), make_user("vi")
    http = api(owner)
    project = http.post("/api/projects", json={"name": "共享项目"}).json()["projectId"]
    for name, role in (("cole", "collaborator"), ("vi", "viewer")):
        added = http.post(f"/api/projects/{project}/members", json={"username": name, "role": role})
        assert added.status_code == 201
    content = ideas_json([("雨夜重逢", "她在雨里等了三年。"), ("Second chance", "A body.")])
    provider.script("team", content, token_chars=4, delay_ms=40)
    base = server.url
    with watched_context(browser) as (first, errors), watched_context(browser) as (second, more):
        writer = watch(first.new_page(), errors)
        reader = watch(second.new_page(), more)
        sign_in(writer, base, cole)
        sign_in(reader, base, vi)
        # The collaborator sees the project with its buttons and starts a brainstorm.
        writer.goto(f"{base}/projects/{project}")
        assert writer.locator("a", has_text="Brainstorm ideas").count() == 1
        with writer.expect_navigation():
            writer.click("a.button.primary")
        writer.fill('input[name="genre-0"]', "100")
        writer.fill("#requirements", "[[script:team]]")
        with writer.expect_navigation():
            writer.click("form.brainstorm button.primary")
        job = int(re.search(r"/jobs/(\d+)", writer.url).group(1))
        # The viewer opens it while it streams: the text arrives live, without a reload.
        reader.goto(f"{base}/jobs/{job}")
        reader.evaluate("window.__stayed = true")
        until(lambda: reader.locator("#job_raw").text_content() or "", lambda t: "雨夜重逢" in t)
        until(
            lambda: reader.get_attribute("#job_status", "class") or "",
            lambda c: "status-completed" in c,
            timeout=30,
        )
        assert reader.evaluate("window.__stayed === true")
        # Nothing to change on the viewer's pages.
        assert reader.locator(".job-actions button").count() == 0
        reader.goto(f"{base}/projects/{project}")
        assert reader.locator("a", has_text="Brainstorm ideas").count() == 0
        assert reader.locator("#ideas a", has_text="Edit").count() == 0
        assert reader.locator("#members form.add-member").count() == 0
        # A forged post (the form is not there) gets a 403 that says why.
        token = reader.locator('input[name="csrf_token"]').first.get_attribute("value")
        forged = reader.request.post(
            f"{base}/jobs/{job}/retry", form={"csrf_token": token}, max_redirects=0
        )
        assert forged.status == 403 and "viewer" in forged.text()
        # The collaborator's page saw the same job end.
        until(
            lambda: writer.get_attribute("#job_status", "class") or "",
            lambda c: "status-completed" in c,
        )
        assert errors == [] and more == []
