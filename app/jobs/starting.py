"""Starting a job: recorded at once, idempotent, one active job per project and kind."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.artifacts.models import Artifact, TransformInput
from app.extensions import begin_write, db
from app.jobs.kinds import JobKind
from app.jobs.lifecycle import max_retries
from app.jobs.models import ACTIVE, Transform


class KeyReused(ValueError):
    """The idempotency key was used before with other parameters."""


@dataclass(frozen=True)
class Started:
    transform: Transform
    # "created": a new job; "replayed": the same key again; "conflict": another job is active.
    outcome: str


def _digest(kind: JobKind, project_id: int, params: dict[str, Any]) -> str:
    canonical = json.dumps([kind.name, project_id, params], sort_keys=True, ensure_ascii=False)
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


def start_job(
    kind: JobKind, project_id: int, user_id: int, params: dict[str, Any], key: str | None
) -> Started:
    """Record a pending job and its params artifact (the caller commits, then enqueues)."""
    digest = _digest(kind, project_id, params)
    begin_write()
    found = _existing(user_id, key, project_id, kind.name)
    if found is None:
        try:
            found = Started(_insert(kind, project_id, user_id, params, key, digest), "created")
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
    db.session.add(
        TransformInput(transform_id=transform.id, artifact_id=params_artifact.id, role="params")
    )
    db.session.flush()
    return transform
