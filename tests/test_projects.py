"""Projects: created by form and API, listed only to their members."""


def test_create_and_list_projects(client, auth, make_user):
    auth.login(make_user("mei"))
    empty = client.get("/projects/").get_data(as_text=True)
    assert "No projects yet" in empty
    response = client.post(
        "/projects/",
        data={"csrf_token": auth.csrf("/projects/"), "name": "霸总的契约", "description": "d"},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "霸总的契约" in page and "Brainstorm ideas" in page
    assert "霸总的契约" in client.get("/projects/").get_data(as_text=True)


def test_project_form_validation(client, auth, make_user):
    auth.login(make_user("mei"))
    response = client.post(
        "/projects/", data={"csrf_token": auth.csrf("/projects/"), "name": " ", "description": ""}
    )
    assert response.status_code == 422 and "No projects yet" in response.get_data(as_text=True)


def test_api_create_project_validation(client, make_user):
    mei = make_user("mei")
    ok = client.post("/api/projects", json={"name": "P", "description": "x"}, headers=mei.bearer)
    assert ok.status_code == 201 and isinstance(ok.json["projectId"], int)
    for body, field in [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "P", "description": 5}, "description"),
    ]:
        response = client.post("/api/projects", json=body, headers=mei.bearer)
        assert response.status_code == 422 and response.json["field"] == field
    assert client.post("/api/projects", data="nope", headers=mei.bearer).status_code == 415
    unreadable = client.post(
        "/api/projects", data="nope", content_type="application/json", headers=mei.bearer
    )
    assert unreadable.status_code == 400 and unreadable.json["error"]


def test_others_do_not_see_a_project(client, auth, make_user):
    mei, bo = make_user("mei"), make_user("bo")
    project = client.post("/api/projects", json={"name": "Secret"}, headers=mei.bearer).json
    auth.login(bo)
    assert client.get(f"/projects/{project['projectId']}").status_code == 404
    assert "Secret" not in client.get("/projects/").get_data(as_text=True)
