"""Projects and jobs for tests, made the real way: a job of any kind is recorded by
`app.jobs.starting.start_job`, committed, then launched (queued and announced) by
`app.jobs.control.launch`, exactly as the start views do after validating a request."""

from typing import Any

from flask import Flask

from app.artifacts.models import Artifact
from app.auth.models import User
from app.extensions import begin_write, db
from app.jobs import control, starting
from app.jobs.kinds import kind_of
from app.jobs.models import Transform
from app.projects.domain import create_project

# The one literal of a brainstorm's params; tests change what they need: {**BRAINSTORM_PARAMS, …}.
BRAINSTORM_PARAMS: dict[str, Any] = {
    "platform": "douyin",
    "genrePaths": [["女频", "爱情", "甜宠"]],
    "genreProportions": [100],
    "requirements": "",
    "numIdeas": 3,
}


def make_project(app: Flask, user_id: int, name: str = "Project") -> int:
    """A project owned by the user; its id."""
    with app.app_context():
        begin_write()  # on SQLite, a read-then-write transaction must start as a write
        user = db.session.get(User, user_id)
        assert user is not None, f"no user {user_id}"
        project = create_project(user, name)
        db.session.commit()
        project_id = project.id
        db.session.remove()
        return project_id


def start_job(
    app: Flask,
    kind: str,
    project_id: int,
    user_id: int,
    params: dict[str, Any],
    *,
    key: str | None = None,
    launch: bool = True,
) -> int:
    """Start a job of the named kind with these params (validated by the kind's own model);
    its id. `launch=False` leaves it recorded but never queued, as a crash between the commit
    and the enqueue would."""
    with app.app_context():
        job_kind = kind_of(kind)
        started = starting.start_job(
            job_kind, project_id, user_id, job_kind.params.model_validate(params), key
        )
        assert started.outcome == "created", f"{kind} in project {project_id}: {started.outcome}"
        db.session.commit()
        if launch:
            control.launch(started.transform)
        job_id = started.transform.id
        db.session.remove()
        return job_id


def start_echo(
    app: Flask,
    user_id: int,
    script: str,
    *,
    count: int = 3,
    kind: str = "echo",
    project: str | None = None,
    launch: bool = True,
    **params: Any,
) -> int:
    """An echo job (`kind="echo_long"`: the same in the long queue class) in a new project,
    whose model answer is the fake provider's script `script`; its id."""
    project_id = make_project(app, user_id, project or f"Echo {script}")
    prompt = f"[[script:{script}]] Echo test."
    return start_job(
        app, kind, project_id, user_id, {"prompt": prompt, "count": count, **params}, launch=launch
    )


def answer_job(app: Flask, job_id: int, answers: dict[str, Any]) -> bool:
    """The owner answers a job's questions: an answers artifact in its project, given to
    `app.jobs.control.answer`, which sends the job back to the queue. False if the job was
    not waiting for answers."""
    with app.app_context():
        transform = db.session.get(Transform, job_id)
        assert transform is not None, f"no job {job_id}"

        def sheet() -> Artifact:
            artifact = Artifact(
                project_id=transform.project_id,
                type="answers",
                data=answers,
                created_by=transform.created_by,
            )
            db.session.add(artifact)
            db.session.flush()
            return artifact

        answered = control.answer(transform, sheet)
        db.session.remove()
        return answered


def brainstorm_form(client: Any, auth: Any, project_id: int, **fields: str) -> dict[str, str]:
    """The brainstorm form as a writer sends it: the page's own CSRF token and idempotency key,
    the params above typed in, then `fields` changed."""
    from support import CSRF

    from app.brainstorm.catalog import genre_paths

    page = client.get(f"/projects/{project_id}/brainstorm").get_data(as_text=True)
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    token = CSRF.search(page)
    assert token is not None
    genre = genre_paths().index(tuple(BRAINSTORM_PARAMS["genrePaths"][0]))
    data = {
        "csrf_token": token.group(1) or token.group(2),
        "idempotency_key": key,
        "platform": BRAINSTORM_PARAMS["platform"],
        f"genre-{genre}": "100",
        "requirements": "",
        "numIdeas": str(BRAINSTORM_PARAMS["numIdeas"]),
    }
    return {**data, **fields}


def finished_outline(
    app: Flask,
    user_id: int,
    project_id: int,
    document: dict[str, Any],
    params: dict[str, Any] | None = None,
) -> int:
    """An outline as a finished outline job leaves it, from an idea of the project: the job
    recorded the real way (never queued), then its one `outline` artifact stored as its result
    and the job completed. The outline artifact's id."""
    from app.artifacts.models import TransformOutput
    from app.clock import utcnow
    from app.jobs.models import RESULT_ROLE
    from app.outline.kind import OUTLINE, OUTLINE_TYPE

    with app.app_context():
        begin_write()
        idea = Artifact(
            project_id=project_id,
            type="brainstorm_idea",
            data={"title": document.get("title", ""), "body": document.get("logline", "")},
            created_by=user_id,
        )
        db.session.add(idea)
        db.session.flush()
        asked = {"episodeCount": max(10, len(document["episodes"])), **(params or {})}
        started = starting.start_job(
            OUTLINE,
            project_id,
            user_id,
            OUTLINE.params.model_validate({"platform": "抖音", **asked}),
            None,
            inputs={"source": idea.id},
        )
        assert started.outcome == "created", f"outline in project {project_id}: {started.outcome}"
        job = started.transform
        outline = Artifact(
            project_id=project_id, type=OUTLINE_TYPE, data=document, created_by=user_id
        )
        db.session.add(outline)
        db.session.flush()
        db.session.add(
            TransformOutput(transform_id=job.id, artifact_id=outline.id, role=RESULT_ROLE)
        )
        job.status, job.finished_at, job.progress = "completed", utcnow(), 100
        db.session.commit()
        outline_id = outline.id
        db.session.remove()
        return outline_id
