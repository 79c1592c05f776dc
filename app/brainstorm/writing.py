"""The idea the model is writing, read from the end of its answer as it streams."""

from typing import Any

from app.brainstorm.ideas import BODY_MAX, TITLE_MAX
from app.llm.reading import open_objects


def idea_being_written(tail: str, whole: bool) -> dict[str, str] | None:
    """The title and body so far of the idea the model has not finished (the innermost open
    element of a list), once its title has begun; else None."""
    for found in reversed(open_objects(tail, whole)):
        if found.in_list:
            return _idea(found.members)
    return None


def _idea(members: dict[str, Any]) -> dict[str, str] | None:
    title, body = members.get("title"), members.get("body")
    if not isinstance(title, str) or not title.strip():
        return None
    body = body.strip()[:BODY_MAX] if isinstance(body, str) else ""
    return {"title": title.strip()[:TITLE_MAX], "body": body}
