"""A series' exports (Final Draft, Word, Markdown, the HTML partial) say what its structure says,
in order, in either layout; model text is escaped and its control characters dropped; the
dialogue statistics are exact and their chart is safe SVG."""

import io
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from jinja2 import Environment, FileSystemLoader
from lxml import etree, html
from markdown_it import MarkdownIt

from app.scripts import words
from app.scripts.docx import EAST_ASIAN, LATIN, to_docx
from app.scripts.fdx import to_fdx
from app.scripts.markdown_export import to_markdown
from app.scripts.screenplay import read_episode
from app.scripts.stats import Speaker, chart_labels, chart_svg, spoken_length, table
from app.scripts.words import printable

HOSTILE = "<script>alert(1)</script>&路人"  # a name from the model
CONTROLS = "\x07\x0b\x1f\ufffe"  # storable, but no XML may hold them


def _series(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Episodes as stored: read from the model's answer."""
    return [read_episode(episode, episode["number"]) for episode in raw]


ZH = _series(
    [
        {
            "number": 1,
            "title": "重逢",
            "scenes": [
                {
                    "heading": {"interior": "int", "place": "客厅", "time": "日"},
                    "elements": [
                        {"type": "action", "text": "林晚推门而入，客厅里一片狼藉。"},
                        {
                            "type": "dialogue",
                            "character": "林晚",
                            "parenthetical": "冷笑",
                            "text": "三年了，你还是*老样子*。",
                        },
                        {"type": "dialogue", "character": "顾言", "text": "晚晚，你听我解释。"},
                        {
                            "type": "monologue",
                            "character": "林晚",
                            "text": "这一次，我不会再心软。",
                        },
                        {"type": "transition", "text": "切至："},
                    ],
                },
                {
                    "heading": {"interior": "ext", "place": "雨夜街头", "time": "夜"},
                    "flashback": True,
                    "elements": [
                        {"type": "caption", "text": "三年前"},
                        {"type": "action", "text": "大雨。少女林晚跪在路边。"},
                        {
                            "type": "voiceover",
                            "character": "林晚",
                            "text": "那一夜，我失去了一切。",
                        },
                        {
                            "type": "dialogue",
                            "character": HOSTILE,
                            "text": f"姑娘[快起来](javascript:x)！{CONTROLS}<b>雨</b> & 风",
                        },
                    ],
                },
            ],
        },
        {
            "number": 2,
            "title": "",
            "scenes": [
                {
                    "heading": {"interior": "int/ext", "place": "车内", "time": "晨"},
                    "elements": [
                        {
                            "type": "dialogue",
                            "character": "顾言",
                            "parenthetical": "（低声）",
                            "text": "# 不是标题\n1. 也不是列表",
                        },
                        {"type": "action", "text": "- 不是列表项 `代码` ~删除~ | 表格"},
                    ],
                }
            ],
        },
    ]
)

EN = _series(
    [
        {
            "number": 1,
            "title": "The Return",
            "scenes": [
                {
                    "heading": {"interior": "int", "place": "living room", "time": "day"},
                    "elements": [
                        {"type": "action", "text": "Lin Wan walks in. The room is a mess."},
                        {
                            "type": "dialogue",
                            "character": "Lin Wan",
                            "parenthetical": "(coldly)",
                            "text": "Three years, and you haven't changed.",
                        },
                        {"type": "monologue", "character": "Lin Wan", "text": "Not this time."},
                        {"type": "transition", "text": "CUT TO:"},
                    ],
                },
                {
                    "heading": {"interior": "ext", "place": "rainy street", "time": "night"},
                    "flashback": True,
                    "elements": [
                        {"type": "caption", "text": "Three years earlier"},
                        {"type": "voiceover", "character": "Lin Wan", "text": "I lost it all."},
                        {"type": "dialogue", "character": HOSTILE, "text": f"Get up!{CONTROLS}"},
                    ],
                },
            ],
        }
    ]
)

# What the structure says, paragraph by paragraph, as Final Draft types it.
FDX_ZH = [
    ("New Act", "第1集 重逢"),
    ("Scene Heading", "1-1 日 内 客厅"),
    ("Action", "林晚推门而入，客厅里一片狼藉。"),
    ("Character", "林晚"),
    ("Parenthetical", "（冷笑）"),
    ("Dialogue", "三年了，你还是*老样子*。"),
    ("Character", "顾言"),
    ("Dialogue", "晚晚，你听我解释。"),
    ("Character", "林晚（内心OS）"),
    ("Dialogue", "这一次，我不会再心软。"),
    ("Transition", "切至："),
    ("Scene Heading", "1-2 夜 外 雨夜街头【闪回】"),
    ("Action", "【字幕】三年前"),
    ("Action", "大雨。少女林晚跪在路边。"),
    ("Character", "林晚（画外音）"),
    ("Dialogue", "那一夜，我失去了一切。"),
    ("Character", HOSTILE),
    ("Dialogue", "姑娘[快起来](javascript:x)！<b>雨</b> & 风"),
    ("New Act", "第2集"),
    ("Scene Heading", "2-1 晨 内外 车内"),
    ("Character", "顾言"),
    ("Parenthetical", "（低声）"),
    ("Dialogue", "# 不是标题\n1. 也不是列表"),
    ("Action", "- 不是列表项 `代码` ~删除~ | 表格"),
]
FDX_EN = [
    ("New Act", "Episode 1: The Return"),
    ("Scene Heading", "INT. LIVING ROOM - DAY"),
    ("Action", "Lin Wan walks in. The room is a mess."),
    ("Character", "LIN WAN"),
    ("Parenthetical", "(coldly)"),
    ("Dialogue", "Three years, and you haven't changed."),
    ("Character", "LIN WAN (INNER)"),
    ("Dialogue", "Not this time."),
    ("Transition", "CUT TO:"),
    ("Scene Heading", "EXT. RAINY STREET - NIGHT (FLASHBACK)"),
    ("Action", "SUPER: Three years earlier"),
    ("Character", "LIN WAN (V.O.)"),
    ("Dialogue", "I lost it all."),
    ("Character", HOSTILE.upper()),
    ("Dialogue", "Get up!"),
]
# The zh layout's lines as Word and HTML show them.
LINES_ZH = [
    "第1集 重逢",
    "1-1 日 内 客厅",
    "△林晚推门而入，客厅里一片狼藉。",
    "林晚：（冷笑）三年了，你还是*老样子*。",
    "顾言：晚晚，你听我解释。",
    "林晚（内心OS）：这一次，我不会再心软。",
    "切至：",
    "1-2 夜 外 雨夜街头【闪回】",
    "【字幕】三年前",
    "△大雨。少女林晚跪在路边。",
    "林晚（画外音）：那一夜，我失去了一切。",
    f"{HOSTILE}：姑娘[快起来](javascript:x)！<b>雨</b> & 风",
    "第2集",
    "2-1 晨 内外 车内",
    "顾言：（低声）# 不是标题\n1. 也不是列表",
    "△- 不是列表项 `代码` ~删除~ | 表格",
]


def _fdx(episodes: list[dict[str, Any]], layout: str) -> etree._Element:
    data = to_fdx(episodes, layout=layout, title="逆光 <重生> & Co")
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n')
    return etree.fromstring(data)


@pytest.mark.parametrize(
    ("episodes", "layout", "expected"), [(ZH, "zh", FDX_ZH), (EN, "en", FDX_EN)]
)
def test_fdx_paragraphs_follow_the_structure(
    episodes: list[dict[str, Any]], layout: str, expected: list[tuple[str, str]]
) -> None:
    root = _fdx(episodes, layout)
    assert (root.tag, root.get("DocumentType"), root.get("Template")) == (
        "FinalDraft",
        "Script",
        "No",
    )
    paragraphs = root.findall("Content/Paragraph")
    assert [(p.get("Type"), "".join(p.xpath("Text/text()"))) for p in paragraphs] == expected
    starts = [p.get("StartsNewPage") for p in paragraphs if p.get("Type") == "New Act"]
    assert starts == ["No"] + ["Yes"] * (len(episodes) - 1)  # an episode a page
    assert root.findtext("TitlePage/Content/Paragraph/Text") == "逆光 <重生> & Co"


def test_fdx_drops_what_xml_cannot_hold() -> None:
    data = to_fdx(ZH, layout="zh", title=f"标题{CONTROLS}\x00")
    assert b"\x07" not in data and b"\x0b" not in data and b"&#" not in data
    assert b"&lt;script&gt;" in data
    assert etree.fromstring(data).findtext("TitlePage/Content/Paragraph/Text") == "标题"
    assert printable(f"a\tb\nc\r{CONTROLS}\ud800\uffff") == "a\tb\nc\r"


def _docx(episodes: list[dict[str, Any]], layout: str) -> Any:
    return docx.Document(io.BytesIO(to_docx(episodes, layout=layout, title="逆光")))


def test_docx_zh_lines_in_order() -> None:
    document = _docx(ZH, "zh")
    paragraphs = document.paragraphs
    assert [p.text for p in paragraphs] == ["逆光", *LINES_ZH]
    line = paragraphs[4]  # 林晚：（冷笑）…
    assert [(run.text, run.bold) for run in line.runs][:2] == [("林晚", True), ("：", None)]
    assert paragraphs[2].runs[0].bold  # the scene heading
    assert paragraphs[7].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert paragraphs[13].paragraph_format.page_break_before  # 第2集 on a new page
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == EAST_ASIAN
    assert fonts.get(qn("w:ascii")) == LATIN


def test_docx_en_one_paragraph_per_element() -> None:
    paragraphs = _docx(EN, "en").paragraphs
    assert [p.text for p in paragraphs] == ["逆光"] + [text for _type, text in FDX_EN]
    by_text = {p.text: p.paragraph_format for p in paragraphs}
    assert by_text["LIN WAN (V.O.)"].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert by_text["I lost it all."].left_indent > 0
    assert by_text["CUT TO:"].alignment == WD_ALIGN_PARAGRAPH.RIGHT


def _rendered_markdown(text: str) -> html.HtmlElement:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return html.fragment_fromstring(parser.render(text), create_parent="div")


def test_markdown_shows_every_line_as_written() -> None:
    text = to_markdown(ZH, layout="zh", title="逆光 *重生*")
    assert text.startswith("# 逆光 \\*重生\\*\n\n## 第1集 重逢\n\n### 1-1 日 内 客厅\n\n△林晚")
    assert "**林晚**：（冷笑）三年了，你还是\\*老样子\\*。" in text
    assert "**林晚（画外音）**：那一夜" in text
    assert "**\\<script\\>alert(1)\\</script\\>\\&路人**：" in text
    assert "**顾言**：（低声）# 不是标题\\\n1\\. 也不是列表" in text
    assert not any(ch in text for ch in CONTROLS)
    page = _rendered_markdown(text)
    # Only our own markup: no link, emphasis, list, code, table or HTML from the model's text.
    tags = {element.tag for element in page.iter()} - {"div"}
    assert tags == {"h1", "h2", "h3", "p", "strong", "br"}
    shown = [element.text_content() for element in page if element.tag != "h1"]
    assert shown == LINES_ZH
    assert page.findtext("h1") == "逆光 *重生*"


def test_markdown_escapes_block_syntax_at_a_line_start() -> None:
    lines = ["# 标题", "- 列表", "+ 加", "> 引用", "1) 一", "2. 二", "===", "    缩进", "|a|b|"]
    scene = {"heading": {}, "elements": [{"type": "action", "text": "\n".join(lines)}]}
    text = to_markdown([{"number": 1, "scenes": [scene]}], layout="en", title="")
    page = _rendered_markdown(text)
    assert [element.tag for element in page] == ["h2", "h3", "p"]
    assert page[2].text_content() == "\n".join(line.strip() for line in lines)


def test_markdown_en() -> None:
    text = to_markdown(EN, layout="en", title="Backlight")
    assert "### EXT. RAINY STREET - NIGHT (FLASHBACK)" in text
    assert "**LIN WAN**: (coldly) Three years, and you haven't changed." in text
    assert "**LIN WAN (V.O.)**: I lost it all." in text
    shown = [element.text_content() for element in _rendered_markdown(text)]
    assert "SUPER: Three years earlier" in shown and "CUT TO:" in shown


def _render(episodes: list[dict[str, Any]], layout: str) -> str:
    env = Environment(loader=FileSystemLoader("templates"), autoescape=True)
    env.globals["_"] = lambda message, **values: message % values
    env.globals["words"] = words  # as app/scripts/views.py gives it
    template = env.from_string(
        '{% from "scripts/_script.html" import script %}{{ script(episodes, layout) }}'
    )
    return template.render(episodes=episodes, layout=layout)


CLASSES = "episode-title scene-heading action cue parenthetical dialogue caption transition"


def _shown(page: str) -> list[tuple[str, str]]:
    """(class, text) of the script's parts, in document order."""
    root = html.fragment_fromstring(page)
    found = []
    for element in root.iter():
        classes = set((element.get("class") or "").split()) & set(CLASSES.split())
        if classes:
            found.append((classes.pop(), element.text_content()))
    return found


def test_partial_en_follows_the_structure() -> None:
    page = _render(EN, "en")
    assert "<SCRIPT>" not in page and "&lt;SCRIPT&gt;" in page
    kinds = {"New Act": "episode-title", "Scene Heading": "scene-heading", "Character": "cue"}
    expected = [(kinds.get(kind, kind.lower()), text) for kind, text in FDX_EN]
    expected[10] = ("caption", "SUPER: Three years earlier")
    # Control characters reach HTML as they are (a browser shows none of them).
    expected[-1] = ("dialogue", f"Get up!{CONTROLS}")
    assert _shown(page) == expected
    root = html.fragment_fromstring(page)
    assert root.get("class") == "script en" and root.get("lang") == "en"
    assert len(root.find_class("flashback")) == 1
    assert root.find_class("runtime")[0].text.startswith("About ")


def test_partial_zh_lines() -> None:
    page = _render(ZH, "zh")
    assert "<script>" not in page and "<b>" not in page
    root = html.fragment_fromstring(page)
    lines = [
        element.text_content().replace(CONTROLS, "")
        for element in root.iter("h2", "h3", "p")
        if "runtime" not in (element.get("class") or "")
    ]
    assert lines == LINES_ZH
    shown = _shown(page)
    assert ("cue", "林晚（画外音）") in shown and ("parenthetical", "（低声）") in shown
    assert ("caption", "【字幕】三年前") in shown
    flashback = root.find_class("flashback")[0]
    assert flashback.find_class("scene-heading")[0].text_content().endswith("【闪回】")


STATS_SERIES = [
    {
        "number": 1,
        "scenes": [
            {
                "heading": {},
                "elements": [
                    {"type": "action", "text": "不计入"},
                    {"type": "dialogue", "character": "林晚", "text": "你好 世界"},  # 4
                    {"type": "monologue", "character": "林晚", "text": "走。"},  # 2
                    {"type": "dialogue", "character": "顾言", "text": "嗯"},  # 1
                    {"type": "caption", "text": "三年后"},
                    {"type": "voiceover", "character": "", "text": "无名旁白"},
                ],
            }
        ],
    },
    {
        "number": 2,
        "scenes": [
            {
                "heading": {},
                "elements": [
                    {"type": "voiceover", "character": "顾言", "text": "我回来了！"},  # 5
                    {"type": "dialogue", "character": "苏晴", "text": "Hi there!"},  # 8
                    {"type": "dialogue", "character": "顾言", "text": "Hi there"},  # 7
                    {"type": "dialogue", "character": "林晚", "text": "\n"},  # 0
                ],
            }
        ],
    },
]


def test_stats_are_exact() -> None:
    stats = table(STATS_SERIES)
    assert stats.episodes == [1, 2]
    assert [(s.name, s.lines, s.chars, s.total_lines, s.total_chars) for s in stats.speakers] == [
        ("顾言", {1: 1, 2: 2}, {1: 1, 2: 12}, 3, 13),
        ("苏晴", {2: 1}, {2: 8}, 1, 8),
        ("林晚", {1: 2, 2: 1}, {1: 6, 2: 0}, 3, 6),
    ]
    assert spoken_length("三年了， 你 \t好\x07\u200b") == 6


def test_stats_ties_rank_by_lines_then_first_line() -> None:
    scene = {
        "heading": {},
        "elements": [
            {"type": "dialogue", "character": name, "text": text}
            for name, text in (("甲", "一二"), ("乙", "一"), ("乙", "一"), ("丙", "一二"))
        ],
    }
    stats = table([{"number": 1, "scenes": [scene]}])
    assert [s.name for s in stats.speakers] == ["乙", "甲", "丙"]


def test_chart_is_accessible_svg_that_escapes_names() -> None:
    stats = table(ZH)
    svg = chart_svg(stats, labels=chart_labels())
    assert "<script" not in svg and "&lt;script&gt;" in svg
    root = etree.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert root.get("viewBox").startswith("0 0 320 ")
    assert root.findtext("s:title", namespaces=ns) == "Dialogue by character"
    assert "林晚: 35 characters in 3 lines" in root.get("aria-label")
    assert not root.xpath("//s:script", namespaces=ns)
    bars = root.findall("s:g", ns)
    assert len(bars) == len(stats.speakers) == 3
    names = [bar.find("s:text", ns).text for bar in bars]
    assert names == ["林晚", HOSTILE[:15] + "…", "顾言"]
    assert bars[1].findtext("s:title", namespaces=ns).startswith(HOSTILE + ":")
    widths = [float(bar.find("s:rect", ns).get("width")) for bar in bars]
    assert widths[0] == 320 and widths == sorted(widths, reverse=True)


def test_chart_takes_control_characters_and_no_speakers() -> None:
    stats = table(STATS_SERIES)
    stats.speakers.append(Speaker(f"坏{CONTROLS}名", {1: 1}, {1: 1}))
    root = etree.fromstring(chart_svg(stats, labels={"title": "图", "bar": "%(name)s %(chars)d"}))
    assert root.findall("{http://www.w3.org/2000/svg}g")[-1][0].text == "坏名 1"
    empty = etree.fromstring(chart_svg(table([]), labels=chart_labels()))
    assert empty.get("aria-label") == "Dialogue by character"
