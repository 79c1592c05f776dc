"""What research reads besides its prompt: the artifact a writer attaches as context (an idea
version, an outline, an earlier research result), as text for the model."""

from typing import Any

CONTEXT_MAX = 8000  # characters of context given to the model


def context_text(artifacts: list[dict[str, Any]]) -> str:
    """The context artifacts as the model reads them, cut to a size it can take."""
    parts = [_text(data) for data in artifacts]
    return "\n\n".join(p for p in parts if p)[:CONTEXT_MAX]


def _text(data: dict[str, Any]) -> str:
    if isinstance(data.get("markdown"), str):  # a research result
        return data["markdown"]
    if "episodes" in data or "characters" in data:  # an outline
        from app.outline.export import to_markdown  # the outline package reads research too

        return to_markdown(data)
    title, body = data.get("title") or "", data.get("body") or ""  # an idea
    return f"{title}\n{body}".strip()
