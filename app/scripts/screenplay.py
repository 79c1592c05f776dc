"""An episode script's structure: the one shape an `episode_script` artifact holds, the API
answers, the Chinese-layout editor reads back, and every export renders from.

    {"number": 3, "title": "…", "seconds": 92,
     "scenes": [{"heading": {"number": 1, "interior": "int", "place": "客厅", "time": "日"},
                 "flashback": false,
                 "elements": [{"type": "action", "text": "…"},
                              {"type": "dialogue", "character": "林晚", "parenthetical": "冷笑",
                               "text": "…"},
                              {"type": "voiceover" | "monologue", "character": "…", "text": "…"},
                              {"type": "caption", "text": "三年后"},
                              {"type": "transition", "text": "CUT TO:"}]}]}

Model output is read into it liberally (`read_episode`); a person's edit is validated strictly
(`Script`). `seconds` is derived from the text (`screen_seconds`), never trusted from outside."""

import math
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from app.inputs import Inputs, Text, Whole

SHORT, LONG = 200, 5000
MAX_SCENES = 60
MAX_ELEMENTS = 400
INTERIORS = ("int", "ext", "int/ext")
ELEMENT_TYPES = ("action", "dialogue", "voiceover", "monologue", "caption", "transition")
SPOKEN = ("dialogue", "voiceover", "monologue")  # the types a character speaks
# Screen time: a vertical drama speaks about 4 Chinese characters (or 2.5 English words, ~14
# letters) a second; action reads at about half that pace on screen.
CJK_PER_SECOND, LATIN_PER_SECOND = 4.0, 14.0
ACTION_FACTOR = 0.5


class Heading(Inputs):
    number: Whole = 1  # the scene's number within the episode ("3-1" is episode 3, scene 1)
    interior: Literal["int", "ext", "int/ext"] = "int"
    place: Text(SHORT) = ""
    time: Text(40) = ""  # 日 / 夜 / 晨 … or DAY / NIGHT …


class Element(Inputs):
    type: Literal["action", "dialogue", "voiceover", "monologue", "caption", "transition"]
    character: Text(SHORT) = ""  # who speaks (dialogue, voice-over, inner monologue)
    parenthetical: Text(SHORT) = ""  # （冷笑） / (quietly)
    text: Text(LONG, min_length=1)


class Scene(Inputs):
    heading: Heading
    flashback: bool = False
    elements: Annotated[list[Element], Field(max_length=MAX_ELEMENTS)] = []


class Script(Inputs):
    number: Whole
    title: Text(SHORT) = ""
    scenes: Annotated[list[Scene], Field(max_length=MAX_SCENES)] = []


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


def text_seconds(text: str) -> float:
    """Seconds of screen time the text takes when spoken."""
    cjk = _cjk(text)
    latin = sum(1 for ch in text if ch.isalnum()) - cjk
    return cjk / CJK_PER_SECOND + max(latin, 0) / LATIN_PER_SECOND


def screen_seconds(script: dict[str, Any]) -> int:
    """About how long the episode runs on screen: its spoken lines at speaking pace, its
    action at half that (the budget the prompt states, measured the same way)."""
    total = 0.0
    for scene in script.get("scenes", []):
        for element in scene.get("elements", []):
            seconds = text_seconds(element.get("text", ""))
            total += seconds if element.get("type") in SPOKEN else seconds * ACTION_FACTOR
    return math.ceil(total)


def budget_characters(seconds: int, language: str) -> int:
    """How many characters of dialogue fit an episode of this many seconds (for the prompt)."""
    per_second = CJK_PER_SECOND if language == "zh" else LATIN_PER_SECOND
    return int(seconds * per_second)


def with_seconds(script: dict[str, Any]) -> dict[str, Any]:
    """The script as stored: validated data, each element without the empty character and
    parenthetical it does not have, plus its derived screen time."""
    scenes = [
        {
            **scene,
            "elements": [
                {k: v for k, v in e.items() if v or k not in ("character", "parenthetical")}
                for e in scene.get("elements", [])
            ],
        }
        for scene in script.get("scenes", [])
    ]
    compact = {**script, "scenes": scenes}
    compact.pop("seconds", None)
    return {**compact, "seconds": screen_seconds(compact)}


def _element(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    kind = str(value.get("type", "")).strip().lower()
    kind = {"vo": "voiceover", "os": "monologue", "inner": "monologue"}.get(kind, kind)
    if kind not in ELEMENT_TYPES:
        kind = "dialogue" if value.get("character") else "action"
    fields = {
        "type": kind,
        "character": value.get("character") or "",
        "parenthetical": value.get("parenthetical") or "",
        "text": value.get("text") or value.get("line") or "",
    }
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if kind not in SPOKEN:
        fields["character"] = fields["parenthetical"] = ""
    try:
        return Element.model_validate(fields).model_dump(by_alias=True)
    except ValidationError:
        return None


def _heading(value: Any, number: int) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    interior = str(value.get("interior", "int")).strip().lower().replace(".", "")
    interior = {"内": "int", "外": "ext", "内外": "int/ext", "i/e": "int/ext"}.get(
        interior, interior
    )
    fields = {
        "number": number,
        "interior": interior if interior in INTERIORS else "int",
        "place": str(value.get("place", ""))[:SHORT].strip(),
        "time": str(value.get("time", ""))[:40].strip(),
    }
    try:
        return Heading.model_validate(fields).model_dump(by_alias=True)
    except ValidationError:
        return Heading(number=number).model_dump(by_alias=True)


def read_scene(value: Any, number: int) -> dict[str, Any] | None:
    """A scene from the model, read liberally (elements that are not one are dropped); None
    if nothing of it can be read."""
    if not isinstance(value, dict):
        return None
    raw = value.get("elements")
    elements = [e for e in map(_element, raw[:MAX_ELEMENTS] if isinstance(raw, list) else []) if e]
    if not elements:
        return None
    return {
        "heading": _heading(value.get("heading"), number),
        "flashback": value.get("flashback") is True,
        "elements": elements,
    }


def read_episode(value: Any, number: int, title: str = "") -> dict[str, Any] | None:
    """An episode's script from the model, numbered as asked; None without a readable scene."""
    if not isinstance(value, dict):
        return None
    raw = value.get("scenes")
    scenes: list[dict[str, Any]] = []
    for item in raw[:MAX_SCENES] if isinstance(raw, list) else []:
        scene = read_scene(item, len(scenes) + 1)
        if scene is not None:
            scenes.append(scene)
    if not scenes:
        return None
    given = value.get("title")
    name = given.strip()[:SHORT] if isinstance(given, str) and given.strip() else title[:SHORT]
    return with_seconds({"number": number, "title": name, "scenes": scenes})


def speakers(script: dict[str, Any]) -> list[str]:
    """The characters who speak in the script, in order of first line."""
    seen: dict[str, None] = {}
    for scene in script.get("scenes", []):
        for element in scene.get("elements", []):
            if element.get("type") in SPOKEN and element.get("character"):
                seen.setdefault(element["character"], None)
    return list(seen)
