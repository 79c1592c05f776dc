"""A project's lineage: every artifact and transform as a node, every input and output as an
edge (the graph the database holds), for the JSON API and the story graph on the project page;
the drawing is cached until the lineage changes."""

import hashlib
import json
from typing import Any

from flask import url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import graph
from app.artifacts.models import Artifact, HumanTransform, TransformInput, TransformOutput
from app.extensions import db, get_redis
from app.jobs.kinds import label_of
from app.jobs.models import LlmTransform, Transform
from app.versions.domain import EDITABLE
from app.versions.staleness import stale_ids

CACHE_SECONDS = 24 * 3600
ACTIONS = {
    "edit": lambda: _("Edit"),
    "revert": lambda: _("Revert"),
    "answer": lambda: _("Answers"),
}
TYPES = {
    "brainstorm_params": lambda: _("Brainstorm params"),
    "outline_params": lambda: _("Outline params"),
    "research_params": lambda: _("Research question"),
    "brainstorm_idea": lambda: _("Idea"),
    "outline": lambda: _("Outline"),
    "questions": lambda: _("Questions"),
    "research_answers": lambda: _("Answers"),
    "research_instructions": lambda: _("Research instructions"),
    "research_outline": lambda: _("Research"),
    "bible_params": lambda: _("Bible params"),
    "character_bible": lambda: _("Character bible"),
    "script_params": lambda: _("Script params"),
    "episode_script": lambda: _("Episode"),
    "consistency_params": lambda: _("Check params"),
    "consistency_report": lambda: _("Consistency report"),
}
# What an arrow of the drawing carries, named in its tooltip.
ROLES = {
    "params": lambda: _("params"),
    "result": lambda: _("result"),
    "source": lambda: _("source"),
    "reference": lambda: _("reference"),
    "context": lambda: _("context"),
    "questions": lambda: _("questions"),
    "answers": lambda: _("answers"),
    "instructions": lambda: _("instructions"),
    "version": lambda: _("version"),
    "restored": lambda: _("restored"),
    "outline": lambda: _("outline"),
    "bible": lambda: _("bible"),
    "episode": lambda: _("episode"),
}


def lineage(project_id: int) -> dict[str, Any]:
    """{"nodes": [...], "edges": [...]} as `GET /api/projects/<id>/lineage` answers."""
    artifacts = db.session.scalars(
        select(Artifact).where(Artifact.project_id == project_id).order_by(Artifact.id)
    ).all()
    transforms = db.session.scalars(
        select(Transform).where(Transform.project_id == project_id).order_by(Transform.id)
    ).all()
    ids = [t.id for t in transforms]
    inputs = db.session.execute(
        select(TransformInput.transform_id, TransformInput.artifact_id, TransformInput.role)
        .where(TransformInput.transform_id.in_(ids))
        .order_by(TransformInput.id)
    ).all()
    outputs = db.session.execute(
        select(TransformOutput.transform_id, TransformOutput.artifact_id, TransformOutput.role)
        .where(TransformOutput.transform_id.in_(ids))
        .order_by(TransformOutput.transform_id, TransformOutput.role, TransformOutput.position)
    ).all()
    described = dict(
        db.session.execute(
            select(HumanTransform.transform_id, HumanTransform.description).where(
                HumanTransform.transform_id.in_(ids)
            )
        ).all()
    )
    usage = _usage(ids)
    reads = {artifact_id: transform_id for transform_id, artifact_id, _role in inputs}
    makes = {artifact_id: transform_id for transform_id, artifact_id, _role in outputs}
    made = {transform_id: artifact_id for transform_id, artifact_id, _role in outputs}
    stale = stale_ids(artifacts)
    nodes = [_artifact(a, reads.get(a.id), makes.get(a.id), a.id in stale) for a in artifacts]
    nodes += [
        _transform(t, described.get(t.id, ""), usage.get(t.id), made.get(t.id)) for t in transforms
    ]
    edges = [
        {"from": f"artifact:{artifact_id}", "to": f"transform:{transform_id}", "role": role}
        for transform_id, artifact_id, role in inputs
    ] + [
        {"from": f"transform:{transform_id}", "to": f"artifact:{artifact_id}", "role": role}
        for transform_id, artifact_id, role in outputs
    ]
    return {"nodes": nodes, "edges": edges}


