"""Team projects: the owner adds collaborators and viewers by username, changes their roles and
removes them; members see the project, its jobs and its pages; a viewer may read but not
change (403 that says so), a non-member learns nothing (404)."""

from factories import BRAINSTORM_PARAMS

from app.cli import add_project_member


def members_url(project_id: int) -> str:
    return f"/api/projects/{project_id}/members"


def new_project(client, account, name: str = "Shared") -> int:
    response = client.post("/api/projects", json={"name": name}, headers=account.bearer)
    return response.json["projectId"]


def test_the_owner_manages_members_through_the_api(client, make_user):
    mei, cole, vi = make_user("mei"), make_user("cole"), make_user("vi")
    project = new_project(client, mei)
    url = members_url(project)
    added = client.post(url, json={"username": "cole", "role": "collaborator"}, headers=mei.bearer)
    assert added.status_code == 201
    assert set(added.json) == {"username", "displayName", "role", "addedAt"}
    assert added.json["username"] == "cole" and added.json["role"] == "collaborator"
    assert (
        client.post(url, json={"username": "vi", "role": "viewer"}, headers=mei.bearer).status_code
        == 201
    )
    listed = client.get(url, headers=vi.bearer).json["members"]
    assert [(m["username"], m["role"]) for m in listed] == [
        ("mei", "owner"),
        ("cole", "collaborator"),
        ("vi", "viewer"),
    ]
    # Clear refusals.
    again = client.post(url, json={"username": "cole", "role": "viewer"}, headers=mei.bearer)
    assert again.status_code == 409 and again.json["field"] == "username"
    nobody = client.post(url, json={"username": "nobody", "role": "viewer"}, headers=mei.bearer)
    assert nobody.status_code == 404
    owner = client.post(url, json={"username": "vi", "role": "owner"}, headers=mei.bearer)
    assert owner.status_code == 422 and owner.json["field"] == "role"
    demote = client.patch(f"{url}/mei", json={"role": "viewer"}, headers=mei.bearer)
    assert demote.status_code == 409
    assert client.delete(f"{url}/mei", headers=mei.bearer).status_code == 409  # the only owner
    # Only the owner manages members: a collaborator is told so.
    refused = client.post(url, json={"username": "vi", "role": "viewer"}, headers=cole.bearer)
    assert refused.status_code == 403 and "owner" in refused.json["error"]
    promoted = client.patch(f"{url}/vi", json={"role": "collaborator"}, headers=mei.bearer)
    assert promoted.status_code == 200 and promoted.json["role"] == "collaborator"
    # A member leaves; the owner removes another.
    assert client.delete(f"{url}/cole", headers=cole.bearer).status_code == 204
    assert client.delete(f"{url}/vi", headers=mei.bearer).status_code == 204
    assert [m["username"] for m in client.get(url, headers=mei.bearer).json["members"]] == ["mei"]
    assert client.get(url, headers=cole.bearer).status_code == 404  # no longer a member


def test_members_see_the_project_and_its_jobs_a_viewer_changes_nothing(
    app, client, auth, make_user
):
    mei, cole, vi, bo = (make_user(n) for n in ("mei", "cole", "vi", "bo"))
    project = new_project(client, mei)
    for name, role in (("cole", "collaborator"), ("vi", "viewer")):
        client.post(members_url(project), json={"username": name, "role": role}, headers=mei.bearer)
    body = {"projectId": project, "params": BRAINSTORM_PARAMS}
    # A collaborator starts a job; everyone in the project sees it; a stranger does not.
    started = client.post("/api/brainstorm/start", json=body, headers=cole.bearer)
    assert started.status_code == 202
    job = started.json["transformId"]
    for member in (mei, cole, vi):
        listed = client.get("/api/jobs", headers=member.bearer).json["jobs"]
        assert [j["id"] for j in listed] == [job]
        assert client.get(f"/api/jobs/{job}", headers=member.bearer).status_code == 200
    assert client.get("/api/jobs", headers=bo.bearer).json["jobs"] == []
    assert client.get(f"/api/jobs/{job}", headers=bo.bearer).status_code == 404
    # A viewer may not start or cancel: a 403 saying why.
    refused = client.post("/api/brainstorm/start", json=body, headers=vi.bearer)
    assert refused.status_code == 403 and "viewer" in refused.json["error"]
    assert client.post(f"/api/jobs/{job}/cancel", headers=vi.bearer).status_code == 403
    # Pages: the viewer reads the project without its buttons; a forged form post gets a 403
    # page that says why.
    auth.login(vi)
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "Shared" in page and "Brainstorm ideas" not in page and "Add a member" not in page
    assert "Leave the project" in page
    job_page = client.get(f"/jobs/{job}").get_data(as_text=True)
    assert f'action="/jobs/{job}/cancel"' not in job_page
    forged = client.post(f"/jobs/{job}/cancel", data={"csrf_token": auth.csrf("/projects/")})
    assert forged.status_code == 403 and "viewer" in forged.get_data(as_text=True)
    assert "Shared" in client.get("/projects/").get_data(as_text=True)
    # The nav count counts the jobs the person started.
    assert "Jobs (1)" not in client.get("/projects/").get_data(as_text=True)
    # The owner's page offers to manage members, by plain forms.
    auth.login(mei)
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "Add a member by username" in page and "Brainstorm ideas" not in page  # one runs
    token = auth.csrf(f"/projects/{project}")
    moved = client.post(
        f"/projects/{project}/members/vi/role", data={"csrf_token": token, "role": "collaborator"}
    )
    assert moved.status_code == 303
    roles = {m["username"]: m["role"] for m in client.get(members_url(project)).json["members"]}
    assert roles["vi"] == "collaborator"
    unknown = client.post(
        f"/projects/{project}/members",
        data={"csrf_token": token, "username": "ghost", "role": "viewer"},
        follow_redirects=True,
    )
    assert "There is no one called ghost." in unknown.get_data(as_text=True)


