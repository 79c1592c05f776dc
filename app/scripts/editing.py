"""An episode as writers edit it: one text area in the layout Chinese writers type
(`1-1 日 内 客厅` / `△动作` / `角色：（情绪）台词`), read back into the structure; a line that
cannot be read is named with its number."""

from typing import Any

from app.scripts.layout import from_text, to_text
from app.scripts.screenplay import Script, with_seconds
from app.versions.domain import Editable


class EpisodeData(Script):
    """An episode as an edit sends it (its screen time is derived, never sent)."""


def _from_form(form: Any, old: dict[str, Any]) -> dict[str, Any]:
    return from_text(form.get("script", ""), old["number"])  # LayoutError names the line


def _stored(data: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    return with_seconds({**data, "number": old["number"]})  # an edit keeps its episode


EPISODE_EDITING = Editable(
    model=EpisodeData,
    text=to_text,
    fields_template="scripts/_fields.html",
    to_form=lambda data: {"script": to_text(data)},
    from_form=_from_form,
    stored=_stored,
)
