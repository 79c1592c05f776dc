"""Redirects, cookies, caching, JSON errors on every API status, sign-in cost and audit lines."""

import logging
import re

import pytest
from argon2 import PasswordHasher

from app import create_app
from app.auth.models import DUMMY_HASH, _hasher

OWN = "/projects/"
ERRORS = re.compile(r'<span class="error" role="alert">([^<]*)</span>')


@pytest.mark.parametrize(
    "target",
    [
        "////evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "%2F%2Fevil.example",
        "http:evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        " //evil.example",
    ],
)
def test_sign_in_never_redirects_off_site(client, auth, make_user, target):
    mei = make_user("mei")
    data = {"csrf_token": auth.csrf(), "username": mei.username, "password": mei.password}
    response = client.post("/login", query_string={"next": target}, data=data)
    assert response.status_code == 303 and response.headers["Location"] == OWN


def test_sign_in_keeps_a_path_of_this_site(client, auth, make_user):
    mei = make_user("mei")
    data = {"csrf_token": auth.csrf(), "username": mei.username, "password": mei.password}
    response = client.post("/login", query_string={"next": "/jobs/?status=failed"}, data=data)
    assert response.headers["Location"] == "/jobs/?status=failed"


def sign_in_cookie(client, auth, account) -> str:
    data = {"csrf_token": auth.csrf(), "username": account.username, "password": account.password}
    response = client.post("/login", data=data)
    assert response.status_code == 303
    return next(h for h in response.headers.getlist("Set-Cookie") if "session=" in h)


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, make_user):
    cookie = sign_in_cookie(client, auth, make_user("mei"))
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on the embedded default


def test_behind_https_cookies_are_secure_host_prefixed_with_hsts(app, make_user, monkeypatch):
    from conftest import Auth

    mei = make_user("mei")
    monkeypatch.setenv("SECURE_COOKIES", "1")
    secure = create_app({"TESTING": True})
    client = secure.test_client()
    cookie = sign_in_cookie(client, Auth(client), mei)
    assert cookie.startswith("__Host-session=")
    assert all(part in cookie for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
    assert "Domain" not in cookie
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    with secure.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_nothing_signed_in_is_cached_but_static_files_are(client, auth, make_user):
    mei = make_user("mei")
    auth.login(mei)
    page = client.get("/projects/")
    assert page.headers["Cache-Control"] == "no-store" and "Cookie" in page.headers["Vary"]
    assert client.get("/api/jobs", headers=mei.bearer).headers["Cache-Control"] == "no-store"
    assert client.get("/jobs/999").headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    css = html.split('rel="stylesheet" href="')[1].split('"')[0]
    assert css.startswith("/static/app.css?v=")
    versioned = client.get(css)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    versioned.close()
    stale = client.get("/static/app.css?v=0ld")
    assert stale.headers["Cache-Control"] == "no-cache"
    stale.close()


def test_every_api_error_is_json(client, auth, make_user, app):
    mei = make_user("mei")
    cases = [
        client.get("/api/brainstorm/start", headers=mei.bearer),  # 405
        client.get("/api/nothing-here", headers=mei.bearer),  # 404
        client.get("/api/jobs"),  # 401
        client.post("/api/projects", data="x", headers=mei.bearer),  # 415
        client.post("/api/projects", json={"name": "x" * 2_000_000}, headers=mei.bearer),  # 413
    ]
    assert [r.status_code for r in cases] == [405, 404, 401, 415, 413]
    assert cases[0].headers["Allow"]
    auth.login(mei)
    cases.append(client.post("/api/projects", json={"name": "P"}))  # the CSRF header missing
    assert cases[-1].status_code == 400
    for response in cases:
        assert response.is_json and isinstance(response.json["error"], str), response.status_code
        assert "<html" not in response.get_data(as_text=True)


def test_rate_limited_api_calls_are_json_with_retry_after(app, make_user, monkeypatch):
    mei = make_user("mei")
    monkeypatch.setenv("RATELIMIT_JOBS", "1 per minute")
    limited = create_app({"TESTING": True})
    client = limited.test_client()
    body = {"projectId": 1, "params": {}}
    first = client.post("/api/brainstorm/start", json=body, headers=mei.bearer)
    second = client.post("/api/brainstorm/start", json=body, headers=mei.bearer)
    assert first.status_code == 422 and second.status_code == 429
    assert second.is_json and second.json["error"] and int(second.headers["Retry-After"]) > 0
    with limited.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_the_dummy_hash_has_the_parameters_of_real_ones():
    assert not _hasher.check_needs_rehash(DUMMY_HASH)


def test_unknown_and_known_names_cost_one_argon2_verification_each(
    client, auth, make_user, monkeypatch
):
    mei = make_user("mei")
    calls = []
    real_verify = PasswordHasher.verify

    def counting(self, hash, password):  # noqa: A002 - argon2's own parameter name
        calls.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    answers = []
    for username in ("mei", "nobody"):
        data = {"csrf_token": auth.csrf(), "username": username, "password": "wrong password"}
        answers.append(client.post("/login", data=data))
    assert len(calls) == 2 and calls[1] == DUMMY_HASH and calls[0] != DUMMY_HASH
    errors = [ERRORS.findall(a.get_data(as_text=True)) for a in answers]
    assert [a.status_code for a in answers] == [422, 422]
    assert errors[0] == errors[1] == ["Wrong username or password."]
    assert mei.username  # the known name really exists


def test_refusals_are_audited_one_escaped_line_each(client, auth, make_user, caplog):
    mei, bo = make_user("mei"), make_user("bo")
    caplog.set_level(logging.WARNING, logger="app.audit")
    data = {"csrf_token": auth.csrf(), "username": "mei\nevent=forged", "password": "hunter22"}
    client.post("/login", data=data)
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json
    client.get(f"/api/background-jobs/by-session/{project['projectId']}", headers=bo.bearer)
    client.get("/api/jobs", headers={"Authorization": "Bearer sw_wrong"})
    lines = [r.getMessage() for r in caplog.records if r.name == "app.audit"]
    assert len(lines) == 3 and all("\n" not in line for line in lines)
    assert (
        lines[0].startswith("event=sign_in_failed ")
        and "username=mei\\x0aevent\\x3dforged " in lines[0]
    )
    assert "hunter22" not in " ".join(lines)
    assert lines[1].startswith("event=access_refused ") and f"user={bo.id}" in lines[1]
    assert lines[2].startswith("event=api_token_refused ") and "sw_wrong" not in lines[2]
    assert caplog.records[0].audit["event"] == "sign_in_failed"  # for a JSON formatter


def test_an_unexpected_error_is_a_json_500_on_the_api_and_a_page_elsewhere(app, make_user):
    mei = make_user("mei")
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/api/broken", "broken_api", broken)
    app.add_url_rule("/broken", "broken_page", broken)
    client = app.test_client()
    answer = client.get("/api/broken", headers=mei.bearer)
    assert answer.status_code == 500 and answer.is_json and "a bug" not in answer.json["error"]
    page = client.get("/broken")
    assert page.status_code == 500 and "<html" in page.get_data(as_text=True)
