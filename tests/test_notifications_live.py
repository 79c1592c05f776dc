"""Notices travel on the page stream of any page: nav count, toasts, and 'seen' in every tab."""

import threading

import httpx2
from factories import BRAINSTORM_PARAMS
from sqlalchemy import select
from support import events, ideas_json, wait_for

from app.extensions import db
from app.jobs.models import Transform

PARAMS = BRAINSTORM_PARAMS


def collect(browser, messages: list, stop: threading.Event, params: dict | None = None) -> None:
    """Read a page stream until told to stop (or until the test closes the session)."""
    try:
        with browser.http.stream("GET", "/live/events", params=params or {}) as response:
            messages.append("")  # connected (the first bytes are sent once subscribed)
            for event in events(response):
                messages.append(event.data)
                if stop.is_set():
                    return
    except httpx2.HTTPError:
        assert stop.is_set()


def test_a_job_finishing_elsewhere_raises_a_toast_in_every_tab(api, web, make_user, provider, app):
    account = make_user()
    http = api(account)
    tabs = [web().login(account), web().login(account)]
    seen: list[list[str]] = [[], []]
    stop = threading.Event()
    threads = [
        threading.Thread(target=collect, args=(tab, box, stop), daemon=True)
        for tab, box in zip(tabs, seen, strict=True)
    ]
    for thread in threads:
        thread.start()
    wait_for(lambda: all(seen))
    provider.script("toast", ideas_json([("One", "x")]), delay_ms=20, token_chars=4)
    project = http.post("/api/projects", json={"name": "Far away"}).json()["projectId"]
    params = {**PARAMS, "requirements": "[[script:toast]]", "numIdeas": 1}
    job_id = http.post(
        "/api/brainstorm/start", json={"projectId": project, "params": params}
    ).json()["transformId"]

    for box in seen:  # the count went up while it ran, the toast came when it ended
        wait_for(lambda box=box: any(f'id="notice_{job_id}"' in m for m in box), timeout=30)
        assert any(">Jobs (1)<" in m for m in box)
        toast = next(m for m in box if f'id="notice_{job_id}"' in m)
        assert '<hx-partial hx-target="#notices" hx-swap="afterbegin">' in toast
        assert "Ideas for “Far away” are ready." in toast and "while you were away" not in toast
        assert 'name="csrf_token"' not in toast  # shared by every tab; htmx sends the header
        assert ">Jobs<" in toast  # and the count went back down

    # Dismissing it in one tab removes it from the other, and it stays seen.
    token = tabs[0].csrf("/projects/")
    response = tabs[0].http.post(
        f"/notifications/{job_id}/dismiss", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 200
    wait_for(lambda: any(f'hx-target="#notice_{job_id}" hx-swap="delete"' in m for m in seen[1]))
    stop.set()
    assert f'id="notice_{job_id}"' not in tabs[1].http.get("/projects/").text


def test_watching_the_job_page_counts_as_seeing_it(api, web, make_user, provider, app):
    account = make_user()
    http = api(account)
    provider.script("watch", ideas_json([("One", "x")]), delay_ms=20, token_chars=4, pause_at=2)
    project = http.post("/api/projects", json={"name": "Here"}).json()["projectId"]
    params = {**PARAMS, "requirements": "[[script:watch]]", "numIdeas": 1}
    job_id = http.post(
        "/api/brainstorm/start", json={"projectId": project, "params": params}
    ).json()["transformId"]
    tab = web().login(account)
    messages: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=collect, args=(tab, messages, stop, {"job": job_id, "after": "0.0"}), daemon=True
    )
    thread.start()
    wait_for(lambda: len(messages) > 1)
    provider.release("watch")
    wait_for(lambda: any("status-completed" in m for m in messages), timeout=30)
    # The page says it saw the end (htmx posts as the element loads; done by hand here).
    ack = f'hx-post="/notifications/{job_id}/dismiss" hx-trigger="load"'
    wait_for(lambda: any('hx-target="#live_ack"' in m and ack in m for m in messages))
    stop.set()
    assert not any('id="notice_' in m for m in messages)  # no toast for the page's own job
    token = tab.csrf("/projects/")
    posted = tab.http.post(
        f"/notifications/{job_id}/dismiss", headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert posted.status_code == 200

    def seen_at():
        db.session.rollback()  # a fresh snapshot each time
        return db.session.scalar(select(Transform.seen_at).where(Transform.id == job_id))

    with app.app_context():
        assert wait_for(seen_at)
    assert f'id="notice_{job_id}"' not in tab.http.get("/projects/").text


def test_a_reconnecting_tab_catches_up_on_notices_and_the_count(web, make_user, app):
    from test_jobs_page import finish_unseen

    account = make_user()
    job_id = finish_unseen(app, account)  # it ended while this tab's stream was paused
    tab = web().login(account)
    with tab.http.stream("GET", "/live/events") as response:
        first = next(event for event in events(response))
    assert '<hx-partial hx-target="#notices" hx-swap="innerHTML">' in first.data
    assert f'id="notice_{job_id}"' in first.data and "while you were away" in first.data
    assert '<hx-partial hx-target="#nav_jobs" hx-swap="outerHTML">' in first.data


def test_a_job_that_ends_with_no_page_open_is_noticed_on_the_next_load(
    api, web, make_user, provider
):
    account = make_user()
    http = api(account)
    provider.script("away", ideas_json([("One", "x")]))
    project = http.post("/api/projects", json={"name": "Away"}).json()["projectId"]
    params = {**PARAMS, "requirements": "[[script:away]]", "numIdeas": 1}
    job_id = http.post(
        "/api/brainstorm/start", json={"projectId": project, "params": params}
    ).json()["transformId"]
    wait_for(lambda: http.get(f"/api/jobs/{job_id}").json()["status"] == "completed")
    tab = web().login(account)  # back after a while: no page was open
    page = tab.http.get("/projects/").text
    assert f'id="notice_{job_id}"' in page and "Finished while you were away" in page
    assert f'id="notice_{job_id}"' in tab.http.get("/projects/").text  # until opened
    tab.http.get(f"/jobs/{job_id}")
    assert f'id="notice_{job_id}"' not in tab.http.get("/projects/").text
    recent = http.get("/api/background-jobs/recent-completions").json()["jobs"]
    assert [j["id"] for j in recent] == [job_id] and recent[0]["seen"] is True


def seen_at(app, job_id: int):
    with app.app_context():
        return db.session.scalar(select(Transform.seen_at).where(Transform.id == job_id))


def test_dismiss_all_without_javascript_and_with_htmx(client, auth, app, make_user):
    from test_jobs_page import finish_unseen

    mei, bo = make_user("mei"), make_user("bo")
    news = [finish_unseen(app, mei), finish_unseen(app, mei, "failed")]
    running = finish_unseen(app, mei, "running")
    with app.app_context():  # still running: news only once it ends
        db.session.get(Transform, running).finished_at = None
        db.session.commit()
    stranger = finish_unseen(app, bo)
    auth.login(mei)
    page = client.get("/projects/").get_data(as_text=True)
    assert all(f'id="notice_{job}"' in page for job in news) and "Dismiss all" in page
    token = auth.csrf("/projects/")
    assert client.post("/notifications/dismiss", data={"next": "/jobs/"}).status_code == 400
    plain = client.post("/notifications/dismiss", data={"csrf_token": token, "next": "/jobs/"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/jobs/"
    assert 'id="notice_' not in client.get("/jobs/").get_data(as_text=True)
    assert all(seen_at(app, job) for job in news)
    assert seen_at(app, running) is None and seen_at(app, stranger) is None

    later = finish_unseen(app, mei)
    htmx = client.post(
        "/notifications/dismiss", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert htmx.status_code == 200 and htmx.get_data(as_text=True) == ""
    assert "HX-Request" in htmx.headers["Vary"]
    assert seen_at(app, later) and seen_at(app, stranger) is None
    assert client.post("/notifications/dismiss", data={"csrf_token": token}).status_code == 303


def test_dismiss_all_clears_the_notices_of_every_tab(web, make_user, app):
    from test_jobs_page import finish_unseen

    account = make_user()
    jobs = [finish_unseen(app, account), finish_unseen(app, account, "failed")]
    tabs = [web().login(account), web().login(account)]
    messages: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=collect, args=(tabs[1], messages, stop), daemon=True)
    thread.start()
    wait_for(lambda: len(messages) > 1)  # connected, and caught up on both notices
    token = tabs[0].csrf("/projects/")
    response = tabs[0].http.post(
        "/notifications/dismiss", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 200
    for job in jobs:
        wait_for(
            lambda job=job: any(
                f'hx-target="#notice_{job}" hx-swap="delete"' in m for m in messages
            )
        )
    stop.set()
    assert 'id="notice_' not in tabs[1].http.get("/projects/").text
