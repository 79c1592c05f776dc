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


def _platform(value: str) -> dict[str, str] | None:
    for platform in platforms():
        if value in (platform["id"], platform["label"], platform["label_en"]):
            return platform
    return None


def platform_label(value: str) -> str | None:
    """The platform's label for an id or either label, or None if unknown."""
    platform = _platform(value)
    return platform["label"] if platform else None


def platform_id(value: str) -> str | None:
    """The platform's id (the form's value) for an id or either label, or None if unknown."""
    platform = _platform(value)
    return platform["id"] if platform else None


@cache
def genre_groups() -> tuple[dict[str, Any], ...]:
    """The genre tree as the form shows it, in three levels: groups (女频 …), their subgroups
    (爱情 …) and the genres under each, with labels in both languages. A genre carries its
    index among `genre_paths()` (the form names its share `genre-<index>`) and the words a
    filter finds it by; a group carries the indexes of its genres."""
    index = {path: n for n, path in enumerate(genre_paths())}

    def genres(node: dict[str, Any], prefix: tuple[str, ...]) -> list[dict[str, Any]]:
        path = (*prefix, node["label"])
        if node.get("children"):
            return [genre for child in node["children"] for genre in genres(child, path)]
        english = english_path(list(path))
        below = slice(min(2, len(path) - 1), None)  # a deeper genre names its own subgroups
        return [
            {
                "index": index[path],
                "label": " › ".join(path[below]),
                "label_en": " › ".join(english[below]),
                "path": path,
                "terms": " ".join((*path, *english)).casefold(),
            }
        ]

    def labels(node: dict[str, Any]) -> dict[str, str]:
        return {"label": node["label"], "label_en": node.get("label_en") or node["label"]}

    groups = []
    for top in genre_tree():
        # A group that is itself a genre is its own only subgroup.
        prefix = (top["label"],) if top.get("children") else ()
        subs = [
            {**labels(sub), "genres": genres(sub, prefix)} for sub in top.get("children") or [top]
        ]
        indexes = [genre["index"] for sub in subs for genre in sub["genres"]]
        groups.append({**labels(top), "subs": subs, "indexes": indexes})
    return tuple(groups)
