"""An episode in the plain-text layout Chinese writers type, to edit it in a text area, read
back into the structure (`screenplay.Script`):

    第3集 重逢

    3-1 日 内 顾氏集团大堂
    △林晚抱着一摞文件冲进电梯，撞上顾沉。
    顾沉：（冷淡）出去。
    林晚（内心OS）：完了，是顾沉。
    【字幕】三年后
    【转场】切至：

    3-2 夜 内 旧宅 【闪回】
    奶奶（画外音）：晚晚，别怕。

- The first line names the episode: `第3集 标题` (or `Episode 3: Title`); the title may be empty.
- A scene heading: `3-1 日 内 客厅`, episode-scene number, time, 内/外/内外, place; also
  `3-1、日 内 客厅`, `3-1 DAY INT Living room`, `INT./EXT.`, `I/E`, full-width spaces and
  digits, `3-1 客厅 日 内`. `【闪回】` (`[闪回]`, `(FLASHBACK)`) after the number or at the end
  marks a flashback.
- Action `△…`; dialogue `角色：（情绪）台词`; voice-over `角色（画外音）：台词`; inner monologue
  `角色（内心OS）：台词` (full-width or ASCII colons and brackets); caption `【字幕】三年后`;
  transition `【转场】切至：`, or a line such as `切至：` or `CUT TO:`.
- A line without a marker continues the element above it (writers wrap long lines), after a
  line break. A blank line ends an element, so an unmarked line after a heading or a blank
  line is an error; blank lines are otherwise ignored.
- A line starting with a backslash continues the element above it as it is, without the
  backslash. `to_text` writes so each line of a text that would read as something else (a
  heading, a marker, `名字：`, a blank line, a backslash); it writes a dialogue text that opens
  with a bracket after an empty `（）`, and a parenthetical holding `）` in ASCII brackets.

What cannot be written so that it reads back (the app never makes it): a carriage return, or a
line break in a one-line field (title, time, place, name, parenthetical); a name holding a
colon, ending in a voice such as `（画外音）`, or starting like a marker or a heading; a time
holding a word read as 内/外, starting with `【闪回】`, or holding a space when there is no
place; a place ending in `【闪回】`; a parenthetical holding both `)` and `）`; numbers beyond
0 … 2**31−1; a name or parenthetical on an action, caption or transition (it means nothing)."""

import re
from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError

from app.inputs import MESSAGES, clean_text, natural
from app.scripts.screenplay import MAX_ELEMENTS, MAX_SCENES, SHORT, SPOKEN, Script, with_seconds

# The white space the models strip (Unicode's), which is not quite Python's str.isspace().
WS = "\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_EDGES = re.compile(f"^[{WS}]+|[{WS}]+$")
_LEADING = re.compile(f"^[{WS}]+")
_LINES = re.compile("\r\n|\r|\n")
_N = "[0-9０-９]+"
_EPISODE = re.compile(
    rf"(?:第[{WS}]*({_N})[{WS}]*集|(?i:episode)[{WS}]+({_N}))[:：、.．]?[{WS}]*(.*)", re.S | re.A
)
_HEADING = re.compile(rf"({_N})[{WS}]*[-－—–][{WS}]*({_N})[、.．,，]?(.*)", re.S)
_MARK = rf"[{WS}]*[【\[（(][{WS}]*(?:闪回|回忆|FLASHBACK)[{WS}]*[】\]）)]"
_FLASHBACK_END = re.compile(rf"{_MARK}[{WS}]*$", re.I | re.A)
_FLASHBACK_START = re.compile(_MARK, re.I | re.A)
_WORD = re.compile(f"[^{WS}]+")
_LAST_WORD = re.compile(f"(.*)[{WS}]+(.*)", re.S)
_VOICE = re.compile(
    rf"[（(][{WS}]*(画外音|旁白|V\.?O\.?|内心OS|内心独白|内心|OS|INNER)[{WS}]*[）)]$", re.I | re.A
)
_CAPTION = re.compile(r"[【\[]字幕[】\]][:：]?")
_TRANSITION = re.compile(r"[【\[]转场[】\]][:：]?")
_TRANSITION_LINE = re.compile(
    r"(?:切至|切到|切换至|切换到|叠化|淡入|淡出|黑场|闪白|硬切)[:：]?"
    r"|[A-Z][A-Z .']*TO:|FADE (?:IN:|OUT\.|TO BLACK\.)"
)
_COLON = re.compile("[:：]")
_INT_EXT = ("INT", "INT.", "EXT", "EXT.")
_INTERIORS = {
    **{"内": "int", "内景": "int", "INT": "int", "INT.": "int", "外": "ext", "外景": "ext"},
    **{"EXT": "ext", "EXT.": "ext", "EST": "ext", "EST.": "ext", "内外": "int/ext"},
    **{"内外景": "int/ext", "外内": "int/ext", "内/外": "int/ext", "外/内": "int/ext"},
    **{"I/E": "int/ext", "I/E.": "int/ext"},
    **{f"{a}/{b}": "int/ext" for a in _INT_EXT for b in _INT_EXT if a[:3] != b[:3]},
}
_WRITTEN = {"int": "内", "ext": "外", "int/ext": "内外"}
_MARKERS = {"action": "△", "caption": "【字幕】", "transition": "【转场】"}
_VOICES = {"voiceover": "（画外音）", "monologue": "（内心OS）"}


