"""Script pages: the script page of an outline version (its bible, its series with stale marks,
the form that writes episodes, the consistency check, exports and screen time), an episode's
page, and the exports."""

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.artifacts.models import Artifact
from app.bible.bibles import newest_bible, start_bible
from app.consistency.checks import latest_check, report_of, start_check
from app.errors import Refused
from app.extensions import db
from app.inputs import id_from, key_from
from app.jobs.access import job_for
from app.jobs.answers import button_start
from app.jobs.starting import Started, limit_starts
from app.outline.outlines import outline_for
from app.scripts import exports, stats, words
from app.scripts.fountain import from_fountain
from app.scripts.kind import EPISODE_TYPE
from app.scripts.layout import LayoutError
from app.scripts.screenplay import with_seconds
from app.scripts.series import (
    episodes_from,
    outline_of_episode,
    script_view,
    series,
    start_scripts,
)
from app.versions.domain import Stale, artifact_for, latest_of, revise
from app.versions.staleness import is_stale, stale_ids

bp = Blueprint("scripts", __name__)
FIRST_BATCH = 10  # what the form offers to write first
MAX_IMPORT = 500_000  # characters of a Fountain file


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
bp.app_template_global("words")(words)  # type: ignore[arg-type] - a module: the layout's words


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
    marks = stale_ids([outline, *episodes, *([bible] if bible else [])])
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


def _start_from_page(
    outline_artifact_id: int, start: Callable[[Artifact, str | None], Started], busy: str
) -> Response:
    """A button of the script page: the job's page, or back to the page with the reason."""
    outline = _outline(outline_artifact_id, write=True)
    key = key_from(request.form.get("idempotency_key"))
    back = url_for("scripts.series_page", outline_artifact_id=outline.id)
    return button_start(lambda: start(outline, key), busy, back)


@bp.post("/artifacts/<id:outline_artifact_id>/bible")
@login_required
@limit_starts
def start_bible_page(outline_artifact_id: int) -> Response:
    """Write a character bible from this outline version."""
    return _start_from_page(
        outline_artifact_id,
        lambda outline, key: start_bible(outline.project_id, current_user.id, outline.id, key),
        _("A character bible is already being written for this project: here it is."),
    )


@bp.post("/artifacts/<id:outline_artifact_id>/scripts")
@login_required
@limit_starts
def create(outline_artifact_id: int) -> Response:
    """Write the chosen episodes of this outline version."""
    bible_id = id_from(request.form.get("bibleArtifactId"))
    spec = request.form.get("episodes", "").strip() or "all"
    return _start_from_page(
        outline_artifact_id,
        lambda outline, key: start_scripts(
            outline.project_id, current_user.id, outline.id, spec, bible_id, key
        ),
        _("Episode scripts are already being written for this project: here they are."),
    )


@bp.post("/artifacts/<id:outline_artifact_id>/consistency")
@login_required
@limit_starts
def start_check_page(outline_artifact_id: int) -> Response:
    """Check the series of this outline version."""
    return _start_from_page(
        outline_artifact_id,
        lambda outline, key: start_check(outline.project_id, current_user.id, outline.id, key),
        _("A consistency check is already running for this project: here it is."),
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


def _episode(episode_id: int, write: bool = False) -> Artifact:
    artifact = artifact_for(current_user.id, episode_id, write=write)
    if artifact.type != EPISODE_TYPE:
        abort(404)
    return artifact


def _episode_page(artifact: Artifact, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return render_template(
        "scripts/episode.html",
        episode=artifact,
        newest=latest_of(artifact),
        outline=outline_of_episode(artifact),
        stale=is_stale(artifact),
        layout=exports.layout_of([artifact.data]),
        formats=exports.FORMATS,
        errors=errors,
    ), status


@bp.get("/episodes/<id:episode_id>")
@login_required
def episode(episode_id: int) -> tuple[str, int]:
    """One episode's script at this version, with its stale mark and its actions."""
    return _episode_page(_episode(episode_id), {})


@bp.post("/episodes/<id:episode_id>/import")
@login_required
def import_fountain(episode_id: int) -> Response | tuple[str, int]:
    """A new version of the episode from a Fountain file (uploaded or pasted): the episode of
    this number in it, or its only one."""
    artifact = _episode(episode_id, write=True)
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT + 1) if upload is not None else b""
    try:
        text = raw.decode("utf-8-sig") if raw else request.form.get("fountain", "")
    except UnicodeDecodeError:
        return _episode_page(artifact, {"fountain": _("The file is not UTF-8 text.")}, 422)
    if len(text) > MAX_IMPORT:
        return _episode_page(artifact, {"fountain": _("The file is too long.")}, 413)
    number = artifact.data["number"]
    try:
        found = from_fountain(text)
    except LayoutError as unreadable:
        return _episode_page(artifact, {"fountain": str(unreadable)}, 422)
    chosen = [e for e in found if e["number"] == number] or (found if len(found) == 1 else [])
    if not chosen:
        message = (
            _("The file holds no episode %(n)d.", n=number)
            if found
            else _("The file holds no scene.")
        )
        return _episode_page(artifact, {"fountain": message}, 422)
    data = with_seconds({**chosen[0], "number": number})
    try:
        version, _made = revise(
            artifact, data, current_user.id, description=_("Imported from Fountain")
        )
    except Stale as stale:
        db.session.rollback()
        message = _(
            "Someone saved version %(n)d meanwhile: import into the latest.", n=stale.latest.version
        )
        return _episode_page(artifact, {"fountain": message}, 409)
    db.session.commit()
    flash(_("Saved as version %(n)d.", n=version.version))
    return redirect(url_for("scripts.episode", episode_id=version.id), 303)
