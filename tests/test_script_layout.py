"""The writers' layout of an episode: every element reads as typed, a line that cannot be read is
named with its number, the models' limits are errors, and every script the app can store reads
back from its text as it was (what cannot is the documented list, nothing more)."""

import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.scripts.layout import WS, LayoutError, from_text, interior, split_cue, to_text, trim
from app.scripts.screenplay import Script, with_seconds


def stored(script: dict[str, Any]) -> dict[str, Any]:
    """A script as the app stores it."""
    return with_seconds(Script.model_validate(script).model_dump(by_alias=True))


def line(kind: str, text: str, character: str = "", parenthetical: str = "") -> dict[str, str]:
    return {"type": kind, "character": character, "parenthetical": parenthetical, "text": text}


def scene(number: int, time: str, where: str, place: str, *elements: Any, **kw: Any) -> dict:
    heading = {"number": number, "interior": where, "place": place, "time": time}
    return {"heading": heading, "elements": list(elements), **kw}


ZH = stored(
    {
        "number": 3,
        "title": "契约到期",
        "scenes": [
            scene(
                1,
                "日",
                "int",
                "顾氏集团总裁办公室",
                line("action", "林晚抱着一摞文件推门而入，高跟鞋一崴，文件散了一地。"),
                line("dialogue", "林秘书，这是你本月第三次迟到。", "顾沉", "冷淡"),
                line("monologue", "完了完了，扣工资是小事，他不会要解约吧？", "林晚"),
                line("dialogue", "顾总，我……路上堵车。", "林晚", "小声"),
                line("action", "顾沉起身，一步步逼近，\n将她困在办公桌前。"),
                line("dialogue", "合约还剩三十天。这三十天，你只许看着我。", "顾沉"),
                line("transition", "切至："),
            ),
            scene(
                2,
                "夜",
                "int",
                "林家旧宅",
                line("caption", "十年前"),
                line("action", "暴雨夜，少年顾沉浑身湿透地蹲在屋檐下。小林晚撑着伞跑过来。"),
                line("voiceover", "那一年，我把唯一的伞给了一个不认识的少年。", "林晚"),
                line("dialogue", "哥哥，伞给你，你别哭呀。", "小林晚"),
                flashback=True,
            ),
            scene(
                3,
                "夜",
                "ext",
                "顾氏集团楼下",
                line("caption", "当晚"),
                line("action", "林晚走出大楼，一辆黑色迈巴赫停在她面前。"),
                line("monologue", "十年了，她果然不记得我。", "顾沉"),
                line("dialogue", "上车，我送你。", "顾沉", "低声"),
            ),
        ],
    }
)

ZH_TEXT = """第3集 契约到期

3-1 日 内 顾氏集团总裁办公室
△林晚抱着一摞文件推门而入，高跟鞋一崴，文件散了一地。
顾沉：（冷淡）林秘书，这是你本月第三次迟到。
林晚（内心OS）：完了完了，扣工资是小事，他不会要解约吧？
林晚：（小声）顾总，我……路上堵车。
△顾沉起身，一步步逼近，
将她困在办公桌前。
顾沉：合约还剩三十天。这三十天，你只许看着我。
【转场】切至：

3-2 夜 内 林家旧宅 【闪回】
【字幕】十年前
△暴雨夜，少年顾沉浑身湿透地蹲在屋檐下。小林晚撑着伞跑过来。
林晚（画外音）：那一年，我把唯一的伞给了一个不认识的少年。
小林晚：哥哥，伞给你，你别哭呀。

3-3 夜 外 顾氏集团楼下
【字幕】当晚
△林晚走出大楼，一辆黑色迈巴赫停在她面前。
顾沉（内心OS）：十年了，她果然不记得我。
顾沉：（低声）上车，我送你。
"""