class LayoutError(ValueError):
    """A line of a script's text that cannot be read: `line` (1-based), and why, quoting it."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def trim(text: str) -> str:
    """The text without the white space the models strip from its ends."""
    return _EDGES.sub("", text)


def _at(line: int, text: str = "", **more: Any) -> dict[str, Any]:
    """What a message names: the line, and (the start of) what it says."""
    text = trim(_LINES.split(trim(text))[0])
    return {"line": line, "text": text if len(text) <= 40 else text[:39] + "…", **more}


def _number(digits: str) -> int | None:
    return natural(digits.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def interior(word: str) -> str | None:
    """int, ext or int/ext for a word such as 内, 外景, INT. or I/E; None for any other."""
    return _INTERIORS.get(word.upper() if word.isascii() else word)


def split_cue(cue: str) -> tuple[str, str]:
    """(name, type) of a speaker as written: `林晚` (dialogue), `林晚（画外音）`, `LIN (V.O.)`
    (voiceover), `林晚（内心OS）`, `LIN (INNER)` (monologue)."""
    voice = _VOICE.search(cue)
    if voice is None:
        return cue, "dialogue"
    word = voice[1].upper()
    kind = "voiceover" if word in ("画外音", "旁白") or word.startswith("V") else "monologue"
    return cue[: voice.start()], kind


def read_episode_line(text: str) -> tuple[int | None, str] | None:
    """(number, title) of `第3集 标题` / `Episode 3: Title`; None for another line."""
    found = _EPISODE.fullmatch(trim(text))
    return (_number(found[1] or found[2]), found[3]) if found else None


def read_heading(text: str, line: int) -> tuple[int | None, dict[str, Any], bool] | None:
    """(episode, heading, flashback) of a line such as `3-1 日 内 客厅`; None for a line that
    is no heading; LayoutError for a heading without 内/外."""
    found = _HEADING.match(text)
    if found is None:
        return None
    episode, number, rest, flashback = _number(found[1]), _number(found[2]), found[3], False
    if mark := _FLASHBACK_END.search(rest):
        rest, flashback = rest[: mark.start()], True
    if mark := _FLASHBACK_START.match(rest):
        rest, flashback = rest[mark.end() :], True
    word = next((word for word in _WORD.finditer(rest) if interior(word[0])), None)
    if word is None or number is None:
        message = _(
            "Line %(line)d: a scene heading needs a time, 内/外 and a place: “%(text)s”",
            **_at(line, text),
        )
        raise LayoutError(line, message)
    time, place = trim(rest[: word.start()]), trim(rest[word.end() :])
    if not place and (last := _LAST_WORD.fullmatch(time)):  # 3-1 客厅 日 内
        place, time = last[1], last[2]
    heading = {"number": number, "interior": interior(word[0]), "place": place, "time": time}
    return episode, heading, flashback


def _opening(body: str) -> tuple[str, str, str] | None:
    """(type, character, rest of the line) of a line that opens an element; else None."""
    if body[:1] in ("△", "▲"):
        return "action", "", body[1:]
    for kind, marker in (("caption", _CAPTION), ("transition", _TRANSITION)):
        if found := marker.match(body):
            return kind, "", body[found.end() :]
    if _TRANSITION_LINE.fullmatch(trim(body)):
        return "transition", "", body
    if colon := _COLON.search(body):
        name, kind = split_cue(body[: colon.start()])
        if len(trim(name)) <= SHORT:
            return kind, name, body[colon.end() :]
    return None


def _continues(line: str) -> bool:
    """Whether a line of a text, written as it is, reads back as continuing its element."""
    body = _LEADING.sub("", line)
    return bool(body) and line[:1] != "\\" and not _HEADING.match(body) and not _opening(body)


def _element_lines(element: dict[str, Any]) -> list[str]:
    kind, text = element["type"], element["text"]
    if kind in SPOKEN:
        how = element.get("parenthetical", "")
        opening = element.get("character", "") + _VOICES.get(kind, "") + "："
        if how:
            opening += f"({how})" if "）" in how else f"（{how}）"
        elif text[:1] in ("(", "（"):
            opening += "（）"  # the text's own bracket is no parenthetical
    else:
        opening = _MARKERS[kind] + ("：" if kind != "action" and text[:1] in (":", "：") else "")
    first, *rest = text.split("\n")
    return [opening + first, *(line if _continues(line) else "\\" + line for line in rest)]


def to_text(script: dict[str, Any]) -> str:
    """The episode in the writers' layout (see the module's docstring)."""
    number, title = script["number"], script.get("title", "")
    lines = [f"第{number}集 {title}" if title else f"第{number}集"]
    for scene in script.get("scenes", []):
        heading = scene["heading"]
        words = (f"{number}-{heading['number']}", heading["time"], _WRITTEN[heading["interior"]])
        lines += ["", " ".join(word for word in (*words, heading["place"]) if word)]
        lines[-1] += " 【闪回】" if scene.get("flashback") else ""
        lines += [line for element in scene.get("elements", []) for line in _element_lines(element)]
    return "\n".join(lines) + "\n"


def add(items: list[dict[str, Any]], item: dict[str, Any], line: int) -> None:
    """Append a scene to a script's scenes, or an element to a scene's elements; LayoutError if
    there is no room left."""
    if "heading" in item and len(items) >= MAX_SCENES:
        message = _("Line %(line)d: an episode has at most %(n)d scenes.", line=line, n=MAX_SCENES)
        raise LayoutError(line, message)
    if len(items) >= MAX_ELEMENTS:
        message = _(
            "Line %(line)d: a scene has at most %(n)d lines of action and dialogue.",
            **_at(line, n=MAX_ELEMENTS),
        )
        raise LayoutError(line, message)
    items.append(item)


def _field(name: str) -> str:
    names = {
        "title": _("the episode title"),
        "place": _("the place"),
        "time": _("the time"),
        "character": _("the character"),
        "parenthetical": _("the parenthetical"),
        "text": _("the text"),
    }
    return names.get(name, _("this line"))


def checked(script: dict[str, Any], where: dict[tuple[Any, ...], int]) -> dict[str, Any]:
    """The script as stored (validated, with its screen time); LayoutError naming the line of its
    first part at fault. `where` maps parts (`()`, `("scenes", 0)`, `("scenes", 0, "elements",
    2)`) to the lines they were read from."""
    try:
        valid = Script.model_validate(script)
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        part = item["loc"]
        line = next((where[part[:n]] for n in range(len(part), -1, -1) if part[:n] in where), 1)
        names = [name for name in part if isinstance(name, str)]
        describe = MESSAGES.get(item["type"])
        problem = describe(item.get("ctx") or {}) if describe else _("This is not valid.")
        message = _(
            "Line %(line)d: %(field)s: %(problem)s",
            line=line,
            field=_field(names[-1] if names else ""),
            problem=item["msg"] if item["type"] == "refused" else problem,
        )
        raise LayoutError(line, message) from None
    return with_seconds(valid.model_dump(by_alias=True))


def _unmarked(script: dict[str, Any], body: str, line: int) -> LayoutError:
    """The error for a line that opens nothing and continues nothing."""
    if not script["scenes"]:
        message = _(
            "Line %(line)d: a scene starts with a heading such as “%(number)d-1 日 内 客厅”: "
            "“%(text)s”",
            **_at(line, body, number=script["number"]),
        )
    elif body[:1] == "\\":
        message = _(
            "Line %(line)d: a line starting with “\\” continues the line above it, and there "
            "is none: “%(text)s”",
            **_at(line, body),
        )
    else:
        message = _(
            "Line %(line)d: start action with “△” and dialogue with the character's name and "
            "“：”: “%(text)s”",
            **_at(line, body),
        )
    return LayoutError(line, message)


def _start(script: dict[str, Any], body: str, line: int) -> None:
    """Read the first line: the episode's number and title."""
    episode, number = read_episode_line(body), script["number"]
    if episode is None:
        message = _(
            "Line %(line)d: the first line names the episode, e.g. “第%(number)d集 标题”: "
            "“%(text)s”",
            **_at(line, body, number=number),
        )
        raise LayoutError(line, message)
    if episode[0] != number:
        message = _(
            "Line %(line)d: this is episode %(number)d, so the first line reads "
            "“第%(number)d集 …”: “%(text)s”",
            **_at(line, body, number=number),
        )
        raise LayoutError(line, message)
    script["title"] = episode[1]