def test_the_cli_adds_a_member(app, client, make_user):
    mei = make_user("mei")
    make_user("vi")
    project = new_project(client, mei)
    runner = app.test_cli_runner()
    result = runner.invoke(add_project_member, [str(project), "vi", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    assert "vi is a viewer" in result.output
    again = runner.invoke(add_project_member, [str(project), "vi", "--role", "viewer"])
    assert again.exit_code != 0 and "already a member" in again.output
    roles = {
        m["username"]: m["role"]
        for m in client.get(members_url(project), headers=mei.bearer).json["members"]
    }
    assert roles == {"mei": "owner", "vi": "viewer"}


def test_a_members_job_reaches_the_others_live_but_its_notice_stays_the_starters(
    app, api, web, make_user, provider
):
    import threading

    import httpx2
    from support import events, ideas_json, wait_for

    mei, cole = make_user("mei"), make_user("cole")
    owner = api(mei)
    project = owner.post("/api/projects", json={"name": "Shared"}).json()["projectId"]
    owner.post(members_url(project), json={"username": "cole", "role": "collaborator"})
    provider.script("team1", ideas_json([("Alpha", "One."), ("Beta", "Two.")]), delay_ms=20)
    tab = web().login(mei)
    seen: list[str] = []

    stop = threading.Event()

    def listen() -> None:
        try:
            with tab.http.stream("GET", "/live/events", params={"rows": "1"}, timeout=30) as page:
                for event in events(page):
                    seen.append(event.data)
                    if stop.is_set():
                        return
        except httpx2.HTTPError:  # the test ended and closed the tab under the stream
            return

    threading.Thread(target=listen, daemon=True).start()
    wait_for(lambda: seen)  # the owner's Jobs page stream is open
    params = {**BRAINSTORM_PARAMS, "requirements": "[[script:team1]]"}
    started = api(cole).post("/api/brainstorm/start", json={"projectId": project, "params": params})
    job = started.json()["transformId"]
    wait_for(lambda: api(cole).get(f"/api/jobs/{job}").json()["status"] == "completed")
    # The owner's Jobs row followed the collaborator's job; the toast is the starter's only.
    wait_for(lambda: any(f"job_row_{job}" in m and "status-completed" in m for m in seen))
    assert not any(f'id="notice_{job}"' in m for m in seen)
    stop.set()
    # The owner opening the job does not clear the collaborator's notice.
    tab.http.get(f"/jobs/{job}")
    colleague = web().login(cole)
    assert f'id="notice_{job}"' in colleague.http.get("/projects/").text


def test_the_project_page_follows_its_jobs_live(app, api, web, make_user, provider):
    import threading

    import httpx2
    from support import events, ideas_json, wait_for

    mei, bo = make_user("mei"), make_user("bo")
    owner = api(mei)
    project = owner.post("/api/projects", json={"name": "Live"}).json()["projectId"]
    provider.script("live1", ideas_json([("Alpha", "One."), ("Beta", "Two.")]), delay_ms=20)
    tab = web().login(mei)
    page = tab.http.get(f"/projects/{project}").text
    assert f"/live/events?project={project}" in page
    stranger = web().login(bo)
    assert stranger.http.get("/live/events", params={"project": project}).status_code == 404
    seen: list[str] = []
    stop = threading.Event()

    def listen() -> None:
        try:
            with tab.http.stream(
                "GET", "/live/events", params={"project": project}, timeout=30
            ) as response:
                for event in events(response):
                    seen.append(event.data)
                    if stop.is_set():
                        return
        except httpx2.HTTPError:
            return

    threading.Thread(target=listen, daemon=True).start()
    wait_for(lambda: seen)
    params = {**BRAINSTORM_PARAMS, "requirements": "[[script:live1]]"}
    job = owner.post("/api/brainstorm/start", json={"projectId": project, "params": params})
    job_id = job.json()["transformId"]
    # The project's blocks and jobs table follow the job: running, then its ideas.
    wait_for(lambda: any("project_jobs" in m and f"#{job_id}" in m for m in seen))
    wait_for(lambda: any("project_blocks" in m and "Alpha" in m for m in seen))
    stop.set()


def test_a_name_no_database_holds_is_no_one(app, client, make_user):
    mei = make_user("mei")
    project = new_project(client, mei)
    for name in ("%00", "a%00b", "%ED%A0%80"):  # NUL, and a lone surrogate's bytes
        gone = client.delete(f"/api/projects/{project}/members/{name}", headers=mei.bearer)
        assert gone.status_code == 404, (name, gone.status_code)
