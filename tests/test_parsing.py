"""Reading ideas out of a partial answer, cursors, and SSE framing."""

import json

import pytest
from support import ideas_json

from app.brainstorm.kind import build_messages, parse
from app.jobs.kinds import OutputError
from app.live.cursor import Cursor
from app.live.cursor import parse as parse_cursor
from app.live.feed import sse

ANSWER = ideas_json([("一", "甲乙"), ("Two", "b\\"), ("Three", "c")])


def test_ideas_appear_only_once_complete():
    seen = [len(parse(ANSWER[:cut], False)) for cut in range(len(ANSWER) + 1)]
    assert seen == sorted(seen) and seen[-1] == 3
    first_done = ANSWER.index("}") + 1
    assert len(parse(ANSWER[: first_done - 1], False)) == 0
    assert parse(ANSWER[:first_done], False) == [{"title": "一", "body": "甲乙"}]


def test_final_parse_is_strict_and_tolerates_fences():
    assert len(parse("```json\n" + ANSWER + "\n```", True)) == 3
    with pytest.raises(OutputError):
        parse('{"ideas": [{"title": "x", "body": "y"}', True)
    with pytest.raises(OutputError):
        parse('{"other": 1}', True)
    assert parse('{"ideas": [{"title": "", "body": "y"}, {"title": 1}]}', True) == []


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
