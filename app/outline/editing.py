"""An outline as writers edit it: its Markdown export in one text field (read back exactly),
compared as that same Markdown."""

from typing import Any

from app.outline.components import Components
from app.outline.export import from_markdown, to_markdown
from app.versions.domain import Editable


def _from_form(form: Any, _old: dict[str, Any]) -> dict[str, Any]:
    return from_markdown(form.get("markdown", ""))  # ValueError: not an outline's Markdown


OUTLINE_EDITING = Editable(
    model=Components,
    text=to_markdown,
    fields_template="outline/_fields.html",
    to_form=lambda data: {"markdown": to_markdown(data)},
    from_form=_from_form,
)
