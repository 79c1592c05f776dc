"""The item being written, read from the end of a model's answer: at any cut (inside a string,
an escape, a surrogate pair, a CJK character), from the whole text or a tail cut anywhere,
never raising, never showing an item that is already complete."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import ideas_json
from test_outline import document

from app.brainstorm.kind import BRAINSTORM, clean
from app.brainstorm.writing import idea_being_written
from app.inputs import storable
from app.jobs.state import TAIL_CHARS, Writing
from app.llm.reading import JsonScanner, open_objects, partial_string
from app.outline.kind import episode_being_written

IDEAS = [
    ("雨夜重逢", '她说："别走。"\n他回头——\\ 雨停了。'),
    (
        'A "quoted" title',
        "Tabs\tand a slash / and an emoji 😀 and {braces} [brackets], commas: yes",
    ),
    ("第三个故事：逆袭", "外卖小哥在最后一集揭开身份。"),
]


def walk(text: str, depth: int) -> list[tuple[int, int | None]]:
    """For each cut k (text[:k]): how many items are complete, and where the item still open
    begins (None between items), as the incremental scanner sees it, one character at a time.
    `depth`: the nesting of an item (3 in {"ideas": [...]}, 2 in a bare array)."""
    scanner, done, states = JsonScanner(), 0, [(0, None)]
    for fed, char in enumerate(text, 1):
        for path, value in scanner.feed(char):
            if len(path) == depth - 1 and isinstance(value, dict):
                done += 1
        top = scanner.stack[-1] if len(scanner.stack) == depth else None
        offset = fed - len(scanner.buffer)  # the scanner forgets what it has read
        states.append((done, offset + top.start if top and top.closer == "}" else None))
    return states


def separator_before(text: str, start: int) -> int:
    """The "[" or "," an item's "{" follows."""
    i = start - 1
    while text[i].isspace():
        i -= 1
    return i


def check_every_cut(text: str, ideas: list[dict[str, str]], depth: int, window: int) -> None:
    """At each cut: the open idea (a prefix of the one being written, and the whole of it
    just before its closing brace) or nothing; a tail of `window` characters reads the same
    as long as it holds the idea's start, else nothing."""
    states = walk(text, depth)
    for k, (done, start) in enumerate(states):
        got = idea_being_written(text[:k], True)
        if start is None or got is None:
            assert got is None or start is not None, (k, got)
        else:
            assert done < len(ideas), (k, got)
            writing = ideas[done]  # never one already complete
            assert writing["title"].startswith(got["title"]), (k, got, writing)
            assert writing["body"].startswith(got["body"]), (k, got, writing)
        if k + 1 < len(states) and states[k + 1][0] > done:
            assert got == ideas[done], (k, got)  # complete but for its brace
        cut = max(0, k - window)
        tail = idea_being_written(text[cut:k], whole=cut == 0)
        if cut == 0 or (start is not None and cut <= separator_before(text, start)):
            assert tail == got, (k, cut, tail, got)
        else:
            assert tail is None, (k, cut, tail)


def cleaned(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [c for t, b in pairs if (c := clean({"title": storable(t), "body": storable(b)}))]


@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "escaped"])
@pytest.mark.parametrize("window", [40, 10_000])
def test_the_idea_being_written_at_every_cut(ascii_only, window):
    body = {"ideas": [{"title": t, "body": b} for t, b in IDEAS]}
    text = json.dumps(body, ensure_ascii=ascii_only, indent=2)
    assert "\\ud83d\\ude00" in text or not ascii_only  # a surrogate pair to cut between
    check_every_cut(text, cleaned(IDEAS), 3, window)


def test_a_bare_array_with_prose_and_a_fence_around_it():
    text = "Sure! Here they are:\n```json\n" + json.dumps(
        [{"title": t, "body": b} for t, b in IDEAS], ensure_ascii=False
    )
    check_every_cut(text + "\n```\nEnjoy.", cleaned(IDEAS), 2, 60)


def test_what_shows_while_an_idea_is_written():
    text = ideas_json(IDEAS)
    second = text.index('"A \\"quoted')
    assert idea_being_written(text[: second + 4], True) == {"title": "A", "body": ""}
    in_body = text.index("emoji") + 5
    got = idea_being_written(text[:in_body], True)
    assert got == {"title": 'A "quoted" title', "body": "Tabs\tand a slash / and an emoji"}
    # Between two ideas, and before the title has begun: nothing.
    assert idea_being_written(text[: text.index("}") + 1], True) is None
    assert idea_being_written(text[: second - 2], True) is None