EN = stored(
    {
        "number": 2,
        "title": "The Contract",
        "scenes": [
            scene(
                1,
                "NIGHT",
                "int",
                "Penthouse living room",
                line("action", "Rain lashes the windows. MIA (20s) stands barefoot."),
                line("dialogue", "You read it twice. Still want to sign?", "Ethan", "quietly"),
                line("monologue", "One year. I can survive one year.", "Mia"),
                line("dialogue", "Where do I sign?", "Mia"),
                line("transition", "CUT TO:"),
            ),
            scene(
                2,
                "DAY",
                "ext",
                "Harbor pier",
                line("caption", "Ten years earlier"),
                line("voiceover", "She doesn't remember the boy on the pier.", "Ethan"),
                flashback=True,
            ),
        ],
    }
)


def test_writes_the_layout_writers_type() -> None:
    assert to_text(ZH) == ZH_TEXT
    assert from_text(ZH_TEXT, 3) == ZH


@pytest.mark.parametrize("script", [ZH, EN], ids=["zh", "en"])
def test_the_fixtures_read_back(script: dict[str, Any]) -> None:
    assert from_text(to_text(script), script["number"]) == script


def test_reads_the_variants_writers_type() -> None:
    text = """
第3集：契约到期
3-1、日\u3000内\u3000顾氏集团总裁办公室
  △林晚推门而入，
文件散了一地。
顾沉:(冷淡)林秘书，迟到了。
林晚（内心OS）：（慌乱）完了。
顾沉：
（低声）
上车。
【字幕】：十年前
切至：
3-2 NIGHT INT. Penthouse 【闪回】
MIA (V.O.): One year.
Mia (INNER): I can survive.
CUT TO:
３-３ 林家旧宅 夜 外
[转场]淡出
3-4 (FLASHBACK) DAY I/E Harbor pier
\\△ not a marker
"""
    with pytest.raises(LayoutError, match="Line 20: a line starting with “\\\\” continues"):
        from_text(text, 3)
    script = from_text(text.replace("\\△ not a marker\n", "△码头\n\\△ not a marker\n"), 3)
    assert script["title"] == "契约到期"
    headings = [(s["heading"], s["flashback"]) for s in script["scenes"]]
    assert headings == [
        ({"number": 1, "interior": "int", "place": "顾氏集团总裁办公室", "time": "日"}, False),
        ({"number": 2, "interior": "int", "place": "Penthouse", "time": "NIGHT"}, True),
        ({"number": 3, "interior": "ext", "place": "林家旧宅", "time": "夜"}, False),
        ({"number": 4, "interior": "int/ext", "place": "Harbor pier", "time": "DAY"}, True),
    ]
    elements = [e for s in script["scenes"] for e in s["elements"]]
    assert elements == [
        {"type": "action", "text": "林晚推门而入，\n文件散了一地。"},
        {
            "type": "dialogue",
            "character": "顾沉",
            "parenthetical": "冷淡",
            "text": "林秘书，迟到了。",
        },
        {"type": "monologue", "character": "林晚", "parenthetical": "慌乱", "text": "完了。"},
        {"type": "dialogue", "character": "顾沉", "parenthetical": "低声", "text": "上车。"},
        {"type": "caption", "text": "十年前"},
        {"type": "transition", "text": "切至："},
        {"type": "voiceover", "character": "MIA", "text": "One year."},
        {"type": "monologue", "character": "Mia", "text": "I can survive."},
        {"type": "transition", "text": "CUT TO:"},
        {"type": "transition", "text": "淡出"},
        {"type": "action", "text": "码头\n△ not a marker"},
    ]


def test_escapes_lines_that_would_read_as_something_else() -> None:
    tricky = "3-2 日 内 客厅\n林晚：不是台词\n\n  缩进\n\\反斜杠\n△\n【字幕】"
    script = stored(
        {
            "number": 3,
            "scenes": [
                scene(
                    1,
                    "日",
                    "int",
                    "客厅",
                    line("action", "开头\n" + tricky),
                    line("dialogue", "(不是括注) 台词", "林晚"),
                    line("dialogue", "台词", "林晚", "笑（大笑）"),
                    line("caption", "：冒号开头"),
                ),
            ],
        }
    )
    text = to_text(script)
    assert "\\3-2 日 内 客厅\n\\林晚：不是台词\n\\\n  缩进\n\\\\反斜杠\n\\△\n\\【字幕】" in text
    assert "林晚：（）(不是括注) 台词" in text
    assert "林晚：(笑（大笑）)台词" in text
    assert "【字幕】：：冒号开头" in text
    assert from_text(text, 3) == script