def _usage(ids: list[int]) -> dict[int, tuple[str, int]]:
    """Each LLM transform's model and the tokens all its calls used."""
    rows = db.session.execute(
        select(LlmTransform.transform_id, LlmTransform.model, LlmTransform.total_tokens).where(
            LlmTransform.transform_id.in_(ids)
        )
    )
    found: dict[int, tuple[str, int]] = {}
    for transform_id, model, tokens in rows:
        previous = found.get(transform_id, (model, 0))
        found[transform_id] = (model or previous[0], previous[1] + (tokens or 0))
    return found


def _artifact(a: Artifact, read_by: int | None, made_by: int | None, stale: bool) -> dict[str, Any]:
    title = str(a.data.get("title") or "") if isinstance(a.data, dict) else ""
    label = title or (TYPES[a.type]() if a.type in TYPES else a.type)
    if a.type == "episode_script" and isinstance(a.data, dict):
        label = _("Episode %(n)d", n=a.data.get("number", 0)) + (f": {title}" if title else "")
    detail = f"v{a.version}" if a.version > 1 else ""
    if stale:
        detail = " · ".join(filter(None, [detail, _("based on an older version")]))
    if a.type in EDITABLE:
        url = url_for("versions.index", artifact_id=a.id)
    else:
        job = read_by or made_by
        url = url_for("jobs.show", job_id=job) if job else None
    return {
        "id": f"artifact:{a.id}",
        "node": "artifact",
        "refId": a.id,
        "type": a.type,
        "label": label,
        "detail": detail,
        "stale": stale,
        "url": url,
    }


def _transform(
    t: Transform, description: str, usage: tuple[str, int] | None, made: int | None
) -> dict[str, Any]:
    if t.type == "human":
        return {
            "id": f"transform:{t.id}",
            "node": "transform",
            "refId": t.id,
            "type": t.kind,
            "transformType": "human",
            "label": ACTIONS[t.kind]() if t.kind in ACTIONS else t.kind,
            "detail": description,
            "url": _human_url(t, made),
        }
    model, tokens = usage or ("", 0)
    detail = f"{model} · {ngettext('%(num)d token', '%(num)d tokens', tokens)}" if model else ""
    return {
        "id": f"transform:{t.id}",
        "node": "transform",
        "refId": t.id,
        "type": t.kind,
        "transformType": "llm",
        "label": f"{label_of(t.kind)} #{t.id}",
        "detail": detail,
        "url": url_for("jobs.show", job_id=t.id),
    }


def _human_url(t: Transform, made: int | None) -> str | None:
    """An edit or a revert is seen among its versions (answers: on the job that read them,
    which their artifact links to)."""
    if made is None or t.kind == "answer":
        return None
    return url_for("versions.index", artifact_id=made)


def _folded(node: str, type_: str, count: int) -> str:
    """The label of many siblings drawn as one box: "12 × Idea"."""
    if node == "artifact":
        name = TYPES[type_]() if type_ in TYPES else type_
    else:
        name = ACTIONS[type_]() if type_ in ACTIONS else label_of(type_)
    return f"{count} × {name}"


def drawing(project_id: int) -> graph.Drawing:
    """The story graph of the project, drawn once per change of its lineage (and language)."""
    signature = (
        *db.session.execute(
            select(func.count(Transform.id), func.max(Transform.updated_at)).where(
                Transform.project_id == project_id
            )
        ).one(),
        *db.session.execute(
            select(func.count(Artifact.id), func.max(Artifact.updated_at)).where(
                Artifact.project_id == project_id
            )
        ).one(),
    )
    seen = (signature, str(get_locale()))  # labels are in the reader's language
    digest = hashlib.sha256(repr(seen).encode()).hexdigest()[:24]
    key = f"sw:lineage:{project_id}:{digest}"
    redis = get_redis()
    try:
        cached = redis.get(key)
    except Exception:  # noqa: BLE001 - a cache: draw it again
        cached = None
    if cached:
        stored = json.loads(cached)
        return graph.Drawing(stored["svg"], [graph.Folded(**f) for f in stored["folded"]])
    drawn = lineage(project_id)
    for edge in drawn["edges"]:
        edge["role"] = ROLES[edge["role"]]() if edge["role"] in ROLES else edge["role"]
    made = graph.render(drawn, title=_("Story graph"), fold_label=_folded)
    folded = [{"anchor": f.anchor, "label": f.label, "members": f.members} for f in made.folded]
    try:
        redis.setex(key, CACHE_SECONDS, json.dumps({"svg": made.svg, "folded": folded}))
    except Exception:  # noqa: BLE001
        pass
    return made
