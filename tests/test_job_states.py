"""What writers see of the states later kinds need: a job waiting for its writer's answers is
news (a notice, a toast, the nav count, a Jobs page group); cancelling one with provider state
lets its kind clean up; human transforms are lineage, never jobs; and a job has one JSON shape
wherever it is shown."""

import json
import threading
from typing import Any

import httpx2
from echo import cancelled_key
from factories import answer_job, make_project, start_echo
from support import events, wait_for

from app.extensions import begin_write, db, get_redis
from app.jobs.models import Transform

BARE = json.dumps([{"text": "one"}])


def status_of(http: httpx2.Client, job_id: int) -> str:
    return http.get(f"/api/jobs/{job_id}").json()["status"]


def test_a_job_waiting_for_answers_is_news_until_opened(app, api, web, make_user, provider):
    account = make_user()
    http = api(account)
    provider.script("asks", BARE)
    tab = web().login(account)
    toasts: list[str] = []
    stop = threading.Event()

    def listen() -> None:
        with tab.http.stream("GET", "/live/events", timeout=30) as response:
            for event in events(response):
                toasts.append(event.data)
                if stop.is_set():
                    return

    threading.Thread(target=listen, daemon=True).start()
    wait_for(lambda: toasts)  # the page stream is open
    job_id = start_echo(app, account.id, "asks", count=1, ask=True)
    wait_for(lambda: status_of(http, job_id) == "needs_input")
    # A toast in the open page, live; a notice on the next page load; the nav count.
    wait_for(lambda: any(f'id="notice_{job_id}"' in m and "has questions" in m for m in toasts))
    stop.set()
    page = tab.http.get("/projects/").text
    assert f'id="notice_{job_id}"' in page and "Echo for “Echo asks” has questions for you." in page
    assert "Jobs (1)" in page
    listed = http.get("/api/jobs", params={"status": "needs_input"}).json()["jobs"]
    assert [j["id"] for j in listed] == [job_id]
    assert http.get("/api/jobs", params={"status": "waiting"}).json()["jobs"] == []
    assert f"#{job_id}" in tab.http.get("/jobs/?status=needs_input").text
    tab.http.get(f"/jobs/{job_id}")  # opening it is seeing it
    assert f'id="notice_{job_id}"' not in tab.http.get("/projects/").text
    assert answer_job(app, job_id, {"answers": ["Yes."]})
    wait_for(lambda: status_of(http, job_id) == "completed")
    assert f'id="notice_{job_id}"' in tab.http.get("/projects/").text  # now it ended: news


def test_cancelling_a_waiting_job_lets_its_kind_release_provider_state(
    app, api, make_user, provider
):
    account = make_user()
    http = api(account)
    provider.script("release", BARE)
    job_id = start_echo(app, account.id, "release", count=1, ask=True)
    wait_for(lambda: status_of(http, job_id) == "needs_input")
    with app.app_context():
        get_redis().delete(cancelled_key(job_id))
    assert http.post(f"/api/jobs/{job_id}/cancel").json()["status"] == "cancelled"
    with app.app_context():
        # A worker ran the kind's on_cancel with the checkpoint, then forgot the checkpoint.
        mark = wait_for(lambda: get_redis().get(cancelled_key(job_id)))
        assert json.loads(mark) == {"asked": True}

        def forgotten() -> bool:
            db.session.rollback()
            return db.session.get(Transform, job_id, populate_existing=True).checkpoint is None

        wait_for(forgotten)


def test_human_transforms_are_never_jobs(app, client, auth, make_user):
    account = make_user()
    project = make_project(app, account.id, "Lineage")
    with app.app_context():
        begin_write()
        edit = Transform(
            project_id=project, type="human", kind="edit", status="completed", created_by=account.id
        )
        db.session.add(edit)
        db.session.commit()
        edit_id = edit.id
    assert client.get(f"/api/jobs/{edit_id}", headers=account.bearer).status_code == 404
    assert client.get("/api/jobs", headers=account.bearer).json["jobs"] == []
    running = client.get("/api/background-jobs/running", headers=account.bearer)
    assert running.json["jobs"] == []
    auth.login(account)
    assert client.get(f"/jobs/{edit_id}").status_code == 404
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert f"#{edit_id}" not in page and "Nothing generated yet" in page


def job_objects(http: httpx2.Client, job_id: int, ideation: bool) -> list[dict[str, Any]]:
    """The job as every JSON answer that shows it does."""
    found = [
        http.get(f"/api/jobs/{job_id}").json(),
        http.get("/api/jobs").json()["jobs"][0],
        http.get("/api/background-jobs/recent-completions").json()["jobs"][0],
        http.get(f"/api/streaming/transform/{job_id}").json(),  # finished: JSON
    ]
    if ideation:
        found.append(http.get(f"/api/ideations/{job_id}").json()["job"])
    return found


def test_a_job_has_one_json_shape_wherever_it_is_shown(app, api, make_user, provider):
    account = make_user()
    http = api(account)
    provider.script("shape", BARE)
    job_id = start_echo(app, account.id, "shape", count=1)
    wait_for(lambda: status_of(http, job_id) == "completed")
    shapes = job_objects(http, job_id, ideation=False)
    job = {k: v for k, v in shapes[1].items()}
    for shown in shapes:
        assert {k: shown[k] for k in job} == job
    assert job["status"] == "completed" and job["projectName"] == "Echo shape"
    assert job["progressDone"] == job["progressTotal"] == 1 and job["errorCode"] is None
    assert job["url"] == f"/jobs/{job_id}" and job["cursor"].startswith("1.")