def _scene(script: dict[str, Any], body: str, line: int) -> bool:
    """Add the scene the line heads; False if it heads none."""
    read = read_heading(body, line)
    if read is None:
        return False
    if read[0] != script["number"]:
        message = _(
            "Line %(line)d: this is episode %(number)d, so its scenes are numbered "
            "“%(number)d-1”, “%(number)d-2” …: “%(text)s”",
            **_at(line, body, number=script["number"]),
        )
        raise LayoutError(line, message)
    add(script["scenes"], {"heading": read[1], "flashback": read[2], "elements": []}, line)
    return True


def _finish(element: dict[str, Any], line: int) -> None:
    """Join the element's lines and split a parenthetical (`（冷笑）台词`) from its text."""
    opening, text = element.pop("opening"), "\n".join(element["text"])
    element["text"] = text
    if element["type"] in SPOKEN and (text := _LEADING.sub("", text))[:1] in ("(", "（"):
        end = text.find(")" if text[0] == "(" else "）", 0, (text + "\n").index("\n"))
        if end < 0:
            message = _("Line %(line)d: close the parenthetical: “%(text)s”", **_at(line, text))
            raise LayoutError(line, message)
        element["parenthetical"], element["text"] = text[1:end], text[end + 1 :]
    if not trim(element["text"]):
        message = _("Line %(line)d: this line has no text: “%(text)s”", **_at(line, opening))
        raise LayoutError(line, message)


