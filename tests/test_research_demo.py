"""Tests for the research kind's offline demo: questions in the prompt's language, and a cited
outline whose sections, sizes, links and offsets hold for any instructions, hostile ones too."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.research.demo_content import demo_questions, demo_research

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LINK = re.compile(r"\[([^\[\]]*)\]\(([^()\s]*)\)")
URL = re.compile(r"https://example\.(?:com|org|net)/[a-z0-9/-]+")
QUOTED = re.compile(r"「(.+?)」|“(.+?)”")
HEADINGS = {
    "zh": ["## 调研摘要", "## 人物", "## 剧情主线", "## 分集规划", "## 参考来源"],
    "en": [
        "## Research summary",
        "## Characters",
        "## Series arc",
        "## Episode plan",
        "## Sources",
    ],
}
PAYWALL = {"zh": "（付费卡点）", "en": " (paywall)"}
DEMO = {"zh": "（示例）", "en": " (demo)"}
ZH_PROMPTS = [
    "我想写一部关于女主被退婚后逆袭的短剧，要有打脸",
    "霸道总裁和契约新娘的先婚后爱",
    "刑警追查十年前的雨夜凶案，真凶就在身边",
    "侯府嫡女重生归来，步步为营",
    "上门女婿隐藏身份三年，岳父寿宴上一鸣惊人",
    "外卖小哥捡到一张黑卡",
]
EN_PROMPTS = [
    "A surgeon, betrayed by her fiancé, takes revenge at his wedding",
    "A CEO and his contract bride fall in love for real",
    "A detective hunts the killer of a ten-year-old murder case",
    "A reborn palace maid plots against the emperor's favourite concubine",
    "The son-in-law everyone mocks is secretly a billionaire",
    "Two rival food truck owners in Lisbon",
]
HOSTILE = (
    "<script>alert(1)</script> [click](javascript:alert(1)) `rm -rf /` **bold** ~~x~~\n"
    "# heading\n| a | b |\n<img src=x onerror=alert(1)> ![i](http://evil.test/x.png) \\[ &lt;"
)


def instructions(prompt: str, answers: str = "") -> str:
    """Instructions shaped like the research kind's: a language line, the request, answers."""
    language = "Chinese (简体中文)" if CJK.search(prompt) else "English"
    text = f"Write in {language}.\n\nThe writer's request:\n{prompt}"
    if answers:
        text += f"\n\nThe writer's answers to your questions:\nQ: {demo_questions(prompt)[0]}"
        text += f"\nA: {answers}"
    return text


def han(text: str) -> int:
    return len(CJK.findall(text))


def assert_safe_links(markdown: str) -> None:
    """Every link targets an https example.* URL, and no bracket is left outside a link."""
    for _text, url in LINK.findall(markdown):
        assert URL.fullmatch(url), url
    bare = LINK.sub("", markdown)
    assert "[" not in bare and "]" not in bare and "](" not in bare


@pytest.mark.parametrize("prompts, zh", [(ZH_PROMPTS, True), (EN_PROMPTS, False)])
def test_questions_follow_the_prompts_language(prompts: list[str], zh: bool) -> None:
    for prompt in prompts:
        questions = demo_questions(prompt)
        assert 2 <= len(questions) <= 5
        assert all(bool(CJK.search(q)) == zh for q in questions), questions
        assert all(q.endswith(("？", "。") if zh else ("?", ".")) for q in questions), questions


def test_questions_are_deterministic_and_vary_by_prompt() -> None:
    prompts = ZH_PROMPTS + EN_PROMPTS
    assert [demo_questions(p) for p in prompts] == [demo_questions(p) for p in prompts]
    asked = {tuple(demo_questions(p)) for p in prompts}
    assert len(asked) == len(prompts)
    assert len({len(demo_questions(f"{p} {n}")) for p in prompts for n in range(5)}) >= 3


def test_a_question_quotes_a_short_whole_phrase_of_the_prompt() -> None:
    quotes = []
    for prompt in ZH_PROMPTS + EN_PROMPTS + [f"{p}，第{n}版" for p in ZH_PROMPTS for n in range(9)]:
        for question in demo_questions(prompt):
            for zh_quote, en_quote in QUOTED.findall(question):
                quotes.append((prompt, zh_quote or en_quote))
    assert quotes
    for prompt, quote in quotes:
        if CJK.search(quote):
            assert len(quote) <= 20 and quote in prompt, quote
        else:
            words = quote.split()
            assert len(words) <= 6, quote
            assert all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", prompt) for w in words), quote


