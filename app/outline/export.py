"""An outline's exports: Markdown (which `from_markdown` reads back), JSON and a print page.

The Markdown keeps every text exactly. Characters Markdown would read as syntax are escaped
with a backslash (`\\*`, `\\<`, and `\\#`, `\\-`, `1\\.` … at a line's start); whitespace at
either end of a line, and line separators other than LF, are character references
(`&#32;`); a line break inside a heading or a name is `<br>`; a list item goes on over lines
indented by two spaces. What is read back is validated by `Components`, which strips each text
of surrounding whitespace: that is the only normalisation, so `from_markdown(to_markdown(c))`
equals `Components.model_validate(c).model_dump(by_alias=True)`."""

import json
import re
from typing import Any

from flask import render_template

from app.language import mostly_cjk
from app.outline.components import Components, empty

LANGUAGES = ("zh", "en")
CHARACTER_FIELDS = (
    "role",
    "age",
    "look",
    "personality",
    "goal",
    "contrast",
    "advantage",
    "advantageCost",
    "speech",
)
EPISODE_FIELDS = ("synopsis", "hook", "cliffhanger")
SECTIONS = tuple("logline genreAudience sellingPoints setting characters stages episodes".split())

# In the outline's own language, not the reader's: a Chinese outline reads 人物小传 for
# whoever exports it, so these are not interface messages for gettext.
_PAIRS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "untitled": ("未命名大纲", "Untitled outline"),
    "logline": ("一句话梗概", "Logline"),
    "genreAudience": ("类型与受众", "Genre and audience"),
    "genre": ("类型", "Genre"),
    "audience": ("受众", "Audience"),
    "sellingPoints": ("卖点", "Selling points"),
    "setting": ("故事背景", "Setting"),
    "characters": ("人物小传", "Characters"),
    "role": ("角色定位", "Role"),
    "age": ("年龄", "Age"),
    "look": ("外形", "Look"),
    "personality": ("性格", "Personality"),
    "goal": ("目标", "Goal"),
    "contrast": ("反差", "Contrast"),
    "advantage": ("金手指", "Advantage"),
    "advantageCost": ("金手指代价", "Cost of the advantage"),
    "speech": ("说话习惯", "Speech habits"),
    "relationships": ("人物关系", "Relationships"),
    "stages": ("剧情阶段", "Story arc"),
    "stage": ("阶段", "Stage"),
    "range": ("集数", "Episodes"),
    "summary": ("概要", "Summary"),
    "opening": ("开篇", "Opening"),
    "rising": ("发展", "Rising action"),
    "climax": ("高潮", "Climax"),
    "resolution": ("结局", "Resolution"),
    "episodeRange": ("第{a}–{b}集", "Episodes {a}–{b}"),
    "episodes": ("分集大纲", "Episodes"),
    "episode": ("第{n}集", "Episode {n}"),
    "episodeTitle": ("第{n}集 {title}", "Episode {n}: {title}"),
    "synopsis": ("剧情", "Synopsis"),
    "hook": ("开场钩子", "Hook"),
    "cliffhanger": ("结尾卡点", "Cliffhanger"),
    "colon": ("：", ":"),
    "separator": ("：", ": "),
}
LABELS = {lang: {key: pair[i] for key, pair in _PAIRS.items()} for i, lang in enumerate(LANGUAGES)}


def labels(language: str) -> dict[str, str]:
    """The headings and field names of an export in the outline's language ("zh" or "en")."""
    return dict(LABELS[language])


def language_of(components: dict[str, Any]) -> str:
    """The outline's language: zh when its title, logline and synopses are mostly CJK, else en."""
    parts = [components.get("title", ""), components.get("logline", "")]
    parts += [episode.get("synopsis", "") for episode in components.get("episodes", [])]
    # A character bible has nothing but characters.
    parts += [
        f"{c.get('name', '')}{c.get('personality', '')}" for c in components.get("characters", [])
    ]
    return "zh" if mostly_cjk("".join(parts)) else "en"


