"""Who speaks how much in a series: each character's lines and characters of dialogue (their
dialogue, voice-over and inner monologue) per episode and in all, and an SVG bar chart of it
drawn on the server (no JavaScript), as wide as the screen it is on."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from lxml import etree

from app.scripts.screenplay import SPOKEN
from app.scripts.words import printable

SVG = "http://www.w3.org/2000/svg"
WIDTH, ROW, PAD = 320, 34, 4  # a phone's width in CSS pixels; a name above its bar per row
NAME_SHOWN = 16  # characters of a long name on its bar (the whole name is in its tooltip)


@dataclass
class Speaker:
    """One character's spoken lines and their length, episode by episode."""

    name: str
    lines: dict[int, int] = field(default_factory=dict)  # episode number: lines spoken
    chars: dict[int, int] = field(default_factory=dict)  # episode number: characters spoken

    @property
    def total_lines(self) -> int:
        return sum(self.lines.values())

    @property
    def total_chars(self) -> int:
        return sum(self.chars.values())


@dataclass
class Stats:
    """The series' speakers, most spoken first."""

    episodes: list[int]  # the episodes' numbers, in order
    speakers: list[Speaker]


def spoken_length(text: str) -> int:
    """Characters of a line as a reader counts them (字数): all but spaces and the invisible."""
    return sum(1 for ch in text if ch.isprintable() and not ch.isspace())


def table(episodes: list[dict[str, Any]]) -> Stats:
    """Each named speaker's lines and characters per episode; ties keep the order in which the
    speakers first speak."""
    speakers: dict[str, Speaker] = {}
    for episode in episodes:
        number = episode["number"]
        for scene in episode.get("scenes", []):
            for element in scene.get("elements", []):
                name = element.get("character", "")
                if element["type"] not in SPOKEN or not name:
                    continue
                speaker = speakers.setdefault(name, Speaker(name))
                speaker.lines[number] = speaker.lines.get(number, 0) + 1
                chars = spoken_length(element.get("text", ""))
                speaker.chars[number] = speaker.chars.get(number, 0) + chars
    ranked = sorted(speakers.values(), key=lambda s: (-s.total_chars, -s.total_lines))
    return Stats(episodes=[episode["number"] for episode in episodes], speakers=ranked)


def chart_labels() -> dict[str, str]:
    """The chart's words in the reader's language (`bar` is formatted with name, chars, lines)."""
    return {
        "title": _("Dialogue by character"),
        "bar": _("%(name)s: %(chars)d characters in %(lines)d lines"),
    }


def _described(speaker: Speaker, bar: str) -> str:
    numbers = {"name": speaker.name, "chars": speaker.total_chars, "lines": speaker.total_lines}
    return printable(bar % numbers)


def _set(element: Any, **attributes: Any) -> Any:
    for key, value in attributes.items():  # font_size="13" is font-size, class_ is class
        element.set(key.rstrip("_").replace("_", "-"), str(value))
    return element


def _add(parent: Any, tag: str, text: str | None = None, **attributes: Any) -> Any:
    element = _set(etree.SubElement(parent, f"{{{SVG}}}{tag}"), **attributes)
    element.text = text
    return element


def chart_svg(stats: Stats, *, labels: Mapping[str, str]) -> str:
    """Horizontal bars of each speaker's characters of dialogue, longest first; the aria-label
    and each bar's tooltip carry the numbers for those who do not see the bars."""
    title = printable(labels["title"])
    bars = [(speaker, _described(speaker, labels["bar"])) for speaker in stats.speakers]
    height = 2 * PAD + ROW * len(bars)
    svg = _set(
        etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG}),
        viewBox=f"0 0 {WIDTH} {height}",
        width="100%",
        role="img",
        aria_label="; ".join([title] + [text for _speaker, text in bars]),
        class_="speakers-chart",
    )
    _add(svg, "title", title)
    most = max((s.total_chars for s in stats.speakers), default=0) or 1
    for row, (speaker, text) in enumerate(bars):
        y = PAD + row * ROW
        group = _add(svg, "g")
        _add(group, "title", text)
        name = printable(speaker.name)
        shown = name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"
        font = {"font_size": 13, "fill": "currentColor"}
        _add(group, "text", shown, x=0, y=y + 13, **font)
        _add(group, "text", str(speaker.total_chars), x=WIDTH, y=y + 13, text_anchor="end", **font)
        width = max(1.0, round(WIDTH * speaker.total_chars / most, 1))
        _add(group, "rect", x=0, y=y + 18, width=width, height=12, rx=2, fill="#0b62a4")
    return etree.tostring(svg, encoding="unicode")
