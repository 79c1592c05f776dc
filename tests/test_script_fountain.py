"""Fountain: an independent parser (screenplain) reads the export as the stored script says, in
either layout, awkward texts included; the import reads the export back (modulo what Fountain
cannot carry, the module's documented list), reads hand-written Fountain liberally, and names the
line it cannot read."""

import io
import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from screenplain.parsers.fountain import parse
from screenplain.types import Action, Dialog, Section, Slug, Transition
from test_script_layout import (
    EN,
    ONE_LINE,
    ONE_LINE_ANY,
    PIECES,
    ZH,
    heading_ok,
    line,
    scene,
    scripts,
    stored,
    texts,
)

from app.scripts.fountain import from_fountain, to_fountain
from app.scripts.layout import WS, LayoutError, split_cue, trim
from app.scripts.screenplay import SPOKEN, Script, with_seconds
from app.scripts.words import caption, cue, episode_heading, scene_heading

AWKWARD = stored(
    {
        "number": 5,
        "title": "*Not* a title [[note]]",
        "scenes": [
            scene(
                1,
                "NIGHT",
                "ext",
                "Rooftop * bar",
                line("action", "THE DOOR BURSTS OPEN.\nEVERYONE FREEZES."),
                line("action", "BANG."),
                line("action", "She signs *twice*, then **three** times. 5 * 3 = 15"),
                line("action", "INT. is painted on the door\nin red."),
                line("action", "SMASH CUT TO:"),
                line("action", "...and then silence.\n!Bang.\n\n> not centred <"),
                line("action", "@home, #1 /* not the boneyard */"),
                line("action", "“你来了。”他说。\n=\n==="),
                line("dialogue", "Hi.\n\nIt's me.", "Mary Jane", "softly"),
                line("dialogue", "(This is no parenthetical.) I mean it.", "Mary Jane"),
                line("dialogue", "Call me *Bob*.", "bob smith (old)"),
                line("voiceover", "Narration.", ""),
                line("monologue", "Think.", "林晚"),
                line("caption", "Three years later\n*Paris*"),
                line("transition", "DISSOLVE TO:"),
            )
        ],
    }
)


def shown(text: Any) -> str:
    """Rich text as plain text, without the escapes screenplain does not know (it reads `\\*`
    only, and shows the backslash of `\\(` and `[\\[`)."""
    return re.sub(r"^\\(?=[(（])|(?<=\[)\\(?=\[)", "", str(text))


def seen(text: str) -> list[tuple[Any, ...]]:
    """What screenplain reads in a Fountain document."""
    found: list[tuple[Any, ...]] = []
    for paragraph in parse(io.StringIO(text)).paragraphs:
        if isinstance(paragraph, Section):
            found.append(("section", shown(paragraph.text)))
        elif isinstance(paragraph, Slug):
            number = paragraph.scene_number and str(paragraph.scene_number)
            found.append(("slug", str(paragraph.line), number))
        elif isinstance(paragraph, Dialog):
            blocks = [(aside, shown(text)) for aside, text in paragraph.blocks]
            found.append(("dialog", str(paragraph.character), blocks))
        elif isinstance(paragraph, Action):
            found.append(("action", [str(text) for text in paragraph.lines], paragraph.centered))
        elif isinstance(paragraph, Transition):
            found.append(("transition", str(paragraph.line)))
        else:
            found.append((type(paragraph).__name__,))
    return found


def meant(episodes: list[dict[str, Any]], layout: str) -> list[tuple[Any, ...]]:
    """What the stored episodes say, in the words every export shares."""
    found: list[tuple[Any, ...]] = []
    for episode in episodes:
        found.append(("section", episode_heading(episode, layout)))
        for each in episode["scenes"]:
            number = f"{episode['number']}-{each['heading']['number']}"
            slug = scene_heading(episode["number"], each, layout).upper()
            found.append(("slug", slug, number if layout == "en" else None))
            for element in each["elements"]:
                kind, lines = element["type"], element["text"].split("\n")
                if kind in SPOKEN and (element.get("character") or kind != "dialogue"):
                    how = element.get("parenthetical")
                    blocks = [(True, f"({how})")] if how else []
                    blocks += [(False, trim(text)) for text in lines]
                    found.append(("dialog", cue(element, layout), blocks))
                elif kind == "caption":
                    centred = [trim(text) for text in caption(element["text"], layout).split("\n")]
                    found.append(("action", centred, True))
                elif kind == "transition":
                    found.append(("transition", element["text"].upper()))
                else:
                    found.append(("action", [trim(text) for text in lines], False))
    return found


@pytest.mark.parametrize("layout", ["zh", "en"])
@pytest.mark.parametrize(
    "episodes", [[ZH], [EN], [ZH, EN], [AWKWARD]], ids=["zh", "en", "both", "odd"]
)
def test_screenplain_reads_what_the_script_says(episodes: list[dict], layout: str) -> None:
    exported = to_fountain(episodes, layout=layout, title="契约 *Contract*")
    screenplay = parse(io.StringIO(exported))
    assert screenplay.title_page == {"Title": ["契约 \\*Contract\\*"]}
    assert seen(exported) == meant(episodes, layout)