def test_a_line_break_inside_a_parenthetical_is_an_error() -> None:
    with pytest.raises(LayoutError, match="Line 3: close the parenthetical: “（冷笑”"):
        from_text("第3集\n3-1 日 内 客厅\n林晚：（冷笑\n）台词", 3)


EPISODE = "第3集\n3-1 日 内 客厅\n"


@pytest.mark.parametrize(
    ("text", "number", "message"),
    [
        ("", 1, "Line 1: the text is empty; its first line names the episode: “第3集 标题”."),
        ("\n \n3-1 日 内 客厅", 3, "Line 3: the first line names the episode, e.g. “第3集 标题”"),
        (
            "第4集 重逢",
            1,
            "Line 1: this is episode 3, so the first line reads “第3集 …”: “第4集 重逢”",
        ),
        (
            "第3集\n\n3-2 客厅",
            3,
            "Line 3: a scene heading needs a time, 内/外 and a place: “3-2 客厅”",
        ),
        ("第3集\n2-1 日 内 客厅", 2, "Line 2: this is episode 3, so its scenes are numbered"),
        ("第3集\n△林晚推门", 2, "Line 2: a scene starts with a heading such as “3-1 日 内 客厅”"),
        (EPISODE + "林晚推门而入。", 3, "Line 3: start action with “△” and dialogue with"),
        (EPISODE + "△推门\n\n坐下。", 5, "Line 5: start action with “△”"),
        (EPISODE + "\\接着", 3, "Line 3: a line starting with “\\” continues the line above it"),
        (EPISODE + "林晚：（冷笑 你好", 3, "Line 3: close the parenthetical: “（冷笑 你好”"),
        (EPISODE + "\n林晚：（冷笑）\n", 4, "Line 4: this line has no text: “林晚：（冷笑）”"),
        (EPISODE + "△\n", 3, "Line 3: this line has no text: “△”"),
        (EPISODE + "△a\n△b\x00", 4, "Line 4: text may not contain NUL characters"),
        ("第3集\n3-1 日 内 客\ud800厅", 2, "Line 2: text may not contain NUL characters"),
        ("第3集 " + "长" * 201, 1, "Line 1: the episode title: Limited to 200 characters."),
        ("第3集\n3-1 日 内 " + "客" * 201, 2, "Line 2: the place: Limited to 200 characters."),
        (EPISODE + "△a\n△b\n" + "c" * 5000, 4, "Line 4: the text: Limited to 5000 characters."),
        (EPISODE + "林晚：（" + "冷" * 201 + "）台词", 3, "Line 3: the parenthetical: Limited"),
    ],
)
def test_names_the_line_that_cannot_be_read(text: str, number: int, message: str) -> None:
    with pytest.raises(LayoutError) as error:
        from_text(text, 3)
    assert error.value.line == number
    assert str(error.value).startswith(message)


def test_limits_are_errors_on_the_line_past_them() -> None:
    scenes = "".join(f"3-{n} 日 内 客厅\n△推门\n" for n in range(1, 62))
    with pytest.raises(LayoutError, match="Line 122: an episode has at most 60 scenes."):
        from_text("第3集\n" + scenes, 3)
    elements = "△推门\n" * 401
    with pytest.raises(LayoutError, match="Line 403: a scene has at most 400 lines"):
        from_text(EPISODE + elements, 3)


# ---- round trips ------------------------------------------------------------------------------

