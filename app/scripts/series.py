"""Episode scripts of a project: starting a script job, the series of an outline version (for
each episode number, the newest episode made from that version, at its newest version), what
the API answers, and the rule that marks an episode written before an earlier one changed."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from app.artifacts.edges import made_by, read_by
from app.artifacts.models import Artifact, TransformInput, TransformOutput
from app.bible.bibles import bible_for, newest_bible
from app.errors import Refused
from app.extensions import db
from app.jobs.answers import started_as
from app.jobs.models import RESULT_ROLE, Transform
from app.jobs.starting import Started, start_job
from app.jobs.state import params_of, streaming_json
from app.outline.outlines import outline_for
from app.scripts.kind import EPISODE_TYPE, SCRIPTS, SUMMARIES, ScriptParams, summary_of
from app.versions.domain import latest_ids
from app.versions.staleness import stale_ids

DEFAULT_SECONDS = 90
_RANGE = re.compile(r"\s*(\d{1,4})\s*(?:[-–—~～至到]\s*(\d{1,4}))?\s*")


def episodes_from(spec: Any, count: int) -> list[int]:
    """The episode numbers asked for: "all", a number, a range "1-10", several "1, 3, 5-7",
    or a list of numbers; each one of the outline's 1 … count (422 naming `episodes`)."""

    def refuse(message: str) -> Refused:
        return Refused(422, message, field="episodes")

    numbers: list[int] = []
    if isinstance(spec, str) and spec.strip().lower() in ("all", "全部"):
        numbers = list(range(1, count + 1))
    elif isinstance(spec, str) and spec.strip():
        for part in re.split(r"[,，、;；\s]+(?![-–—~～至到])", spec.strip()):
            found = _RANGE.fullmatch(part)
            if found is None:
                raise refuse(_('Give episodes as "all", "3", "1-10" or "1, 3, 5".'))
            first, last = int(found[1]), int(found[2] or found[1])
            if first > last:
                raise refuse(
                    _("A range runs from the smaller number: %(a)d-%(b)d.", a=last, b=first)
                )
            numbers += range(first, last + 1)
    elif isinstance(spec, list) and spec and all(type(n) is int for n in spec):
        numbers = list(spec)
    else:
        raise refuse(_('Give episodes as "all", "3", "1-10" or "1, 3, 5".'))
    wrong = [n for n in numbers if not 1 <= n <= count]
    if wrong:
        raise refuse(_("This outline has episodes 1 to %(n)d.", n=count))
    return sorted(set(numbers))


def outline_params(outline: Artifact) -> dict[str, Any]:
    """What the outline job that wrote this version's line was asked for (length, platform)."""
    job = db.session.scalar(
        select(TransformOutput.transform_id).where(
            TransformOutput.artifact_id == outline.origin, TransformOutput.role == RESULT_ROLE
        )
    )
    return params_of(job) if job is not None else {}


def start_scripts(
    project_id: int,
    user_id: int,
    outline_id: int,
    episodes: Any,
    bible_id: int | None,
    key: str | None,
) -> Started:
    """Record a script job for the episodes of the outline version, with this bible (or the
    newest bible of that outline version, or none); the caller commits, then launches."""
    outline = outline_for(project_id, outline_id)
    numbers = episodes_from(episodes, len(outline.data["episodes"]))
    bible = bible_for(project_id, bible_id) if bible_id else newest_bible(outline.id)
    asked = outline_params(outline)
    before = [
        summary_of(e.data, _synopsis(outline, e.data["number"]))
        for e in series(outline.id)
        if e.data["number"] < numbers[0]
    ][-SUMMARIES:]
    params = ScriptParams(
        episodes=numbers,
        episode_seconds=asked.get("episodeSeconds", DEFAULT_SECONDS),
        platform=asked.get("platform", ""),
        paywall_episode=asked.get("paywallEpisode", 0),
        previous=before,
    )
    inputs = {"outline": outline.id} | ({"bible": bible.id} if bible else {})
    return start_job(SCRIPTS, project_id, user_id, params, key, inputs=inputs)


def _synopsis(outline: Artifact, number: int) -> str:
    planned = [e for e in outline.data.get("episodes", []) if e["number"] == number]
    return planned[0].get("synopsis", "") if planned else ""