def test_writes_the_zh_layout() -> None:
    exported = to_fountain([ZH], layout="zh", title="契约新娘")
    assert exported.startswith(
        "Title: 契约新娘\n\n# 第3集 契约到期\n\n.3-1 日 内 顾氏集团总裁办公室\n\n"
    )
    assert "\n@顾沉\n(冷淡)\n林秘书，这是你本月第三次迟到。\n" in exported
    assert "\n@林晚（内心OS）\n完了完了" in exported
    assert "\n.3-2 夜 内 林家旧宅【闪回】\n\n> 【字幕】十年前 <\n" in exported
    assert "\n@林晚（画外音）\n那一年" in exported
    assert "\n> 切至：\n" in exported


def test_escapes_what_fountain_would_misread() -> None:
    exported = to_fountain([AWKWARD], layout="en", title="")
    assert exported.startswith("\n# Episode 5: \\*Not\\* a title [\\[note]]\n")
    assert "\n!THE DOOR BURSTS OPEN.\nEVERYONE FREEZES.\n" in exported
    assert "\n!BANG.\n" in exported
    assert "\n!INT. is painted on the door\nin red.\n" in exported
    assert "\n!SMASH CUT TO:\n" in exported
    assert "\n!...and then silence.\n!!Bang.\n  \n> not centred <\n" in exported
    assert "\n!@home, #1 /\\* not the boneyard \\*/\n" in exported
    assert "\nMARY JANE\n(softly)\nHi.\n  \nIt's me.\n" in exported
    assert "\nMARY JANE\n\\(This is no parenthetical.) I mean it.\n" in exported
    assert "\n@(V.O.)\nNarration.\n" in exported
    assert "\n@林晚 (INNER)\nThink.\n" in exported
    assert "\n> SUPER: Three years later <\n> \\*Paris\\* <\n" in exported
    assert "\n> DISSOLVE TO:\n" in exported


def test_escapes_emphasis_notes_and_the_boneyard() -> None:
    text = "snake_case *bold* \\ back\\*slash [[note]] /* bone */ [[[x"
    script = stored({"number": 1, "scenes": [scene(1, "", "int", "", line("action", text))]})
    exported = to_fountain([script], layout="zh", title="")
    assert (
        "snake\\_case \\*bold\\* \\ back\\\\\\*slash [\\[note]] /\\* bone \\*/ [\\[\\[x" in exported
    )
    assert from_fountain(exported) == [script]


def upper(script: dict[str, Any]) -> dict[str, Any]:
    """The script as the en layout carries it: places, times and names in capitals."""
    scenes = []
    for each in script["scenes"]:
        heading = {**each["heading"]}
        heading["place"], heading["time"] = heading["place"].upper(), heading["time"].upper()
        elements = [
            {**e, "character": e["character"].upper()} if "character" in e else e
            for e in each["elements"]
        ]
        scenes.append({**each, "heading": heading, "elements": elements})
    return with_seconds({**script, "scenes": scenes})


def test_reads_its_export_back() -> None:
    episodes = [ZH, EN, AWKWARD]
    assert from_fountain(to_fountain(episodes, layout="zh", title="契约")) == episodes
    assert from_fountain(to_fountain(episodes, layout="en", title="")) == list(map(upper, episodes))


def test_reads_hand_written_fountain_liberally() -> None:
    text = """Title: The Contract
Author: Someone

FADE IN:

# Episode 2: The Contract

## Act one
= Mia signs.

INT. PENTHOUSE - NIGHT
Rain lashes the windows. [[fix the weather]]

/* A cut scene
that spans lines */
ETHAN (CONT'D)
(quietly)
You read it twice.
(beat)
Still want to sign?

MIA (V.O.) ^
One year.

===

EXT. HARBOR PIER - DAY (FLASHBACK)

> Ten years earlier <

CUT TO:

# Episode 3

.3-1 夜 内 旧宅 【闪回】

@林晚
（冷笑）
你来了。
"""
    first, second = from_fountain(text)
    assert first["number"] == 2 and first["title"] == "The Contract"
    assert [s["heading"] for s in first["scenes"]] == [
        {"number": 1, "interior": "int", "place": "PENTHOUSE", "time": "NIGHT"},
        {"number": 2, "interior": "ext", "place": "HARBOR PIER", "time": "DAY"},
    ]
    assert [s["flashback"] for s in first["scenes"]] == [False, True]
    assert first["scenes"][0]["elements"] == [
        {"type": "action", "text": "Rain lashes the windows."},
        {
            "type": "dialogue",
            "character": "ETHAN",
            "parenthetical": "quietly",
            "text": "You read it twice.",
        },
        {
            "type": "dialogue",
            "character": "ETHAN",
            "parenthetical": "beat",
            "text": "Still want to sign?",
        },
        {"type": "voiceover", "character": "MIA", "text": "One year."},
    ]
    assert first["scenes"][1]["elements"] == [
        {"type": "caption", "text": "Ten years earlier"},
        {"type": "transition", "text": "CUT TO:"},
    ]
    assert second["number"] == 3 and second["title"] == ""
    assert second["scenes"][0]["flashback"] is True
    assert second["scenes"][0]["elements"] == [
        {"type": "dialogue", "character": "林晚", "parenthetical": "冷笑", "text": "你来了。"}
    ]


