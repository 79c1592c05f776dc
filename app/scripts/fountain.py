"""Episodes as Fountain (https://fountain.io), and back, in the words every export shares
(`fdx.scene_heading`, `fdx.cue`, `fdx.caption`):

    Title: 霸总的契约新娘

    # 第3集 重逢                      # Episode 3: Reunion

    .3-1 日 内 顾氏集团大堂            INT. LOBBY - DAY #3-1#

    林晚抱着文件冲进电梯。              Lin Wan runs into the lift.

    @顾沉                             GU CHEN
    (冷淡)                            (coldly)
    出去。                             Get out.

    @林晚（内心OS）                    LIN WAN (INNER)
    完了。                             Oh no.

    > 【字幕】三年后 <                  > SUPER: Three years later <
    > 切至：                           > CUT TO:

The zh layout forces headings with `.` and cues with `@` (Chinese has no capitals); the en one
writes Hollywood's capitals and the scene number (`#3-1#`), forcing a cue with `@` only when it
would not read as one. A voice-over is `（画外音）` / `(V.O.)`, an inner monologue `（内心OS）` /
`(INNER)`. What Fountain would misread is escaped: an action paragraph that could read as
anything else is forced with `!` (a later line of it starting with `!` gets a second one), a
line of dialogue opening with a bracket gets a backslash, so do `*`, `_`, the second `[` of
`[[` and a backslash before any of these (which also defuses `/*`), and an empty line inside a
text is two spaces.

`from_fountain` reads liberally: `#` sections start episodes (`# 第3集 标题`, `# Episode 3: Title`,
or the next number); `##` and deeper, synopses, notes, the boneyard, page breaks, the title page
and a transition before the first scene (`FADE IN:`) are dropped; a heading may sit right above
its first element; `(CONT'D)` and `^` are dropped from cues; a parenthetical between lines of
dialogue starts a new element.

What does not come back as it was: the en layout's capitals (places, times, names); spaces at
either end of a line of a text; a dialogue line without a character (written as action); line
breaks in one-line fields (titles, headings, names, parentheticals, transitions); a transition
ending in `<`; an en heading whose time (or place, when it has no time) holds a dash before a
space, or whose place or time ends in `(FLASHBACK)`; a name ending in `^`, `(CONT'D)` or a
voice, or (en) starting with U+001C…U+001F, which `fdx.cue` strips; and what `layout` cannot
carry in a zh heading."""

import re
from typing import Any

from flask_babel import gettext as _

from app.inputs import clean_text, natural
from app.scripts.layout import (
    WS,
    LayoutError,
    add,
    checked,
    interior,
    read_episode_line,
    read_heading,
    split_cue,
    trim,
)
from app.scripts.screenplay import SPOKEN
from app.scripts.words import LAYOUTS, caption, cue, episode_heading, scene_heading

_ESCAPE = re.compile(r"\\(?=[\\*_\[(（])|[*_]|(?<=\[)\[")
_UNESCAPE = re.compile(r"\\([\\*_\[(（])")
_LINES = re.compile("\r\n|\r|\n")
_HIDDEN = re.compile(r"/\*.*?\*/|\[\[.*?\]\]", re.S)  # the boneyard and notes
_TITLE_KEY = re.compile(r"[A-Za-z][A-Za-z ]*:")
_SECTION = re.compile(r"(#+)(.*)", re.S)
_SLUG = re.compile(rf"(INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E)(?:\.|(?=[{WS}])|$)", re.I | re.A)
_SCENE_NUMBER = re.compile(rf"[{WS}]*#([\w.-]+)#$")
_FLASHBACK = re.compile(rf"[{WS}]*\([{WS}]*FLASHBACK[{WS}]*\)$", re.I | re.A)
_PLACE_TIME = re.compile(rf"(?:(.*)[{WS}])?[-–—][{WS}]+(.*)", re.S)
_CENTERED = re.compile(rf">(.*)<[{WS}]*", re.S)
_CAPTION = re.compile(rf"(?:【字幕】|SUPER:)[{WS}]*")
_EXTRAS = re.compile(
    rf"[{WS}]*(?:\^|[（(][{WS}]*(?:CONT'D|CONT’D|CONT\.|续)[{WS}]*[）)])$", re.I | re.A
)
_CUT = re.compile(r"TO:$|^FADE (IN:|OUT\.|TO BLACK\.)$")  # a transition in capitals
_BLANK = ("", " ")  # two spaces make a line of an element, not a blank one


def _escaped(text: str) -> str:
    return _ESCAPE.sub(lambda found: "\\" + found[0], text)