def test_a_cut_escape_is_left_out_until_it_is_whole():
    for raw, shown in [
        ("ab\\", "ab"),
        ("ab\\u4e", "ab"),
        ("ab\\u4e00", "ab一"),
        ("ab\\\\", "ab\\"),  # an escaped backslash is whole
        ("ab\\\\\\", "ab\\"),
        ("ab\\\\u12", "ab\\u12"),  # text, not an escape
        ("a\\ud83d", "a"),  # half of a pair
        ("a\\ud83d\\ude00", "a😀"),
        ("a\\ude00b", "a\ufffdb"),  # a lone low half
        ("a\\u0000b", "a\ufffdb"),  # NUL is not storable
        ("a\\qb", "aqb"),  # an unknown escape stands for its character
    ]:
        assert partial_string(raw) == shown, raw


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.integers(0, 60))
def test_a_string_cut_anywhere_is_a_prefix_of_what_it_says(value, cut):
    for ascii_only in (False, True):
        encoded = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        shown = partial_string(encoded[:cut])
        assert storable(value).startswith(shown), (value, encoded[:cut], shown)


TRICKY = st.sampled_from(list('ab "\\{}[],:\n\t\r/一二😀\x00\u2028'))
WORDS = st.text(st.one_of(TRICKY, st.characters(exclude_categories=["Cs"])), max_size=25)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(WORDS.filter(lambda t: storable(t).strip()), WORDS), min_size=1, max_size=4),
    st.booleans(),
    st.sampled_from([None, 2]),
    st.integers(8, 200),
)
def test_any_ideas_cut_anywhere(pairs, ascii_only, indent, window):
    text = json.dumps(
        {"ideas": [{"title": t, "body": b} for t, b in pairs]},
        ensure_ascii=ascii_only,
        indent=indent,
    )
    check_every_cut(text, cleaned(pairs), 3, window)


@settings(max_examples=300, deadline=None)
@given(st.text(st.one_of(TRICKY, st.characters()), max_size=200), st.booleans())
def test_anything_at_all_is_read_without_raising(text, whole):
    for found in open_objects(text, whole):
        assert all(isinstance(key, str) for key in found.members)
    idea_being_written(text, whole)
    episode_being_written(text, whole)


def test_a_long_answer_is_read_from_a_bounded_tail():
    """Late in a long answer a flush reads at most TAIL_CHARS characters, and sees the same
    idea as a reading of the whole text would."""
    ideas = [(f"标题 {n}", "很长的故事。" * 40) for n in range(400)]
    text = ideas_json(ideas)
    assert len(text) > 7 * TAIL_CHARS
    writing = Writing.of(BRAINSTORM, "")
    step = 97
    for start in range(0, len(text), step):
        writing = writing.extended(text[start : start + step])
        assert len(writing.tail) <= TAIL_CHARS
        assert writing.whole == (start + step <= TAIL_CHARS)
        if start % (step * 40) == 0:
            assert writing.item == idea_being_written(text[: start + step], True)
    assert Writing.of(BRAINSTORM, text).tail == writing.tail


def test_the_episode_being_written():
    text = json.dumps(document(12), ensure_ascii=False, indent=1)
    episodes = text.index('"episodes"')
    seen: list[Any] = []
    for k in range(len(text) + 1):
        got = episode_being_written(text[:k], True)
        if k < episodes:
            assert got is None, (k, text[:k][-40:], got)  # the header, characters, stages
        elif got is not None:
            number = int(text[:k].rsplit('"number": ', 1)[1].split(",")[0])
            assert f"第{number}集".startswith(got["title"])
            assert f"林晚的第{number}步。".startswith(got["synopsis"])
            seen.append(number)
        tail = episode_being_written(text[max(0, k - 300) : k], whole=k <= 300)
        assert tail == got or (tail is None and k < episodes), k
    assert sorted(set(seen)) == list(range(1, 13))
    before_brace = text.index("}", text.index('"第3集"'))
    assert episode_being_written(text[:before_brace], True) == {
        "title": "第3集",
        "synopsis": "林晚的第3步。",
        "hook": "开场一记耳光",
        "cliffhanger": "门外站着沈言深",
    }
