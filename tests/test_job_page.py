"""The job page as the database holds it (no worker): the idea being written under the results,
status badges that differ by more than colour, the time taken and an estimate of what is left
while the job runs, attempts only while they matter; in English and in Chinese."""

import re
from datetime import timedelta
from html import unescape

import pytest
from factories import BRAINSTORM_PARAMS, make_project, start_job
from flask import render_template
from support import ideas_json
from test_i18n import ZH, assert_chinese

from app.clock import utcnow
from app.extensions import db
from app.jobs.models import Transform, TransformChunk
from app.jobs.state import timing
from app.outline.kind import OUTLINE

IDEAS = [("雨夜重逢", "她在雨里等了三年。"), ("<b>Second</b> & co", "A body, <i>two</i>.")]


def stored_job(app, user_id: int, **columns) -> int:
    """A brainstorm job in the state the columns give, as a worker would have left it."""
    project = make_project(app, user_id, "Qiyu Lane")
    job_id = start_job(app, "brainstorm", project, user_id, BRAINSTORM_PARAMS, launch=False)
    with app.app_context():
        job = db.session.get(Transform, job_id)
        for name, value in columns.items():
            setattr(job, name, value)
        db.session.commit()
    return job_id


def add_text(app, job_id: int, *pieces: str) -> None:
    with app.app_context():
        job = db.session.get(Transform, job_id)
        for piece in pieces:
            job.last_seq += 1
            db.session.add(
                TransformChunk(
                    transform_id=job_id, attempt=job.attempt, seq=job.last_seq, text=piece
                )
            )
        db.session.commit()


def partial_of(page: str) -> str:
    return re.search(r'<div id="job_partial"[^>]*>(.*?)</div>', page, re.S).group(1)


def running(app, user_id: int, **columns) -> int:
    started = utcnow() - timedelta(seconds=90)
    stored = {"status": "running", "attempt": 1, "started_at": started, "progress": 33}
    return stored_job(app, user_id, **{**stored, **columns})


def test_a_reload_shows_the_idea_being_written_escaped(app, client, auth, make_user):
    account = make_user("mei")
    auth.login(account)
    job_id = running(app, account.id)
    text = ideas_json(IDEAS)
    cut = text.index("two")  # inside the second idea's body
    add_text(app, job_id, text[:40], text[40:cut])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    shown = partial_of(page)
    assert "&lt;b&gt;Second&lt;/b&gt; &amp; co" in shown and "A body, &lt;i&gt;" in shown
    assert "<b>" not in shown and 'aria-busy="true"' in page
    assert "雨夜重逢" not in shown  # the first idea is complete: it is not shown again
    add_text(app, job_id, text[cut : text.index("}", cut) + 1])  # the idea is complete
    assert partial_of(client.get(f"/jobs/{job_id}").get_data(as_text=True)) == ""


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "retrying", "pending"])
def test_no_idea_shows_as_being_written_unless_the_job_runs(app, client, auth, make_user, status):
    account = make_user("mei")
    auth.login(account)
    job_id = running(app, account.id)
    add_text(app, job_id, ideas_json(IDEAS)[:70])
    assert "雨夜" in partial_of(client.get(f"/jobs/{job_id}").get_data(as_text=True))
    with app.app_context():
        db.session.get(Transform, job_id).status = status
        db.session.commit()
    assert partial_of(client.get(f"/jobs/{job_id}").get_data(as_text=True)) == ""


def badge(page: str) -> str:
    found = re.search(
        r'id="job_status".*?<span class="badge ([^"]+)">(<span[^>]*>[^<]*</span>[^<]*)</span>',
        page,
        re.S,
    )
    return found.group(1) + " " + re.sub(r"<[^>]+>", "", found.group(2))


def test_each_state_has_its_own_badge_and_attempts_show_only_while_they_matter(
    app, client, auth, make_user
):
    account = make_user("mei")
    auth.login(account)
    seen = {}
    for status in (
        "pending",
        "running",
        "retrying",
        "needs_input",
        "completed",
        "failed",
        "cancelled",
    ):
        job_id = stored_job(
            app,
            account.id,
            status=status,
            attempt=2,
            started_at=utcnow(),
            next_attempt_at=utcnow() + timedelta(seconds=30) if status == "retrying" else None,
        )
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        seen[status] = badge(page)
        attempt = "Attempt 2 of 3." in page
        assert attempt == (status in ("running", "retrying", "failed")), status
        assert ("Next attempt in" in page) == (status == "retrying"), status
    assert len(set(seen.values())) == len(seen)  # a class, an icon and a word of its own
    assert seen["failed"] == "status-failed ✕Failed"
    assert seen["cancelled"] == "status-cancelled ⊘Cancelled"
    assert seen["completed"] == "status-completed ✓Completed"


def test_elapsed_time_and_an_estimate_from_the_pace(app, client, auth, make_user):
    account = make_user("mei")
    auth.login(account)
    job_id = running(app, account.id, progress_done=1, progress_total=3)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    clock = r'<time class="clock" datetime="PT(\d+)S" data-seconds="\1" data-step="%s">'
    elapsed = re.search("Elapsed " + clock % "1" + r"(\d+:\d\d)</time>", page)
    assert elapsed and 90 <= int(elapsed.group(1)) <= 100 and elapsed.group(2).startswith("1:3")
    left = re.search("about " + clock % "-1", page)
    assert left and 180 <= int(left.group(1)) <= 200  # one idea in 90 s, two to go
    with app.app_context():
        job = db.session.get(Transform, job_id)
        now = job.started_at + timedelta(seconds=3)
        assert timing(job, now).left is None  # too early to tell a pace
        job.attempt = 2  # a retry starts with what earlier attempts stored: no pace yet
        assert timing(job).left is None and timing(job).elapsed >= 90
        job.status = "completed"
        assert timing(job) is None
        db.session.commit()
    assert "Elapsed" not in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_a_running_job_page_in_chinese(app, client, auth, make_user):
    account = make_user("mei")
    auth.login(account)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    job_id = running(app, account.id, progress_done=1, progress_total=3, attempt=2)
    add_text(app, job_id, ideas_json([("Xylo title", "Xylo body text")])[:60])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Xylo title" in unescape(partial_of(page))
    assert "已用时" in page and "写作中" in page and "第 2 次尝试" in page
    assert_chinese(page, "a running job")


def test_the_episode_being_written_renders_as_text(app):
    text = '{"episodes": [{"number": 3, "title": "<i>第3集</i>", "synopsis": "林晚 & 沈'
    with app.test_request_context():
        item = OUTLINE.partial(text, whole=True)
        html = render_template(OUTLINE.partial_template, item=item)
    assert "<h5>&lt;i&gt;第3集&lt;/i&gt;</h5>" in html and "林晚 &amp; 沈" in html
    assert "Hook" not in html  # not written yet
