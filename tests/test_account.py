"""The account page: a display name in any script (shown to the members of a project), a new
password that signs out every other session, and API tokens shown once, listed, revoked."""

import re

from support import CSRF


def csrf_of(client, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match
    return match.group(1) or match.group(2)


def test_a_display_name_in_any_script_is_shown_to_project_members(client, auth, make_user):
    mei, cole = make_user("mei"), make_user("cole")
    project = client.post("/api/projects", json={"name": "P"}, headers=mei.bearer).json["projectId"]
    client.post(
        f"/api/projects/{project}/members",
        json={"username": "cole", "role": "viewer"},
        headers=mei.bearer,
    )
    auth.login(mei)
    saved = client.post(
        "/account/name",
        data={"csrf_token": csrf_of(client, "/account/"), "display_name": " 梅 <b>编剧</b> "},
    )
    assert saved.status_code == 303
    members = client.get(f"/api/projects/{project}/members", headers=cole.bearer).json["members"]
    assert members[0] == {**members[0], "username": "mei", "displayName": "梅 <b>编剧</b>"}
    auth.login(cole)
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "梅 &lt;b&gt;编剧&lt;/b&gt;" in page and "<b>编剧" not in page
    too_long = client.post(
        "/account/name", data={"csrf_token": csrf_of(client, "/account/"), "display_name": "x" * 81}
    )
    assert too_long.status_code == 422


def test_a_new_password_signs_out_every_other_session(app, client, auth, make_user):
    mei = make_user("mei")
    other = app.test_client()
    auth.login(mei)
    other_token = csrf_of(other, "/login")
    other.post(
        "/login", data={"csrf_token": other_token, "username": "mei", "password": mei.password}
    )
    assert other.get("/projects/").status_code == 200
    token = csrf_of(client, "/account/")
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "nope-nope",
            "password": "brand new pw",
            "confirm": "brand new pw",
        },
    )
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": mei.password,
            "password": "brand new pw",
            "confirm": "brand new pw",
        },
    )
    assert changed.status_code == 303
    assert client.get("/projects/").status_code == 200  # this session goes on
    assert other.get("/projects/").status_code == 302  # the other one is signed out
    fresh = app.test_client()
    login = csrf_of(fresh, "/login")
    old = fresh.post(
        "/login", data={"csrf_token": login, "username": "mei", "password": mei.password}
    )
    assert old.status_code == 422
    new = fresh.post(
        "/login", data={"csrf_token": login, "username": "mei", "password": "brand new pw"}
    )
    assert new.status_code == 303


def test_api_tokens_are_shown_once_listed_and_revoked(client, auth, make_user):
    mei, bo = make_user("mei"), make_user("bo")
    auth.login(mei)
    created = client.post(
        "/account/tokens", data={"csrf_token": csrf_of(client, "/account/"), "label": "my script"}
    )
    assert created.status_code == 201
    secret = re.search(r'<code class="token">(sw_[^<]+)</code>', created.get_data(as_text=True))
    assert secret
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/jobs", headers=bearer).status_code == 200
    page = client.get("/account/").get_data(as_text=True)
    assert "my script" in page and secret.group(1) not in page  # listed, never shown again
    token_id = re.findall(r'action="/account/tokens/(\d+)/revoke"', page)[0]
    auth.login(bo)  # someone else's token is not theirs to revoke
    refused = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(client, "/account/")}
    )
    assert refused.status_code == 404
    auth.login(mei)
    revoked = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(client, "/account/")}
    )
    assert revoked.status_code == 303
    client.post("/logout", data={"csrf_token": csrf_of(client, "/account/")})
    assert client.get("/api/jobs", headers=bearer).status_code == 401
