"""Projects: cards with their state, counts and last activity; rename, archive (hidden from
the list, restorable) and delete (its owner only, with confirmation, refused while a job of
it is active), on pages and through the API."""

from factories import BRAINSTORM_PARAMS
from sqlalchemy import func, select

from app.artifacts.models import Artifact
from app.extensions import begin_write, db
from app.jobs.models import Transform


def new_project(client, account, name: str) -> int:
    return client.post("/api/projects", json={"name": name}, headers=account.bearer).json[
        "projectId"
    ]


def test_cards_rename_archive_restore(app, client, auth, make_user):
    mei = make_user("mei")
    first, second = new_project(client, mei, "雨夜咖啡店"), new_project(client, mei, "Second")
    with app.app_context():
        begin_write()
        for n in range(3):
            db.session.add(Artifact(project_id=first, type="brainstorm_idea", data={"n": n}))
        db.session.add(Artifact(project_id=first, type="outline", data={}))
        db.session.commit()
    auth.login(mei)
    page = client.get("/projects/").get_data(as_text=True)
    assert "3 ideas · 1 outline" in page and "idle" in page and "last activity" in page
    token = auth.csrf(f"/projects/{first}")
    renamed = client.post(
        f"/projects/{first}/rename",
        data={"csrf_token": token, "name": "咖啡店的秘密", "description": "甜宠"},
    )
    assert renamed.status_code == 303
    assert "咖啡店的秘密" in client.get("/projects/").get_data(as_text=True)
    empty = client.post(f"/projects/{first}/rename", data={"csrf_token": token, "name": " "})
    assert empty.status_code == 303
    assert "咖啡店的秘密" in client.get(f"/projects/{first}").get_data(as_text=True)
    # Archived: gone from the list, under "Archived", still reachable, restorable.
    archived = client.post(f"/projects/{first}/archive", data={"csrf_token": token})
    assert archived.status_code == 303
    listing = client.get("/projects/").get_data(as_text=True)
    assert f'href="/projects/{first}"' not in listing and "Archived (1)" in listing
    assert f'href="/projects/{second}"' in listing
    assert "咖啡店的秘密" in client.get("/projects/?archived=1").get_data(as_text=True)
    assert "is archived" in client.get(f"/projects/{first}").get_data(as_text=True)
    client.post(f"/projects/{first}/archive", data={"csrf_token": token, "archived": "0"})
    assert "咖啡店的秘密" in client.get("/projects/").get_data(as_text=True)
    # The API does the same.
    changed = client.patch(
        f"/api/projects/{second}", json={"name": "Renamed", "archived": True}, headers=mei.bearer
    )
    assert changed.status_code == 200
    assert changed.json == {**changed.json, "name": "Renamed", "archived": True}
    refused = client.patch(f"/api/projects/{second}", json={"name": ""}, headers=mei.bearer)
    assert refused.status_code == 422 and refused.json["field"] == "name"


def test_delete_is_the_owners_and_waits_for_active_jobs(app, client, auth, make_user):
    mei, cole = make_user("mei"), make_user("cole")
    project = new_project(client, mei, "Doomed")
    client.post(
        f"/api/projects/{project}/members",
        json={"username": "cole", "role": "collaborator"},
        headers=mei.bearer,
    )
    body = {"projectId": project, "params": BRAINSTORM_PARAMS}
    job = client.post("/api/brainstorm/start", json=body, headers=mei.bearer).json["transformId"]
    # A collaborator may not delete; the owner is refused while the job is pending.
    assert client.delete(f"/api/projects/{project}", headers=cole.bearer).status_code == 403
    busy = client.delete(f"/api/projects/{project}", headers=mei.bearer)
    assert busy.status_code == 409 and "running or waiting" in busy.json["error"]
    auth.login(mei)
    confirm = client.get(f"/projects/{project}/delete").get_data(as_text=True)
    assert "Delete “Doomed”?" in confirm and "still running or waiting" in confirm
    assert client.post(f"/api/jobs/{job}/cancel", headers=mei.bearer).status_code == 200
    gone = client.post(f"/projects/{project}/delete", data={"csrf_token": auth.csrf("/projects/")})
    assert gone.status_code == 303
    assert client.get(f"/projects/{project}").status_code == 404
    with app.app_context():
        left = db.session.scalar(
            select(func.count()).select_from(Transform).where(Transform.project_id == project)
        )
        assert left == 0