def to_json(components: dict[str, Any]) -> str:
    """The components as indented JSON, CJK text kept readable."""
    return json.dumps(components, ensure_ascii=False, indent=2) + "\n"


def render_html(components: dict[str, Any]) -> str:
    """The print page (needs a request context, or SERVER_NAME, for its stylesheet's URL)."""
    language = language_of(components)
    return render_template(
        "outline/print.html",
        outline={**empty(), **components},
        labels=labels(language),
        language=language,
        character_fields=CHARACTER_FIELDS,
        episode_fields=EPISODE_FIELDS,
    )


# ---- writing Markdown -----------------------------------------------------------------------

_ESCAPED = frozenset("\\`*_<[&~")  # inline syntax, anywhere in a line
_ESCAPED_IN_HEADINGS = _ESCAPED | {"#"}  # a heading's closing #s
_LEADING = set("#-+*>=|:~`<_[\\&")  # block syntax, at a line's start
_ORDERED = re.compile(r"(\d{1,9})[.)]")
_BREAKS = set("\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")  # line ends to str.splitlines and editors
_SPACE = " \t"


def _reference(ch: str) -> str:
    return f"&#{ord(ch)};"


def _line(line: str, heading: bool = False) -> str:
    """One line of text as Markdown that shows it as it is."""
    head = tail = ""
    if line[:1] and line[0] in _SPACE:
        head, line = _reference(line[0]), line[1:]
    if line[-1:] and line[-1] in _SPACE:
        tail, line = _reference(line[-1]), line[:-1]
    escaped = _ESCAPED_IN_HEADINGS if heading else _ESCAPED
    out = "".join(
        "\\" + ch if ch in escaped else _reference(ch) if ch in _BREAKS else ch for ch in line
    )
    if not head and line:
        if line[0] in _LEADING and not out.startswith("\\"):
            out = "\\" + out
        elif ordered := _ORDERED.match(line):
            out = out[: ordered.end(1)] + "\\" + out[ordered.end(1) :]
    return head + out + tail


def _oneline(text: str) -> str:
    """Text for a heading or a name: one line, its line breaks as <br>."""
    return "<br>".join(_line(line, heading=True) for line in text.split("\n"))


def _lines(text: str) -> list[str]:
    """Text as Markdown lines, each break a hard one (two trailing spaces)."""
    lines = [_line(line) for line in text.split("\n")]
    return [
        line + "  " if line and index + 1 < len(lines) and lines[index + 1] else line
        for index, line in enumerate(lines)
    ]


def _prefixed(prefix: str, lines: list[str], indent: str = "") -> list[str]:
    first = prefix + (" " + lines[0] if lines[0] else "")
    return [first] + [indent + line if line else "" for line in lines[1:]]


def _field(words: dict[str, str], key: str, text: str) -> list[str]:
    return _prefixed(f"**{words[key]}{words['colon']}**", _lines(text))


def _relationship(words: dict[str, str], name: str, relation: str) -> list[str]:
    lines = _lines(relation)
    lead = (f"**{_oneline(name)}**" if name else "") + words["separator"]
    lines[0] = lead + lines[0] if lines[0] else lead.rstrip(" ")
    return _prefixed("-", lines, "  ")


def _character(words: dict[str, str], character: dict[str, Any]) -> list[list[str]]:
    blocks = [["### " + _oneline(character.get("name", ""))]]
    blocks += [_field(words, key, character[key]) for key in CHARACTER_FIELDS if character.get(key)]
    if relationships := character.get("relationships"):
        items = [_relationship(words, r["name"], r["relation"]) for r in relationships]
        blocks.append([f"**{words['relationships']}{words['colon']}**"])
        blocks.append([line for item in items for line in item])
    return blocks


