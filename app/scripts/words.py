"""The words every export of a script shares: a scene heading, a cue, a parenthetical, a
caption, an episode's heading, as each layout prints them.

The "zh" layout follows Chinese scripts (`3-1 日 内 客厅【闪回】`, `林晚（画外音）`, `（冷笑）`,
`【字幕】三年后`); the "en" one Hollywood's (`INT. LIVING ROOM - DAY (FLASHBACK)`,
`LIN WAN (V.O.)`, `(quietly)`, `SUPER: Three years later`). These words belong to the
script's layout, not to the reader's interface language, so they are not gettext messages."""

import re
from typing import Any

LAYOUTS = ("zh", "en")
_INTERIORS = {
    "zh": {"int": "内", "ext": "外", "int/ext": "内外"},
    "en": {"int": "INT.", "ext": "EXT.", "int/ext": "INT./EXT."},
}
_EXTENSIONS = {
    "zh": {"voiceover": "画外音", "monologue": "内心OS"},
    "en": {"voiceover": "V.O.", "monologue": "INNER"},
}
# What XML 1.0 cannot hold: C0 controls but tab and line ends, lone surrogates, U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold (model text may carry any)."""
    return _NOT_XML.sub("", text)


def episode_heading(episode: dict[str, Any], layout: str) -> str:
    """`第3集 重逢` / `Episode 3: Reunion`."""
    number, title = episode.get("number", 0), episode.get("title", "")
    if layout == "zh":
        return f"第{number}集 {title}" if title else f"第{number}集"
    return f"Episode {number}: {title}" if title else f"Episode {number}"


def scene_heading(episode_number: int, scene: dict[str, Any], layout: str) -> str:
    """`3-1 日 内 客厅` / `INT. LIVING ROOM - DAY`, marked when the scene is a flashback."""
    heading = scene.get("heading", {})
    interior = _INTERIORS[layout].get(heading.get("interior", "int"), "")
    place, time = heading.get("place", ""), heading.get("time", "")
    if layout == "zh":
        number = f"{episode_number}-{heading.get('number', 1)}"
        text = " ".join(part for part in (number, time, interior, place) if part)
        return text + "【闪回】" if scene.get("flashback") else text
    text = " ".join(part for part in (interior, place.upper()) if part)
    text += f" - {time.upper()}" if time else ""
    return text + " (FLASHBACK)" if scene.get("flashback") else text


def cue(element: dict[str, Any], layout: str) -> str:
    """Who speaks, with how: `林晚（内心OS）` / `LIN WAN (V.O.)`; empty for nobody."""
    name = element.get("character", "")
    extension = _EXTENSIONS[layout].get(element["type"])
    if layout == "zh":
        return f"{name}（{extension}）" if extension else name
    return f"{name.upper()} ({extension})".lstrip() if extension else name.upper()


def parenthetical(text: str, layout: str) -> str:
    """`（冷笑）` / `(quietly)`, whether or not the model wrote the brackets; empty for none."""
    text = text.strip("()（） ")
    if not text:
        return ""
    return f"（{text}）" if layout == "zh" else f"({text})"


def caption(text: str, layout: str) -> str:
    """`【字幕】三年后` / `SUPER: Three years later`."""
    return f"【字幕】{text}" if layout == "zh" else f"SUPER: {text}"