def _plain(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def _one_line(text: str) -> str:
    return _escaped(" ".join(trim(line) for line in text.split("\n")))


def _lines(text: str) -> list[str]:
    """A text's lines as Fountain keeps them: trimmed and escaped, an empty one two spaces."""
    return [_escaped(trim(line)) or "  " for line in text.split("\n")]


def _title_page(title: str) -> list[str]:
    lines = [_escaped(trim(line)) for line in title.split("\n") if trim(line)]
    if not lines:
        return [""]  # no title page; nor may the body's first line read as one
    if len(lines) == 1:
        return [f"Title: {lines[0]}", ""]
    return ["Title:", *(f"    {line}" for line in lines), ""]


def _slug(number: int, scene: dict[str, Any], layout: str) -> str:
    if layout == "zh":
        return "." + _one_line(scene_heading(number, scene, layout))
    return (
        f"{_one_line(scene_heading(number, scene, layout))} #{number}-{scene['heading']['number']}#"
    )


def _action(text: str) -> list[str]:
    first, *rest = _lines(text)
    forced = not first[:1].isalnum() or _SLUG.match(first) or first.split("(", 1)[0].isupper()
    return ["!" * bool(forced) + first, *("!" * (line[:1] == "!") + line for line in rest)]


def _spoken(element: dict[str, Any], layout: str) -> list[str]:
    who = _one_line(cue(element, layout))
    if layout == "zh" or not (
        who[:1].isalnum() and who.split("(", 1)[0].isupper() and not _SLUG.match(who)
    ):
        who = "@" + who
    how = element.get("parenthetical", "")
    lines = ["\\" * (line[:1] in ("(", "（")) + line for line in _lines(element["text"])]
    return [who, *([f"({_one_line(how)})"] if how else []), *lines]


def _element(element: dict[str, Any], layout: str) -> list[str]:
    kind, text = element["type"], element["text"]
    if kind in SPOKEN and (element.get("character") or kind != "dialogue"):
        return _spoken(element, layout)
    if kind == "caption":
        return [f"> {_escaped(trim(line))} <" for line in caption(text, layout).split("\n")]
    if kind == "transition":
        return [f"> {_one_line(text)}"]
    return _action(text)


def to_fountain(episodes: list[dict[str, Any]], *, layout: str, title: str) -> str:
    """The episodes as one Fountain document in the zh or the en layout."""
    if layout not in LAYOUTS:
        raise ValueError(f"no layout {layout!r}")
    lines = _title_page(title)
    for episode in episodes:
        lines += ["# " + _one_line(episode_heading(episode, layout)), ""]
        for scene in episode.get("scenes", []):
            lines += [_slug(episode["number"], scene, layout), ""]
            for element in scene.get("elements", []):
                lines += [*_element(element, layout), ""]
    return "\n".join(lines)


def _hollywood(text: str) -> tuple[dict[str, Any], bool, int | None]:
    """(heading, flashback, scene number) of `INT. LIVING ROOM - DAY (FLASHBACK) #3-1#`."""
    number = None
    if found := _SCENE_NUMBER.search(text):
        text, number = text[: found.start()], natural(found[1].rsplit("-", 1)[-1])
    flashback = _FLASHBACK.search(text)
    text = text[: flashback.start()] if flashback else text
    prefix = _SLUG.match(text)
    rest = trim(text[prefix.end() :] if prefix else text)
    split = _PLACE_TIME.fullmatch(rest)
    place, time = (split[1] or "", split[2]) if split else (rest, "")
    kind = interior(prefix[1]) if prefix else None
    heading = {"interior": kind or "int", "place": place, "time": time}
    return heading, bool(flashback), number


class _Reader:
    """Episodes read paragraph by paragraph, with the line each part was read from."""

    def __init__(self) -> None:
        self.episodes: list[tuple[dict[str, Any], dict[tuple[Any, ...], int]]] = []

    def read(self, paragraph: list[str], line: int) -> None:
        while paragraph and (
            self._section(paragraph[0], line) or self._heading(paragraph[0], line)
        ):
            paragraph, line = paragraph[1:], line + 1
        first = trim(paragraph[0]) if paragraph else ""
        if not any(trim(text) for text in paragraph) or first[:1] == "=" and len(paragraph) == 1:
            return  # nothing, a page break or a synopsis
        if first[:1] == "!":
            self._action(paragraph, line)
        elif all(_CENTERED.fullmatch(trim(text)) for text in paragraph):
            self._caption(paragraph, line)
        elif (
            len(paragraph) > 1
            and not paragraph[0].endswith("  ")
            and (len(first) > 1 and first[0] == "@" or first.split("(", 1)[0].isupper())
        ):
            self._dialogue(paragraph, line)
        elif len(paragraph) == 1 and (first[:1] == ">" or first.isupper() and _CUT.search(first)):
            text = _plain(trim(first[1:]) if first[:1] == ">" else first)
            self._add({"type": "transition", "text": text}, line)
        else:
            self._action(paragraph, line)

    def _section(self, text: str, line: int) -> bool:
        found = _SECTION.fullmatch(trim(text))
        if found is None:
            return False
        if len(found[1]) == 1:  # an episode; deeper sections only group scenes
            named = read_episode_line(_plain(found[2]))
            number, title = named if named else (None, _plain(found[2]))
            if number is None:
                number = self.episodes[-1][0]["number"] + 1 if self.episodes else 1
            self.episodes.append(({"number": number, "title": title, "scenes": []}, {(): line}))
        return True

    def _heading(self, text: str, line: int) -> bool:
        text = trim(text)
        forced = text[:1] == "." and text[1:2] != "."
        if not forced and not _SLUG.match(text):
            return False
        text = trim(_plain(text[1:] if forced else text))
        read = read_heading(text, line)
        if read is not None:
            _, heading, flashback = read
        else:
            heading, flashback, number = _hollywood(text)
            scenes = self.episodes[-1][0]["scenes"] if self.episodes else []
            previous = scenes[-1]["heading"]["number"] if scenes else 0
            heading["number"] = previous + 1 if number is None else number
        if not self.episodes:
            self.episodes.append(({"number": 1, "title": "", "scenes": []}, {(): line}))
        script, where = self.episodes[-1]
        add(script["scenes"], {"heading": heading, "flashback": flashback, "elements": []}, line)
        where[("scenes", len(script["scenes"]) - 1)] = line
        return True

    def _add(self, element: dict[str, Any], line: int) -> None:
        if not self.episodes or not self.episodes[-1][0]["scenes"]:
            if element["type"] == "transition":
                return  # FADE IN:
            message = _(
                "Line %(line)d: this comes before the episode's first scene heading.", line=line
            )
            raise LayoutError(line, message)
        script, where = self.episodes[-1]
        elements = script["scenes"][-1]["elements"]
        add(elements, {"character": "", "parenthetical": "", **element}, line)
        where[("scenes", len(script["scenes"]) - 1, "elements", len(elements) - 1)] = line

    def _action(self, paragraph: list[str], line: int) -> None:
        lines = [trim(text) for text in paragraph]
        lines = [_plain(trim(text[1:]) if text[:1] == "!" else text) for text in lines]
        self._add({"type": "action", "text": "\n".join(lines)}, line)

    def _caption(self, paragraph: list[str], line: int) -> None:
        lines = [trim(_CENTERED.fullmatch(trim(text))[1]) for text in paragraph]
        lines[0] = lines[0][word.end() :] if (word := _CAPTION.match(lines[0])) else lines[0]
        self._add({"type": "caption", "text": "\n".join(map(_plain, lines))}, line)

    def _dialogue(self, paragraph: list[str], line: int) -> None:
        who = trim(paragraph[0])
        who = _EXTRAS.sub("", _EXTRAS.sub("", who[1:] if who[0] == "@" else who))
        name, kind = split_cue(_plain(who))
        spoken: list[tuple[int, list[str], list[str]]] = []  # (line, parenthetical, text)
        how: list[str] | None = None  # the parenthetical being read
        for at, raw in enumerate(paragraph[1:], line + 1):
            text = trim(raw)
            if how is None and text[:1] in ("(", "（"):
                how, opened = [], at
            if how is None:
                spoken = spoken or [(line, [], [])]
                spoken[-1][2].append(_plain(text))
                continue
            how.append(text)
            if text[-1:] in (")", "）"):
                words = _plain(" ".join(how)[1:-1])
                if not spoken or spoken[-1][2]:
                    spoken.append((opened, [], []))
                spoken[-1][1].append(words)
                how = None
        if how is not None:
            message = _(
                "Line %(line)d: close the parenthetical: “%(text)s”", line=opened, text=how[0]
            )
            raise LayoutError(opened, message)
        for at, words, text in spoken:
            if not text:
                message = _(
                    "Line %(line)d: a parenthetical needs a line of dialogue after it.", line=at
                )
                raise LayoutError(at, message)
            element = {"type": kind, "character": name, "parenthetical": " ".join(words)}
            self._add({**element, "text": "\n".join(text)}, at)


def _paragraphs(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(first line's number, lines) of each paragraph after the title page."""
    start = 0
    if lines and _TITLE_KEY.match(lines[0]):
        start = next((n for n, text in enumerate(lines) if text in _BLANK), len(lines))
    found: list[tuple[int, list[str]]] = []
    for number, text in enumerate(lines[start:], start + 1):
        if text in _BLANK:
            continue
        if found and found[-1][0] + len(found[-1][1]) == number:
            found[-1][1].append(text)
        else:
            found.append((number, [text]))
    return found


def from_fountain(text: str) -> list[dict[str, Any]]:
    """The episodes a Fountain document holds, as stored (validated, with their screen time);
    LayoutError naming the first line that cannot be read."""
    lines = _LINES.split(text)
    for number, line in enumerate(lines, 1):
        if not clean_text(line):
            message = _(
                "Line %(line)d: text may not contain NUL characters or lone surrogates.",
                line=number,
            )
            raise LayoutError(number, message)
    shown = _HIDDEN.sub(lambda hidden: "\n" * hidden[0].count("\n"), "\n".join(lines))
    reader = _Reader()
    for number, paragraph in _paragraphs(shown.split("\n")):
        reader.read(paragraph, number)
    return [checked(script, where) for script, where in reader.episodes]