def _stage(words: dict[str, str], stage: dict[str, Any]) -> list[list[str]]:
    span = words["episodeRange"].format(a=stage["fromEpisode"], b=stage["toEpisode"])
    heading = ["### " + _oneline(words.get(stage["stage"], stage["stage"])) + " · " + span]
    return [heading] + ([_lines(stage["summary"])] if stage.get("summary") else [])


def _episode(words: dict[str, str], episode: dict[str, Any]) -> list[list[str]]:
    number, title = episode["number"], episode.get("title", "")
    heading = (
        words["episodeTitle"].format(n=number, title=_oneline(title))
        if title
        else words["episode"].format(n=number)
    )
    fields = [_field(words, key, episode[key]) for key in EPISODE_FIELDS if episode.get(key)]
    return [["### " + heading], *fields]


def to_markdown(components: dict[str, Any]) -> str:
    """The outline as a Markdown document, headed and labelled in the outline's language."""
    outline = {**empty(), **components}
    words = labels(language_of(outline))
    blocks: list[list[str]] = []
    if outline["title"]:
        blocks.append(["# " + _oneline(outline["title"])])

    def section(key: str, *content: list[str]) -> None:
        blocks.append([f"## {words[key]}"])
        blocks.extend(content)

    if outline["logline"]:
        section("logline", _lines(outline["logline"]))
    if outline["genre"] or outline["audience"]:
        keys = [key for key in ("genre", "audience") if outline[key]]
        section("genreAudience", *[_field(words, key, outline[key]) for key in keys])
    if outline["sellingPoints"]:
        items = [_prefixed("-", _lines(point), "  ") for point in outline["sellingPoints"]]
        section("sellingPoints", [line for item in items for line in item])
    if outline["setting"]:
        section("setting", _lines(outline["setting"]))
    for key, write in (("characters", _character), ("stages", _stage), ("episodes", _episode)):
        if outline[key]:
            section(key, *[block for item in outline[key] for block in write(words, item)])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n" if blocks else ""


# ---- reading Markdown -----------------------------------------------------------------------

_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|&#([0-9]{1,7});|<br>")
_LABEL = re.compile(r"\*\*([^*]+?)[:：]\*\*(?: |$)")


def _keys(keys: tuple[str, ...]) -> dict[str, str]:
    return {LABELS[language][key]: key for language in LANGUAGES for key in keys}


_SECTION_KEYS = _keys(SECTIONS)
_FIELD_KEYS = _keys(("genre", "audience", "relationships") + CHARACTER_FIELDS + EPISODE_FIELDS)
_STAGE_KEYS = _keys(("opening", "rising", "climax", "resolution"))


def _pattern(template: str) -> re.Pattern[str]:
    """A heading template ("第{n}集 {title}") as the pattern that reads it."""
    regex = re.escape(template)
    for name in "nab":
        regex = regex.replace(re.escape("{" + name + "}"), rf"(?P<{name}>-?[0-9]+)")
    return re.compile(regex.replace(re.escape("{title}"), "(?P<title>.*)"), re.DOTALL)


_EPISODE = [
    _pattern(LABELS[lang][key]) for lang in LANGUAGES for key in ("episodeTitle", "episode")
]
_RANGE = [_pattern(LABELS[language]["episodeRange"]) for language in LANGUAGES]


def _unescape(token: re.Match[str]) -> str:
    if token[1]:
        return token[1]
    if token[2]:
        code = int(token[2])
        return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else token[0]
    return "\n"


def _text(lines: list[str]) -> str:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return "\n".join(_TOKEN.sub(_unescape, line) for line in lines)


def _closing(text: str) -> int:
    """Where the bold name at the start of `text` ends (escapes skipped)."""
    at = 2
    while at < len(text) and not text.startswith("**", at):
        at += 2 if text[at] == "\\" else 1
    if at >= len(text):
        raise ValueError(f"an unclosed ** in {text!r}")
    return at


