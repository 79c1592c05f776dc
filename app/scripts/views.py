"""Script pages: the script page of an outline version (its bible, its series with stale marks,
the form that writes episodes, the consistency check, exports and screen time), an episode's
page, and the exports."""

import uuid
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.artifacts.models import Artifact
from app.bible.bibles import newest_bible, outline_for
from app.consistency.checks import latest_check, report_of
from app.errors import Refused
from app.inputs import id_from, key_from
from app.jobs.access import job_for
from app.jobs.answers import button_start
from app.jobs.starting import limit_starts
from app.scripts import exports, stats
from app.scripts.kind import EPISODE_TYPE
from app.scripts.series import (
    episodes_from,
    outline_of_episode,
    script_view,
    series,
    start_scripts,
)
from app.versions.domain import artifact_for, latest_of
from app.versions.staleness import stale_ids

bp = Blueprint("scripts", __name__)
FIRST_BATCH = 10  # what the form offers to write first


@bp.app_template_filter()
def episode_ranges(numbers: list[int]) -> str:
    """Episode numbers as a writer reads them: "1–10, 12"."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


@bp.app_template_global()
def format_label(format_: str) -> str:
    names = {"fountain": "Fountain", "fdx": "Final Draft", "docx": "Word", "md": "Markdown"}
    return names.get(format_) or _("Print / PDF")


@bp.app_template_global()
def episode_title(episode: dict[str, Any]) -> str:
    if episode.get("title"):
        return _("Episode %(n)d: %(title)s", n=episode["number"], title=episode["title"])
    return _("Episode %(n)d", n=episode["number"])


bp.app_template_global("layout_of")(exports.layout_of)


def export_series(
    episodes: list[Artifact], format_: str | None, layout: str | None, spec: str, name: str
) -> Response:
    """Some of these episodes (`spec`: "all", "1-3" …) as a download or the print page."""
    numbers = set(episodes_from(spec, max((e.data["number"] for e in episodes), default=1)))
    chosen = [e.data for e in episodes if e.data["number"] in numbers]
    title = _title(episodes[0]) if episodes else ""
    return exports.export_response(chosen, format_, layout, title, name)


def _title(episode: Artifact) -> str:
    outline = outline_of_episode(episode)
    return outline.data.get("title", "") if outline is not None else ""


def _outline(artifact_id: int, write: bool = False) -> Artifact:
    outline = artifact_for(current_user.id, artifact_id, write=write)
    try:
        return outline_for(outline.project_id, outline.id)
    except Refused as refusal:
        abort(404 if refusal.code == 422 else refusal.code)


def _next_batch(outline: Artifact, written: list[Artifact]) -> str:
    count = len(outline.data["episodes"])
    done = {e.data["number"] for e in written}
    first = next((n for n in range(1, count + 1) if n not in done), None)
    if first is None:
        return "all"
    return f"{first}-{min(count, first + FIRST_BATCH - 1)}"


@bp.get("/artifacts/<id:outline_artifact_id>/script")
@login_required
def series_page(outline_artifact_id: int) -> str:
    """Everything between an outline version and its exported scripts, on one page."""
    outline = _outline(outline_artifact_id)
    episodes = series(outline.id)
    bible = newest_bible(outline.id)
    marks = stale_ids([*episodes, *([bible] if bible else [])])
    check = latest_check(outline.id)
    data = [e.data for e in episodes]
    screen_time = stats.table(data)
    return render_template(
        "scripts/series.html",
        outline=outline,
        newest=latest_of(outline),
        bible=bible,
        episodes=episodes,
        stale=marks,
        check=check,
        report=report_of(check) if check is not None else None,
        stats=screen_time,
        chart=stats.chart_svg(screen_time, labels=stats.chart_labels()) if data else "",
        formats=exports.FORMATS,
        suggested=_next_batch(outline, episodes),
        key=uuid.uuid4().hex,
    )


@bp.post("/artifacts/<id:outline_artifact_id>/scripts")
@login_required
@limit_starts
def create(outline_artifact_id: int) -> Response:
    """Write the chosen episodes of this outline version."""
    outline = _outline(outline_artifact_id, write=True)
    key = key_from(request.form.get("idempotency_key"))
    bible_id = id_from(request.form.get("bibleArtifactId"))
    spec = request.form.get("episodes", "").strip() or "all"
    return button_start(
        lambda: start_scripts(outline.project_id, current_user.id, outline.id, spec, bible_id, key),
        _("Episode scripts are already being written for this project: here they are."),
        url_for("scripts.series_page", outline_artifact_id=outline.id),
    )


@bp.get("/artifacts/<id:outline_artifact_id>/series/export")
@login_required
def series_export(outline_artifact_id: int) -> Response:
    """The series of this outline version as a download or the print page."""
    outline = _outline(outline_artifact_id)
    return export_series(
        series(outline.id),
        request.args.get("format", "fountain"),
        request.args.get("layout") or None,
        request.args.get("episodes", "all"),
        f"series-{outline.id}",
    )


@bp.get("/scripts/<id:script_id>/export")
@login_required
def script_export(script_id: int) -> Response:
    """A script job's episodes as a download or the print page."""
    view = script_view(job_for(current_user.id, script_id))
    return export_series(
        view.episodes,
        request.args.get("format", "fountain"),
        request.args.get("layout") or None,
        request.args.get("episodes", "all"),
        f"script-{script_id}",
    )


@bp.get("/episodes/<id:episode_id>")
@login_required
def episode(episode_id: int) -> str:
    """One episode's script at this version, with its stale mark and its actions."""
    artifact = artifact_for(current_user.id, episode_id)
    if artifact.type != EPISODE_TYPE:
        abort(404)
    outline = outline_of_episode(artifact)
    return render_template(
        "scripts/episode.html",
        episode=artifact,
        newest=latest_of(artifact),
        outline=outline,
        stale=artifact.id in stale_ids([artifact]),
        layout=exports.layout_of([artifact.data]),
        formats=exports.FORMATS,
    )
