"""Times in the reader's time zone: the account's setting, else the browser's (told by
JavaScript in a cookie), else Asia/Shanghai for Chinese and UTC for English; recent moments
read as "3 分钟前"; a signed-in language choice follows the person."""

import re
from datetime import timedelta

from support import CSRF

from app.clock import utcnow
from app.extensions import begin_write, db
from app.projects.models import Project


def csrf_of(client, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match
    return match.group(1) or match.group(2)


def made_days_ago(app, project_id: int, days: int) -> None:
    with app.app_context():
        begin_write()
        project = db.session.get(Project, project_id)
        project.updated_at = project.created_at = utcnow().replace(
            hour=20, minute=30, second=0, microsecond=0
        ) - timedelta(days=days)
        db.session.commit()


def activity(client, headers=None) -> str:
    page = client.get("/projects/", headers=headers or {}).get_data(as_text=True)
    return re.search(r'<time datetime="[^"]+" title="([^"]+)">([^<]+)</time>', page).groups()


def test_times_follow_the_account_then_the_browser_then_the_language(app, client, auth, make_user):
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    auth.login(mei)
    _title, shown = activity(client)
    assert shown in ("now", "just now") or "second" in shown  # a moment ago, in words
    made_days_ago(app, project, 3)
    # English without a setting: UTC; Chinese: Asia/Shanghai (8 hours ahead).
    assert activity(client)[1].endswith("20:30")
    assert activity(client, {"Accept-Language": "zh-CN"})[1].endswith("04:30")
    # The browser's zone (the cookie its JavaScript sets) wins over the language's.
    client.set_cookie("tz", "America/New_York")
    assert activity(client, {"Accept-Language": "zh-CN"})[1].endswith("15:30")
    client.set_cookie("tz", "Not/AZone")  # unknown: ignored
    assert activity(client)[1].endswith("20:30")
    # The account's setting wins over everything; so does its language.
    token = csrf_of(client, "/account/")
    saved = client.post(
        "/account/preferences",
        data={"csrf_token": token, "language": "zh", "time_zone": "Asia/Tokyo"},
    )
    assert saved.status_code == 303
    page = client.get("/projects/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert activity(client, {"Accept-Language": "en"})[1].endswith("05:30")
    bad = client.post(
        "/account/preferences",
        data={"csrf_token": token, "language": "xx", "time_zone": "Mars/Base"},
    )
    assert bad.status_code == 303
    assert activity(client)[1].endswith("05:30")  # nothing changed


def test_recent_moments_read_as_minutes_ago_in_chinese(app, client, auth, make_user):
    mei = make_user("mei")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    with app.app_context():
        begin_write()
        db.session.get(Project, project).updated_at = utcnow() - timedelta(minutes=3)
        db.session.commit()
    auth.login(mei)
    assert activity(client, {"Accept-Language": "zh-CN"})[1] == "3分钟前"
    assert activity(client)[1] == "3 minutes ago"


def test_the_switch_remembers_a_signed_in_choice_on_the_account(app, client, auth, make_user):
    mei = make_user("mei")
    auth.login(mei)
    token = csrf_of(client, "/projects/")
    client.post("/language", data={"csrf_token": token, "language": "zh", "next": "/projects/"})
    other = app.test_client()  # another device, no cookie: the account's language
    login = csrf_of(other, "/login")
    other.post("/login", data={"csrf_token": login, "username": "mei", "password": mei.password})
    assert 'lang="zh-CN"' in other.get("/projects/").get_data(as_text=True)
