"""Accounts: sign-up, sign-in, sign-out everywhere, the operator CLI and API tokens."""

from sqlalchemy import select

from app.auth.models import ApiToken, User
from app.extensions import db


def test_signup_signs_in_and_hashes_the_password(client, auth, app):
    token = auth.csrf("/signup")
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "username": "mei",
            "password": "long enough",
            "confirm": "long enough",
        },
    )
    assert response.status_code == 303
    assert client.get("/projects/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "mei"))
        assert user.password_hash.startswith("$argon2") and "long enough" not in user.password_hash


def test_signup_rejects_bad_input_and_creates_nothing(client, auth, app, make_user):
    make_user("taken")
    cases = [
        {"username": "ab", "password": "long enough", "confirm": "long enough"},
        {"username": "bad name!", "password": "long enough", "confirm": "long enough"},
        {"username": "mei", "password": "short", "confirm": "short"},
        {"username": "mei", "password": "long enough", "confirm": "different!"},
        {"username": "TAKEN", "password": "long enough", "confirm": "long enough"},
    ]
    for data in cases:
        response = client.post("/signup", data={"csrf_token": auth.csrf("/signup"), **data})
        assert response.status_code == 422, data
        assert 'class="error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_login_wrong_password_and_safe_next(client, auth, make_user):
    mei = make_user("mei")
    bad = client.post(
        "/login", data={"csrf_token": auth.csrf(), "username": "mei", "password": "wrong"}
    )
    assert bad.status_code == 422 and "Wrong username or password" in bad.get_data(as_text=True)
    outside = client.post(
        "/login?next=https://evil.example/",
        data={"csrf_token": auth.csrf(), "username": mei.username, "password": mei.password},
    )
    assert outside.headers["Location"] == "/projects/"


def test_forms_without_csrf_are_refused(client, make_user):
    mei = make_user("mei")
    response = client.post("/login", data={"username": mei.username, "password": mei.password})
    assert response.status_code == 400


def test_pages_need_a_session(client):
    response = client.get("/projects/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_invalidates_copied_session_cookies(client, auth, make_user, app):
    auth.login(make_user("mei"))
    cookie = client.get_cookie("session")
    assert cookie is not None
    stolen = app.test_client()
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/projects/").status_code == 200
    client.post("/logout", data={"csrf_token": auth.csrf("/projects/")})
    assert stolen.get("/projects/").status_code == 302


def test_cli_creates_users_and_tokens(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "ops", "--password", "long enough"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "create", "ops", "--password", "long enough"])
    assert again.exit_code != 0 and "exists" in again.output
    token = runner.invoke(args=["tokens", "create", "ops"]).output.strip()
    assert token.startswith("sw_")
    with app.app_context():
        stored = db.session.scalar(select(ApiToken.token_hash))
        assert stored == ApiToken.digest(token) and token not in stored
    response = client.post(
        "/api/projects", json={"name": "CLI"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_api_refuses_bad_tokens_and_anonymous_calls(client):
    assert client.post("/api/projects", json={"name": "x"}).status_code == 401
    response = client.post(
        "/api/projects", json={"name": "x"}, headers={"Authorization": "Bearer sw_nope"}
    )
    assert response.status_code == 401 and response.json["error"]


def test_api_with_a_session_needs_the_csrf_header(client, auth, make_user):
    auth.login(make_user("mei"))
    assert client.post("/api/projects", json={"name": "x"}).status_code == 400
    token = auth.csrf("/projects/")
    response = client.post("/api/projects", json={"name": "x"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_sign_in_attempts_are_rate_limited(app, make_user, monkeypatch):
    from app import create_app

    mei = make_user("mei")
    monkeypatch.setenv("RATELIMIT_LOGIN", "3 per minute")
    limited = create_app({"TESTING": True}).test_client()
    from support import CSRF

    codes = []
    for _ in range(4):
        page = limited.get("/login").get_data(as_text=True)
        match = CSRF.search(page)
        token = match.group(1) or match.group(2)
        data = {"csrf_token": token, "username": mei.username, "password": "wrong"}
        codes.append(limited.post("/login", data=data).status_code)
    assert codes == [422, 422, 422, 429]
    with limited.application.app_context():
        from app.extensions import db

        db.engine.dispose()