started_json = started_as("scriptId")


# ---- reading ----------------------------------------------------------------------------------


def _newest(origins: list[Artifact]) -> list[Artifact]:
    """Each line at its newest version, in the order given."""
    newest = latest_ids([a.id for a in origins])
    ids = [newest[a.id][0] for a in origins]
    found = {a.id: a for a in db.session.scalars(select(Artifact).where(Artifact.id.in_(ids)))}
    return [found[i] for i in ids]


def series(outline_id: int) -> list[Artifact]:
    """For each episode number, the newest episode written from this outline version, at its
    newest version; ordered by number."""
    made = db.session.scalars(
        select(Artifact)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .join(TransformInput, TransformInput.transform_id == TransformOutput.transform_id)
        .where(
            Artifact.type == EPISODE_TYPE,
            TransformOutput.role == RESULT_ROLE,
            TransformInput.role == "outline",
            TransformInput.artifact_id == outline_id,
        )
        .order_by(Artifact.id)
    ).all()
    by_number = {a.data["number"]: a for a in made}  # the newest wins
    return _newest([by_number[n] for n in sorted(by_number)])


def job_episodes(transform: Transform) -> list[Artifact]:
    """The episodes a script job wrote, each at its newest version, by number."""
    return sorted(_newest(made_by(transform.id)), key=lambda a: a.data["number"])


def _written_from(origins: set[int]) -> dict[int, tuple[int, datetime]]:
    """For each episode line's first version: the outline version it was written from, and
    when it was written."""
    rows = db.session.execute(
        select(Artifact.id, TransformInput.artifact_id, Artifact.created_at)
        .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
        .join(TransformInput, TransformInput.transform_id == TransformOutput.transform_id)
        .where(
            Artifact.id.in_(origins),
            TransformOutput.role == RESULT_ROLE,
            TransformInput.role == "outline",
        )
    )
    return {origin: (outline, at) for origin, outline, at in rows}


def stale_episodes(artifacts: list[Artifact]) -> set[int]:
    """Episodes written before an earlier episode of their series changed (an edit, or a new
    episode of that number): they were written after the older one. A rule of stale marks."""
    episodes = [a for a in artifacts if a.type == EPISODE_TYPE]
    if not episodes:
        return set()
    written = _written_from({a.origin for a in episodes})
    changed = {  # per outline version: when each episode number of its series last changed
        outline: {e.data["number"]: e.created_at for e in series(outline)}
        for outline in {outline for outline, _at in written.values()}
    }
    stale: set[int] = set()
    for episode in episodes:
        if episode.origin not in written:
            continue
        outline, made = written[episode.origin]
        number = episode.data["number"]
        if any(n < number and at > made for n, at in changed[outline].items()):
            stale.add(episode.id)
    return stale


def outline_of_episode(episode: Artifact) -> Artifact | None:
    """The outline version the episode's line was written from."""
    found = _written_from({episode.origin}).get(episode.origin)
    return db.session.get(Artifact, found[0]) if found else None


def episode_json(episode: Artifact, stale: bool) -> dict[str, Any]:
    data = episode.data
    return {
        "number": data["number"],
        "title": data.get("title", ""),
        "artifactId": episode.id,
        "version": episode.version,
        "stale": stale,
        "seconds": data.get("seconds", 0),
        "scenes": data.get("scenes", []),
    }


@dataclass
class ScriptView:
    transform: Transform
    outline: Artifact | None
    bible: Artifact | None
    episodes: list[Artifact]


def script_view(transform: Transform) -> ScriptView:
    if transform.kind != SCRIPTS.name:
        abort(404)
    return ScriptView(
        transform,
        read_by(transform.id, "outline"),
        read_by(transform.id, "bible"),
        job_episodes(transform),
    )


def script_json(view: ScriptView) -> dict[str, Any]:
    """`GET /api/scripts/<id>`."""
    transform, stale = view.transform, stale_ids(view.episodes)
    return {
        "id": transform.id,
        "status": transform.status,
        "outlineArtifactId": view.outline.id if view.outline else None,
        "bibleArtifactId": view.bible.id if view.bible else None,
        "episodes": [episode_json(e, e.id in stale) for e in view.episodes],
        "progress": transform.progress,
        "streamingData": streaming_json(transform),
    }
