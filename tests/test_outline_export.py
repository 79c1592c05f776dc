"""An outline's exports: Markdown that reads back as it was written, labels in the outline's
language, JSON, and a print page that escapes model text."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app import create_app
from app.outline.components import STAGES, Components, empty
from app.outline.export import (
    LANGUAGES,
    from_markdown,
    labels,
    language_of,
    render_html,
    to_json,
    to_markdown,
)

# Text that looks like Markdown, or like this export's own structure, or is whitespace.
TRICKY = [
    "# not a heading",
    "- not a list",
    "**x**",
    "* star",
    "+ plus",
    "1. one",
    "2) two",
    "> quote",
    "---",
    "===",
    "___",
    "```",
    "~~~",
    "    code",
    "|a|b|",
    "[a](b)",
    "<br>",
    "<script>",
    "&#32;",
    "&amp;",
    "\\",
    "`",
    "_",
    "#",
    "：",
    ":",
    ": ",
    " · ",
    "**角色定位：** ",
    "**Role:** ",
    "- **沈夜**：",
    "### 第1集",
    "Episode 2: ",
    "开篇 · 第1–2集",
    "人物小传",
    "霸道总裁",
    "她重生回到了订婚宴。",
    "The heir returns.",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\n  ",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "\x1c",
    "\u3000",
    "\xa0",
]
pieces = st.sampled_from(TRICKY) | st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=6
)


def texts(most: int = 200) -> st.SearchStrategy[str]:
    return st.lists(pieces, max_size=6).map(lambda parts: "".join(parts)[:most])


numbers = st.integers(min_value=-3, max_value=10**12)
characters = st.fixed_dictionaries(
    {
        "name": texts().filter(str.strip),
        "role": texts(),
        "age": texts(40),
        "personality": texts(),
        "goal": texts(),
        "contrast": texts(),
        "advantage": texts(),
        "advantageCost": texts(),
        "relationships": st.lists(
            st.fixed_dictionaries({"name": texts(), "relation": texts()}), max_size=3
        ),
    }
)
outlines = st.fixed_dictionaries(
    {
        "title": texts(),
        "logline": texts(),
        "genre": texts(),
        "audience": texts(),
        "sellingPoints": st.lists(texts(), max_size=3),
        "setting": texts(),
        "characters": st.lists(characters, max_size=3),
        "stages": st.lists(
            st.fixed_dictionaries(
                {
                    "stage": st.sampled_from(STAGES),
                    "fromEpisode": numbers,
                    "toEpisode": numbers,
                    "summary": texts(),
                }
            ),
            max_size=4,
        ),
        "episodes": st.lists(
            st.fixed_dictionaries(
                {
                    "number": numbers,
                    "title": texts(),
                    "synopsis": texts(),
                    "hook": texts(),
                    "cliffhanger": texts(),
                }
            ),
            max_size=4,
        ),
    }
)


def normalised(outline: dict[str, Any]) -> dict[str, Any]:
    """What an outline holds once validated: each text stripped of surrounding whitespace."""
    return Components.model_validate(outline).model_dump(by_alias=True)


def outline(**fields: Any) -> dict[str, Any]:
    return normalised({**empty(), **fields})


CHINESE = outline(
    title="重生之豪门千金",
    logline="被害死的千金重生回到订婚宴，\n这一次她要亲手揭穿真相。",
    genre="重生 复仇",
    sellingPoints=["开局即反转", "# 不是标题"],
    characters=[
        {
            "name": "林晚",
            "role": "女主",
            "advantage": "前世记忆",
            "relationships": [{"name": "沈夜", "relation": "宿敌"}],
        }
    ],
    stages=[{"stage": "opening", "fromEpisode": 1, "toEpisode": 10, "summary": "订婚宴重生"}],
    episodes=[{"number": 1, "title": "重生", "synopsis": "她在订婚宴上醒来。", "hook": "一杯毒酒"}],
)
ENGLISH = outline(
    title="The Heir Returns",
    logline="A disowned heir comes back to take the company.",
    episodes=[{"number": 1, "title": "Reborn", "synopsis": "He wakes up at the gala."}],
)


@settings(max_examples=300, deadline=None)
@given(outlines)
@example(CHINESE)
@example(ENGLISH)
@example(empty())
@example(
    outline(
        title=" # not a heading ",
        logline="- not a list\n**x**\n\n  indented\n1. one",
        episodes=[{"number": 3, "synopsis": "line one  \n\n### 第4集\n- **沈夜**：x"}],
    )
)
def test_markdown_reads_back_what_it_wrote(components: dict[str, Any]) -> None:
    assert from_markdown(to_markdown(components)) == normalised(components)


def test_markdown_shows_markdown_looking_text_as_text() -> None:
    written = to_markdown(outline(logline="# not a heading\n- not a list\n**x**"))
    assert "\\# not a heading  \n\\- not a list  \n\\*\\*x\\*\\*" in written
    assert "\n# " not in written and "\n- " not in written
    numbered = to_markdown(outline(title="Ep #", setting="1. one\n2) two"))
    assert numbered.startswith("# Ep \\#\n") and "\n1\\. one  \n2\\) two\n" in numbered


def test_markdown_with_windows_line_ends_reads_back() -> None:
    assert from_markdown(to_markdown(CHINESE).replace("\n", "\r\n")) == CHINESE


def test_a_chinese_outline_is_labelled_in_chinese() -> None:
    written = to_markdown(CHINESE)
    assert language_of(CHINESE) == "zh"
    assert written.startswith("# 重生之豪门千金\n\n## 一句话梗概\n\n")
    for line in (
        "## 类型与受众",
        "**类型：** 重生 复仇",
        "- \\# 不是标题",
        "## 人物小传",
        "### 林晚",
        "**金手指：** 前世记忆",
        "- **沈夜**：宿敌",
        "### 开篇 · 第1–10集",
        "### 第1集 重生",
        "**剧情：** 她在订婚宴上醒来。",
        "**开场钩子：** 一杯毒酒",
    ):
        assert "\n" + line + "\n" in written
    assert "Logline" not in written and "Episode" not in written


def test_an_english_outline_is_labelled_in_english() -> None:
    written = to_markdown(ENGLISH)
    assert language_of(ENGLISH) == "en"
    assert "\n## Logline\n" in written
    assert "\n### Episode 1: Reborn\n\n**Synopsis:** He wakes up at the gala.\n" in written
    assert "梗概" not in written


def test_empty_fields_are_left_out() -> None:
    sparse = outline(title="空白", episodes=[{"number": 2}], characters=[{"name": "林晚"}])
    assert to_markdown(sparse) == "# 空白\n\n## 人物小传\n\n### 林晚\n\n## 分集大纲\n\n### 第2集\n"
    assert to_markdown(empty()) == ""
    assert from_markdown("") == empty()


def test_what_is_not_an_export_is_refused() -> None:
    for text in ("## 不是章节\n", "just text\n", "## 分集大纲\n\n### 第一集\n", "**Nope:** x\n"):
        with pytest.raises(ValueError):
            from_markdown(text)


def test_labels_exist_once_in_each_language() -> None:
    assert labels("zh").keys() == labels("en").keys()
    for language in LANGUAGES:
        names = [labels(language)[key] for key in ("logline", "genre", "hook", "synopsis")]
        assert len(set(names)) == len(names)


def test_json_keeps_chinese_readable() -> None:
    text = to_json(CHINESE)
    assert "重生之豪门千金" in text and "\n  " in text
    assert json.loads(text) == CHINESE


@pytest.fixture
def bare_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app without a database or Redis: rendering a page needs neither."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True})
    with app.test_request_context():
        yield app


def test_print_page_escapes_model_text(bare_app: Flask) -> None:
    hostile = {
        **CHINESE,
        "episodes": [{**CHINESE["episodes"][0], "synopsis": "<script>x()</script>"}],
    }
    page = render_html(hostile)
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<script" not in page and "style=" not in page
    assert page.startswith("<!doctype html>") or "\n<!doctype html>" in page
    assert '<html lang="zh">' in page
    assert 'rel="stylesheet" href="/static/print.css?v=' in page
    assert "<h2>人物小传</h2>" in page and "第1集 重生" in page


def test_print_page_of_an_english_outline(bare_app: Flask) -> None:
    page = render_html(ENGLISH)
    assert '<html lang="en">' in page
    assert "<h2>Logline</h2>" in page and "<dt>Synopsis</dt>" in page
    assert "Characters" not in page  # no section without content
