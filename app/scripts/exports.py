"""Exports of episode scripts: Fountain, Final Draft, Word, Markdown and print-ready HTML, in
the Chinese or the Hollywood layout, each rendered from the stored structure."""

from typing import Any

from flask import Response, render_template
from flask_babel import gettext as _

from app.errors import Refused
from app.language import mostly_cjk
from app.scripts.docx import to_docx
from app.scripts.fdx import to_fdx
from app.scripts.fountain import to_fountain
from app.scripts.markdown_export import to_markdown
from app.scripts.words import LAYOUTS

FORMATS: dict[str, tuple[str, str]] = {
    "fountain": ("text/plain; charset=utf-8", "fountain"),
    "fdx": ("application/xml; charset=utf-8", "fdx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
}


def layout_of(episodes: list[dict[str, Any]]) -> str:
    """The layout the scripts' own language calls for."""
    text = "".join(
        element.get("text", "")
        for episode in episodes[:3]
        for scene in episode.get("scenes", [])[:3]
        for element in scene.get("elements", [])
    )
    return "zh" if mostly_cjk(text) else "en"


def render(episodes: list[dict[str, Any]], format_: str, layout: str, title: str) -> str | bytes:
    """The episodes in one format (the print page needs a request context)."""
    if format_ == "fountain":
        return to_fountain(episodes, layout=layout, title=title)
    if format_ == "fdx":
        return to_fdx(episodes, layout=layout, title=title)
    if format_ == "docx":
        return to_docx(episodes, layout=layout, title=title)
    if format_ == "md":
        return to_markdown(episodes, layout=layout, title=title)
    return render_template("scripts/print.html", episodes=episodes, layout=layout, title=title)


def export_response(
    episodes: list[dict[str, Any]],
    format_: str | None,
    layout: str | None,
    title: str,
    name: str,
) -> Response:
    """A download of the episodes (the print page is shown, not downloaded)."""
    if format_ not in FORMATS:
        raise Refused(422, _("Choose fountain, fdx, docx, md or html."), field="format")
    if layout is not None and layout not in LAYOUTS:
        raise Refused(422, _("Choose the zh or the en layout."), field="layout")
    if not episodes:
        raise Refused(409, _("No episode is written yet."))
    body = render(episodes, format_, layout or layout_of(episodes), title)
    mimetype, extension = FORMATS[format_]
    response = Response(body, content_type=mimetype)
    if format_ != "html":
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response