def _read_relationship(first: str, rest: list[str]) -> dict[str, str]:
    name = ""
    if first.startswith("**"):
        end = _closing(first)
        name, first = _text([first[2:end]]), first[end + 2 :]
    for separator in ("：", ": ", ":"):
        if first.startswith(separator):
            first = first[len(separator) :]
            break
    return {"name": name, "relation": _text([first, *rest])}


def _read_heading(section: str | None, text: str) -> dict[str, Any]:
    if section == "characters":
        return {"name": text, "relationships": []}
    if section == "stages":
        label, _, span = text.partition(" · ")
        for pattern in _RANGE:
            if (found := pattern.fullmatch(span)) and label in _STAGE_KEYS:
                return {
                    "stage": _STAGE_KEYS[label],
                    "fromEpisode": int(found["a"]),
                    "toEpisode": int(found["b"]),
                }
    if section == "episodes":
        for pattern in _EPISODE:
            if found := pattern.fullmatch(text):
                return {"number": int(found["n"]), "title": found.groupdict().get("title") or ""}
    raise ValueError(f"an unexpected heading {text!r}")


def from_markdown(text: str) -> dict[str, Any]:
    """The components of an outline written by `to_markdown` (camelCase keys), validated;
    ValueError (a pydantic ValidationError among them) when the text is not such a document."""
    lines = [line.rstrip(" \t\r") for line in text.split("\n")]
    outline = empty()
    section: str | None = None
    item: dict[str, Any] | None = None
    at = 0
    while at < len(lines):
        line, start = lines[at], at
        at += 1
        if not line:
            continue
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            if level > 3 or line[level : level + 1] not in ("", " "):
                raise ValueError(f"line {start + 1}: an unexpected heading")
            heading = _text([line[level + 1 :]])
            if level == 1:
                outline["title"], section, item = heading, None, None
            elif level == 2:
                if heading not in _SECTION_KEYS:
                    raise ValueError(f"line {start + 1}: an unknown section {heading!r}")
                section, item = _SECTION_KEYS[heading], None
            else:
                item = _read_heading(section, heading)
                outline[section].append(item)  # type: ignore[index]
            continue
        if line == "-" or line.startswith("- "):
            while at < len(lines) and (not lines[at] or lines[at].startswith("  ")):
                at += 1
            first, rest = line[2:], [more[2:] for more in lines[start + 1 : at]]
            if section == "sellingPoints":
                outline["sellingPoints"].append(_text([first, *rest]))
            elif section == "characters" and item is not None:
                item["relationships"].append(_read_relationship(first, rest))
            else:
                raise ValueError(f"line {start + 1}: an unexpected list item")
            continue
        label = _LABEL.match(line)
        if line.startswith("*") and not (label and label[1] in _FIELD_KEYS):
            raise ValueError(f"line {start + 1}: an unexpected line {line!r}")
        while at < len(lines) and not lines[at].startswith(("#", "*", "-")):
            at += 1
        if label:
            key = _FIELD_KEYS.get(label[1])
            value = _text([line[label.end() :], *lines[start + 1 : at]])
        else:
            key, value = None, _text(lines[start:at])
        target = _target(outline, section, item, key)
        if target is None:
            raise ValueError(f"line {start + 1}: an unexpected {label[1] if label else 'text'}")
        if key != "relationships":
            target[0][target[1]] = value
    return Components.model_validate(outline).model_dump(by_alias=True)


def _target(
    outline: dict[str, Any], section: str | None, item: dict[str, Any] | None, key: str | None
) -> tuple[dict[str, Any], str] | None:
    """Where a labelled field (key) or unlabelled text (key None) goes in this section."""
    if key is None:
        if section in ("logline", "setting"):
            return outline, section
        return (item, "summary") if section == "stages" and item is not None else None
    if section == "genreAudience" and key in ("genre", "audience"):
        return outline, key
    if item is not None and section == "characters" and key in (*CHARACTER_FIELDS, "relationships"):
        return item, key
    if item is not None and section == "episodes" and key in EPISODE_FIELDS:
        return item, key
    return None