def test_questions_never_quote_markup() -> None:
    for prompt in (HOSTILE, "<b>复仇</b>女主`归来`[点我](javascript:x)", "**霸总**|契约|#婚姻"):
        for question in demo_questions(prompt):
            assert not set("<>[]`*#|") & set(question), question
            assert "javascript:" not in question


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_document_has_every_section_in_its_language(language: str) -> None:
    prompts = ZH_PROMPTS if language == "zh" else EN_PROMPTS
    for prompt in prompts:
        document = demo_research(instructions(prompt), language)
        markdown = document.markdown
        assert markdown.startswith(f"# {document.title}\n")
        at = [markdown.index(f"\n{heading}\n") for heading in HEADINGS[language]]
        assert at == sorted(at)
        characters = markdown[at[1] : at[2]].count("\n- **")
        assert 3 <= characters <= 5
        assert markdown[at[2] : at[3]].count("\n- **") == 4
        beats = re.findall(r"^(\d+)\. \*\*", markdown[at[3] : at[4]], re.M)
        assert [int(b) for b in beats] == list(range(1, len(beats) + 1))
        assert 10 <= len(beats) <= 20
        assert markdown.count(PAYWALL[language]) == 1
        assert (han(markdown) > len(markdown) / 2) == (language == "zh")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_citations_are_demo_links_at_exact_offsets(language: str) -> None:
    for prompt in ZH_PROMPTS + EN_PROMPTS:
        document = demo_research(instructions(prompt), language)
        markdown, citations = document.markdown, document.citations
        assert 3 <= len(citations) <= 6
        sources = markdown[markdown.index(HEADINGS[language][-1]) :]
        offsets = [c.after for c in citations]
        assert offsets == sorted(set(offsets)) and 0 < offsets[0] and offsets[-1] < len(markdown)
        assert offsets[-1] < markdown.index(HEADINGS[language][1])  # all in the summary
        for citation in citations:
            assert URL.fullmatch(citation.url) and citation.title.endswith(DEMO[language])
            assert re.search(
                rf"\[[^\[\]]+\]\({re.escape(citation.url)}\)$", markdown[: citation.after]
            )
            assert f"- [{citation.title}]({citation.url})\n" in sources
        assert len({c.url for c in citations}) == len(citations)


def test_sizes_look_like_a_real_run() -> None:
    for n, prompt in enumerate(ZH_PROMPTS + EN_PROMPTS):
        for answers in ("", "女频，80集，每集90秒，抖音", "male audience, 100 episodes, TikTok"):
            zh = demo_research(instructions(prompt, answers) + f" {n}", "zh").markdown
            en = demo_research(instructions(prompt, answers) + f" {n}", "en").markdown
            assert 2500 <= han(zh) and len(zh) <= 6000, (han(zh), len(zh))
            assert 4000 <= len(en) <= 9000, len(en)


def test_research_is_deterministic_and_varies_by_instructions() -> None:
    for language in ("zh", "en"):
        texts = [instructions(p) for p in ZH_PROMPTS + EN_PROMPTS]
        assert [demo_research(t, language) for t in texts] == [
            demo_research(t, language) for t in texts
        ]
        documents = [demo_research(t, language) for t in texts]
        assert len({d.title for d in documents}) > len(texts) / 2
        assert len({d.markdown for d in documents}) == len(texts)


def test_the_writers_words_shape_the_outline() -> None:
    zh = demo_research(instructions(ZH_PROMPTS[0], "快手，女频，80集，每集90秒"), "zh").markdown
    assert "快手" in zh and "共80集" in zh and "每集约90秒" in zh and "女频观众" in zh
    assert "*女主被退婚后逆袭*" in zh  # the premise, without the boilerplate around it
    assert re.search(r"第\d+–80集", zh)
    en = demo_research(instructions(EN_PROMPTS[3], "men, 120 episodes on ReelShort"), "en")
    assert "ReelShort" in en.markdown and "120 episodes" in en.markdown
    assert "male-leaning" in en.markdown and "Write in" not in en.markdown
    assert re.search(r"Eps \d+–120\*\*", en.markdown)


@pytest.mark.parametrize("count", [20, 21, 35, 120])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_episode_is_planned_once_whatever_the_count(count: int, language: str) -> None:
    for n in range(20):
        markdown = demo_research(f"{count} episodes, take {n}", language).markdown
        plan = markdown[markdown.index(HEADINGS[language][3]) :]
        spans = re.findall(
            r"(?:第|Eps? )(\d+)(?:–(\d+))?(?:集)?(?:（付费卡点）| \(paywall\))?\*\*", plan
        )
        episodes = [e for a, b in spans for e in range(int(a), int(b or a) + 1)]
        assert episodes == list(range(1, count + 1))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_hostile_instructions_leave_no_markup(language: str) -> None:
    for text in (HOSTILE, instructions("复仇" + HOSTILE, HOSTILE), "`x`\n<b>](javascript:1)"):
        markdown = demo_research(text, language).markdown
        assert "<" not in markdown and ">" not in markdown and "`" not in markdown
        assert "javascript:" not in markdown.casefold()
        assert_safe_links(markdown)
        assert markdown.count("\n# ") == 0 and markdown.startswith("# ")


@settings(max_examples=150, deadline=None)  # timing varies with the load of a CI machine
@given(text=st.text(), language=st.sampled_from(["zh", "en"]))
def test_any_instructions_give_a_titled_document_with_safe_links(text: str, language: str) -> None:
    markdown = demo_research(text, language).markdown
    assert re.match(r"# \S", markdown)
    assert_safe_links(markdown)