@pytest.mark.parametrize(
    ("text", "number", "message"),
    [
        ("# Episode 1\n\nShe waits.\n", 3, "Line 3: this comes before the episode's first scene"),
        ("INT. HOUSE - DAY\n\nBOB\n(beat)\n", 4, "Line 4: a parenthetical needs a line of"),
        ("INT. HOUSE - DAY\n\nBOB\n(looks\naway\n", 4, "Line 4: close the parenthetical: “(looks”"),
        ("INT. HOUSE - DAY\n\nShe\x00 waits.\n", 3, "Line 3: text may not contain NUL"),
        ("# 第3集\n\n.3-2 客厅\n", 3, "Line 3: a scene heading needs a time, 内/外 and a place"),
        ("INT. HOUSE - DAY\n\n" + "She waits.\n" * 5001, 3, "Line 3: the text: Limited to 5000"),
        ("INT. " + "HOUSE" * 41 + "\n", 1, "Line 1: the place: Limited to 200 characters."),
        ("".join(f"INT. ROOM {n}\n\n" for n in range(61)), 121, "Line 121: an episode has at"),
    ],
)
def test_names_the_line_it_cannot_read(text: str, number: int, message: str) -> None:
    with pytest.raises(LayoutError) as error:
        from_fountain(text)
    assert error.value.line == number
    assert str(error.value).startswith(message)


# ---- round trips ------------------------------------------------------------------------------

_EXTRAS = rf"(\^|[（(][{WS}]*(CONT'D|CONT’D|CONT\.|续)[{WS}]*[）)])$"


def carried(script: dict[str, Any], layout: str) -> dict[str, Any] | None:
    """What Fountain keeps of a script: the lines of its texts without spaces at their ends, a
    dialogue line without a character as action, the en layout's capitals; None for what it
    cannot carry at all (the module's list)."""
    scenes = []
    for each in script["scenes"]:
        heading = {**each["heading"]}
        if layout == "en":
            heading["place"], heading["time"] = heading["place"].upper(), heading["time"].upper()
            place, time = heading["place"], heading["time"]
            dash, flashback = f"[-–—][{WS}]", r"\(\s*FLASHBACK\s*\)$"
            if re.search(dash, time) or not time and re.search(f"(^|[{WS}]){dash}", place):
                return None
            if re.search(flashback, place, re.I) or re.search(flashback, time, re.I):
                return None
        elif not heading_ok(heading):
            return None
        elements = []
        for element in each["elements"]:
            element = {**element, "text": "\n".join(map(trim, element["text"].split("\n")))}
            name = element.get("character", "")
            if element["type"] == "dialogue" and not name:
                element = {"type": "action", "text": element["text"]}
            if layout == "en" and name:
                element["character"] = name.upper()
                if name[:1] in "\x1c\x1d\x1e\x1f":
                    return None  # fdx.cue strips what Python counts as white space
            if re.search(_EXTRAS, name, re.I) or split_cue(name)[1] != "dialogue":
                return None
            if element["type"] == "transition" and re.search(r"\n|<$", element["text"]):
                return None
            elements.append(element)
        scenes.append({**each, "heading": heading, "elements": elements})
    try:
        return with_seconds(Script.model_validate({**script, "scenes": scenes}).model_dump())
    except ValueError:
        return None


@settings(deadline=None, max_examples=300)
@given(
    scripts(texts(PIECES).filter(trim), texts(ONE_LINE, ONE_LINE_ANY)),
    st.sampled_from(["zh", "en"]),
)
def test_every_script_reads_back_from_its_export(raw: dict[str, Any], layout: str) -> None:
    try:
        script = Script.model_validate(raw).model_dump(by_alias=True)
    except ValueError:
        assume(False)
    expected = carried(script, layout)
    assume(expected is not None)
    exported = to_fountain([script], layout=layout, title=script["title"])
    assert from_fountain(exported) == [expected]


@settings(deadline=None, max_examples=300)
@given(texts([*PIECES, "INT. X - DAY\n\n", "\n\nBOB\n", "# Episode 1\n\n", ".3-1 日 内 x\n\n"]))
def test_any_document_reads_or_names_a_line(text: str) -> None:
    try:
        episodes = from_fountain(text)
    except LayoutError as error:
        assert str(error).startswith(f"Line {error.line}: ")
    else:
        kept = [carried(episode, "zh") for episode in episodes]
        if None not in kept:
            assert from_fountain(to_fountain(episodes, layout="zh", title="x")) == kept
