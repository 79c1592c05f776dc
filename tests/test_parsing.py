"""Reading ideas out of a partial answer, cursors, and SSE framing."""

import json

import pytest
from support import ideas_json

from app.brainstorm.kind import build_messages, clean
from app.live.cursor import Cursor
from app.live.cursor import parse as parse_cursor
from app.live.feed import sse
from app.llm.reading import JsonScanner, items_of

ANSWER = ideas_json([("一", "甲乙"), ("Two", "b\\"), ("Three", "c")])


def ideas_in(text: str, step: int) -> list[list[dict]]:
    """Feed the text `step` characters at a time; the ideas found after each piece."""
    scanner, found, seen = JsonScanner(), [], []
    for start in range(0, len(text), step):
        for path, value in scanner.feed(text[start : start + step]):
            if items_of(path, value) and (idea := clean(value)):
                found.append(idea)
        seen.append(list(found))
    return seen


def test_ideas_appear_only_once_complete():
    seen = ideas_in(ANSWER, 1)
    assert [len(s) for s in seen] == sorted(len(s) for s in seen) and len(seen[-1]) == 3
    first_done = ANSWER.index("}") + 1
    assert seen[first_done - 2] == [] and seen[first_done - 1] == [{"title": "一", "body": "甲乙"}]


EXPECTED = [
    {"title": "一", "body": "甲乙"},
    {"title": "Two", "body": "b\\"},
    {"title": "Three", "body": "c"},
]
BARE = json.dumps(
    [{"title": t, "body": b} for t, b in [("一", "甲乙"), ("Two", "b\\"), ("Three", "c")]]
)


@pytest.mark.parametrize(
    "answer",
    [
        ANSWER,
        BARE,
        "```json\n" + ANSWER + "\n```",
        "Here are your ideas:\n\n" + BARE + "\n\nI hope {these} help!",
        "Sure [1]: ```\n" + ANSWER + "```",
    ],
    ids=["object", "bare array", "fenced", "prose around", "prose with brackets"],
)
@pytest.mark.parametrize("step", [1, 2, 7, 10_000])
def test_answers_are_read_liberally_whatever_the_pieces(answer, step):
    assert ideas_in(answer, step)[-1] == EXPECTED


def test_what_is_not_an_idea_is_left_out():
    assert ideas_in('{"ideas": [{"title": "", "body": "y"}, {"title": 1}, "x", [1]]}', 3)[-1] == []
    assert ideas_in('{"ideas": [{"title": "x", "body": "y"}', 1)[-1] == [
        {"title": "x", "body": "y"}
    ]


def test_a_flush_costs_the_same_late_in_a_long_answer():
    """Each piece is scanned once: the scanner's position only moves forward."""
    scanner, long_answer = JsonScanner(), ideas_json([(f"T{i}", "x" * 200) for i in range(300)])
    positions = []
    for start in range(0, len(long_answer), 50):
        scanner.feed(long_answer[start : start + 50])
        positions.append(scanner.pos)
    assert positions == sorted(positions) and positions[-1] <= len(scanner.buffer)


def test_continuation_prompt_asks_only_for_the_rest():
    params = {
        "platform": "抖音",
        "genrePaths": [],
        "genreProportions": [],
        "requirements": "",
        "numIdeas": 5,
    }
    messages = build_messages(params, [{"title": "A", "body": "x"}, {"title": "B", "body": "y"}])
    request = json.loads(messages[-1]["content"].split("<params>")[1].split("</params>")[0])
    assert request["numIdeas"] == 3 and request["avoidTitles"] == ["A", "B"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3.14", Cursor(3, 14)),
        ("0.0", Cursor(0, 0)),
        ("abc", None),
        ("-1", None),
        ("1.-1", None),
        ("1", None),
        ("99999999999999999999.1", None),
        ("².1", None),
        ("1.٣", None),
        ("9" * 5000 + ".1", None),
        ("2147483648.1", None),
        ("2147483647.2147483647", Cursor(2**31 - 1, 2**31 - 1)),
        ("", None),
        (None, None),
    ],
)
def test_cursor_parsing(raw, expected):
    assert parse_cursor(raw) == expected


def test_sse_frames_every_line_including_bare_carriage_returns():
    frame = sse("a\rdata: evil\nb\r\nc", event="chunk", event_id="1.2")
    assert frame == "event: chunk\nid: 1.2\ndata: a\ndata: data: evil\ndata: b\ndata: c\n\n"