# Markers, headings, brackets, colons, backslashes, white space the models strip and some they
# do not: the pieces a text is made of.
PIECES = [
    *("△", "▲", "【字幕】", "[转场]", "【闪回】", "(FLASHBACK)", "第3集", "3-1", "３-１", "-2"),
    *("林晚：", "Bob:", "（画外音）", "(V.O.)", "（内心OS）", "（", "）", "(", ")", "：", ":"),
    *("\\", "\n", "\n\n", " ", "\u3000", "\t", "\x85", "\u2028", "\x1c", "、", ".", "^"),
    *("切至：", "CUT TO:", "内", "外", "INT.", "i/e", "日", "DAY", "a", "林", "*", "_", "[["),
    *("/*", "@", "!", "#", ">", "<", "=", "~", "SUPER:", "CONT'D"),
]
ANY = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r")


def texts(pieces: list[str], alphabet: st.SearchStrategy[str] = ANY) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(pieces), st.text(alphabet, min_size=1, max_size=3))
    return st.lists(piece, min_size=1, max_size=8).map("".join)


ONE_LINE = [piece for piece in PIECES if "\n" not in piece]
ONE_LINE_ANY = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n")
_FLASHBACK = r"[【\[（(]\s*(闪回|回忆|FLASHBACK)\s*[】\]）)]"


# What the layout cannot carry (its docstring's list), field by field, as the models keep them.
def name_ok(name: str) -> bool:
    name = trim(name)
    return (
        not re.search("[:：]", name)
        and split_cue(name)[1] == "dialogue"
        and name[:1] not in ("\\", "△", "▲", "【", "[")
        and not re.match("[0-9０-９]+\\s*[-－—–]", name)
    )


def parenthetical_ok(how: str) -> bool:
    return not (")" in how and "）" in how)


def heading_ok(heading: dict[str, Any]) -> bool:
    time, place = trim(heading["time"]), trim(heading["place"])
    return (
        not any(interior(word) for word in re.split(f"[{WS}]+", time))
        and not re.match(_FLASHBACK, time, re.I)
        and not re.search(_FLASHBACK + r"\s*$", place, re.I)
        and (place or not re.search(f"[{WS}]", time))
    )


def scripts(text: st.SearchStrategy[str], one_line: st.SearchStrategy[str]) -> Any:
    kind = st.sampled_from(["dialogue", "voiceover", "monologue"])
    spoken = st.builds(
        line, kind, text, one_line.filter(name_ok), one_line.filter(parenthetical_ok)
    )
    other = st.builds(line, st.sampled_from(["action", "caption", "transition"]), text)
    heading = st.fixed_dictionaries(
        {
            "number": st.integers(0, 2**31 - 1),
            "interior": st.sampled_from(["int", "ext", "int/ext"]),
            "place": one_line,
            "time": one_line,
        }
    ).filter(heading_ok)
    each = st.fixed_dictionaries(
        {
            "heading": heading,
            "flashback": st.booleans(),
            "elements": st.lists(st.one_of(spoken, other), max_size=6),
        }
    )
    return st.fixed_dictionaries(
        {
            "number": st.integers(0, 2**31 - 1),
            "title": one_line,
            "scenes": st.lists(each, min_size=1, max_size=3),
        }
    )


@settings(deadline=None, max_examples=500)
@given(scripts(texts(PIECES).filter(trim), texts(ONE_LINE, ONE_LINE_ANY)))
def test_every_storable_script_reads_back_from_its_text(raw: dict[str, Any]) -> None:
    try:
        script = Script.model_validate(raw).model_dump(by_alias=True)
    except ValueError:
        assume(False)
    assert from_text(to_text(script), script["number"]) == with_seconds(script)


@settings(deadline=None, max_examples=300)
@given(texts([*PIECES, "3-1 日 内 客厅\n", "第3集\n", "\n林晚：（冷笑）"]))
def test_any_text_reads_or_names_a_line(text: str) -> None:
    for candidate in (text, "第3集\n" + text, "第3集\n3-1 日 内 客厅\n" + text):
        try:
            script = from_text(candidate, 3)
        except LayoutError as error:
            assert 1 <= error.line <= candidate.count("\n") + candidate.count("\r") + 1
            assert str(error).startswith(f"Line {error.line}: ")
        else:
            assert from_text(to_text(script), 3) == script