def from_text(text: str, number: int) -> dict[str, Any]:
    """Episode `number` as its text lays it out (see the module's docstring), validated and with
    its screen time; LayoutError naming the first line that cannot be read."""
    script: dict[str, Any] = {"number": number, "title": "", "scenes": []}
    where: dict[tuple[Any, ...], int] = {}
    lines: list[str] | None = None  # the text of the element being read
    opened: list[tuple[dict[str, Any], int]] = []  # the elements, with their lines
    for no, raw in enumerate(_LINES.split(text), 1):
        body = _LEADING.sub("", raw)
        if not clean_text(raw):
            message = _(
                "Line %(line)d: text may not contain NUL characters or lone surrogates.", line=no
            )
            raise LayoutError(no, message)
        if not body:
            lines = None
        elif not where:
            _start(script, body, no)
            where[()] = no
        elif raw[:1] == "\\" and lines is not None:
            lines.append(raw[1:])
        elif raw[:1] != "\\" and _scene(script, body, no):
            lines = None
            where[("scenes", len(script["scenes"]) - 1)] = no
        elif raw[:1] != "\\" and script["scenes"] and (opening := _opening(body)):
            lines = [opening[2]]
            element = {"type": opening[0], "character": opening[1], "text": lines}
            elements = script["scenes"][-1]["elements"]
            add(elements, {**element, "parenthetical": "", "opening": body}, no)
            opened.append((elements[-1], no))
            where[("scenes", len(script["scenes"]) - 1, "elements", len(elements) - 1)] = no
        elif lines is not None and raw[:1] != "\\":
            lines.append(raw)
        else:
            raise _unmarked(script, body, no)
    if not where:
        message = _(
            "Line %(line)d: the text is empty; its first line names the episode: "
            "“第%(number)d集 标题”.",
            **_at(1, number=number),
        )
        raise LayoutError(1, message)
    for element, line in opened:
        _finish(element, line)
    return checked(script, where)
