"""A series' episodes as Markdown to read: `# 标题`, `## 第3集 重逢`, `### 3-1 日 内 客厅`,
`△林晚推门而入。`, `**林晚**：（冷笑）台词` (en: `**LIN WAN (V.O.)**: (quietly) Line`).

Model text is escaped so that it shows as written and never as Markdown of its own: no
emphasis, links, HTML or entities anywhere, no heading, quote or list at a line's start. Each
line break in a text is kept as a hard break."""

import re
from typing import Any

from app.scripts.screenplay import SPOKEN
from app.scripts.words import caption, cue, episode_heading, parenthetical, printable, scene_heading

_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")  # syntax wherever it stands
_HEADING = re.compile(r"([\\`*_\[\]<>&~|#])")  # … and a heading's closing #s
_LEADING = re.compile(r"[#>+=-]|[0-9]{1,9}(?=[.)])")  # block syntax at a line's start


def _line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.strip())
    if found := _LEADING.match(line):
        at = found.end() if found[0][0].isdigit() else 0  # `1\.`, but `\#`
        line = line[:at] + "\\" + line[at:]
    return line


def _text(text: str) -> str:
    """Model text as Markdown paragraphs, each line break a hard one."""
    paragraphs = re.split(r"\n\s*\n", printable(text).strip())
    lines = [[_line(line) for line in p.splitlines() if line.strip()] for p in paragraphs]
    return "\n\n".join("\\\n".join(p) for p in lines if p)


def _oneline(text: str, syntax: re.Pattern[str] = _INLINE) -> str:
    """Text for a heading or a name: escaped, on one line."""
    return syntax.sub(r"\\\1", " ".join(printable(text).split()))


def _heading(level: int, text: str) -> str:
    return "#" * level + " " + _oneline(text, _HEADING)


def _element(element: dict[str, Any], layout: str) -> str:
    kind, text = element["type"], element.get("text", "")
    zh = layout == "zh"
    if kind in SPOKEN:
        who, how = cue(element, layout), parenthetical(element.get("parenthetical", ""), layout)
        lead = f"**{_oneline(who)}**{'：' if zh else ': '}" if who else ""
        return lead + _text(how + text if zh else " ".join(part for part in (how, text) if part))
    if kind == "caption":
        return _text(caption(text, layout))
    return _text(("△" if zh and kind == "action" else "") + text)


def to_markdown(episodes: list[dict[str, Any]], *, layout: str, title: str) -> str:
    """The episodes as one Markdown document, in the layout's words."""
    blocks = [_heading(1, title)] if title.strip() else []
    for episode in episodes:
        blocks.append(_heading(2, episode_heading(episode, layout)))
        for scene in episode.get("scenes", []):
            blocks.append(_heading(3, scene_heading(episode["number"], scene, layout)))
            blocks += [_element(element, layout) for element in scene.get("elements", [])]
    return "\n\n".join(block for block in blocks if block) + "\n"
