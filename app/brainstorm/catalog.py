"""The curated platforms and genre tree the brainstorm form offers (shipped as data)."""

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@cache
def platforms() -> list[dict[str, str]]:
    """Every platform, in display order."""
    return json.loads((DATA / "platforms.json").read_text(encoding="utf-8"))


@cache
def genre_tree() -> list[dict[str, Any]]:
    """The genre tree: nodes with label, label_en and children."""
    return json.loads((DATA / "genres.json").read_text(encoding="utf-8"))


@cache
def genre_paths() -> tuple[tuple[str, ...], ...]:
    """Every root-to-leaf path of labels."""
    paths: list[tuple[str, ...]] = []

    def walk(nodes: list[dict[str, Any]], prefix: tuple[str, ...]) -> None:
        for node in nodes:
            path = (*prefix, node["label"])
            if node.get("children"):
                walk(node["children"], path)
            else:
                paths.append(path)

    walk(genre_tree(), ())
    return tuple(paths)


def platform_label(value: str) -> str | None:
    """The platform's label for an id or either label, or None if unknown."""
    for platform in platforms():
        if value in (platform["id"], platform["label"], platform["label_en"]):
            return platform["label"]
    return None
