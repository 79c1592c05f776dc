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


@cache
def _english() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each label path with its English labels."""
    paths: dict[tuple[str, ...], tuple[str, ...]] = {}

    def walk(nodes: list[dict[str, Any]], zh: tuple[str, ...], en: tuple[str, ...]) -> None:
        for node in nodes:
            key, value = (*zh, node["label"]), (*en, node.get("label_en") or node["label"])
            paths[key] = value
            walk(node.get("children") or [], key, value)

    walk(genre_tree(), (), ())
    return paths


def english_path(path: list[str]) -> list[str]:
    """A genre path in English (for platforms whose audience reads English)."""
    return list(_english().get(tuple(path), path))


def writes_english(platform: str) -> bool:
    """Whether a platform's ideas should be written in English."""
    return all(ord(char) < 0x2E80 for char in platform)


def platform_label(value: str) -> str | None:
    """The platform's label for an id or either label, or None if unknown."""
    for platform in platforms():
        if value in (platform["id"], platform["label"], platform["label_en"]):
            return platform["label"]
    return None
