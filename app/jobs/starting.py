"""Starting a job: recorded at once, idempotent, one active job per project and kind."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.artifacts.models import Artifact, TransformInput
from app.auth.models import User
from app.errors import Refused, fail
from app.extensions import begin_write, db, limiter
from app.inputs import Inputs, key_from
from app.jobs.kinds import JobKind
from app.jobs.lifecycle import max_retries
from app.jobs.models import ACTIVE, Transform

# What holds a worker or will soon: a job waiting for its writer's answers does not count.
BUSY = ("pending", "running", "retrying")


def _starter() -> str:
    """Starts are counted per user, whichever way they come (form, API, bearer or session)."""
    user = g.get("api_user") or current_user
    return f"user-{user.id}"


# Every view that starts or restarts a job carries this: one counter per user across them.
limit_starts = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_JOBS"], scope="job-starts", key_func=_starter
)


def idempotency_key() -> str | None:
    """The Idempotency-Key header, if sent; 422 if it is not 1-100 printable ASCII characters."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None or not raw.strip():
        return None
    key = key_from(raw)
    if key is None:
        message = _("Idempotency-Key must be 1 to 100 printable ASCII characters.")
        fail(422, message, field="Idempotency-Key")
    return key


class KeyReused(ValueError):
    """The idempotency key was used before with other parameters."""


@dataclass(frozen=True)
class Started:
    transform: Transform
    # "created": a new job; "replayed": the same key again; "conflict": another job is active.
    outcome: str


Reads = dict[str, int | list[int]]  # role → the artifact it names (or several, in order)


def _digest(kind: JobKind, project_id: int, params: dict[str, Any], inputs: Reads) -> str:
    what = [kind.name, project_id, params, inputs] if inputs else [kind.name, project_id, params]
    canonical = json.dumps(what, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(user_id: int, key: str | None, project_id: int, kind: str) -> Started | None:
    """The job this start resolves to without creating one, if any."""
    if key:
        same_key = db.session.scalar(
            select(Transform).where(
                Transform.created_by == user_id, Transform.idempotency_key == key
            )
        )
        if same_key is not None:
            return Started(same_key, "replayed")
    active = db.session.scalar(
        select(Transform).where(
            Transform.project_id == project_id, Transform.kind == kind, Transform.status.in_(ACTIVE)
        )
    )
    return Started(active, "conflict") if active is not None else None


def check_capacity(user_id: int) -> None:
    """Refuse (429) a start that would give the user more busy jobs than allowed. Holds the
    user's row until the caller commits, so two starts cannot both slip under the cap."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    busy = db.session.scalar(
        select(func.count(Transform.id)).where(
            Transform.created_by == user_id, Transform.status.in_(BUSY)
        )
    )
    cap = current_app.config["MAX_ACTIVE_JOBS_PER_USER"]
    if (busy or 0) >= cap:
        raise Refused(
            429,
            _("You have %(n)d jobs waiting or running: start more when some have ended.", n=cap),
        )


def start_job(
    kind: JobKind,
    project_id: int,
    user_id: int,
    params: Inputs,
    key: str | None,
    inputs: Reads | None = None,
) -> Started:
    """Record a pending job, its params artifact and the artifacts it reads (`inputs`: role →
    artifact id or ids, of the project, checked by the caller); the caller commits, then
    enqueues."""
    values = params.model_dump(mode="json", by_alias=True)
    inputs = inputs or {}
    digest = _digest(kind, project_id, values, inputs)
    begin_write()
    found = _existing(user_id, key, project_id, kind.name)
    if found is None:
        check_capacity(user_id)
        try:
            job = _insert(kind, project_id, user_id, values, key, digest, inputs)
            found = Started(job, "created")
        except IntegrityError:
            # Another request won the race between our check and our insert; this unit
            # wrote nothing else, so roll it all back and take the winner.
            db.session.rollback()
            found = _existing(user_id, key, project_id, kind.name)
            if found is None:
                raise
    if found.outcome == "replayed" and found.transform.params_digest != digest:
        raise KeyReused
    return found


def _insert(
    kind: JobKind,
    project_id: int,
    user_id: int,
    params: dict[str, Any],
    key: str | None,
    digest: str,
    inputs: Reads,
) -> Transform:
    params_artifact = Artifact(
        project_id=project_id, type=kind.params_type, data=params, created_by=user_id
    )
    transform = Transform(
        project_id=project_id,
        kind=kind.name,
        type="llm",
        status="pending",
        max_retries=max_retries(kind.name, kind.max_retries),
        idempotency_key=key,
        params_digest=digest,
        created_by=user_id,
    )
    db.session.add_all([params_artifact, transform])
    db.session.flush()
    edges = {"params": params_artifact.id, **inputs}
    db.session.add_all(
        TransformInput(transform_id=transform.id, artifact_id=artifact_id, role=role)
        for role, ids in edges.items()
        for artifact_id in (ids if isinstance(ids, list) else [ids])
    )
    db.session.flush()
    return transform
