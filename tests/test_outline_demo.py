"""Tests for the outline kind's offline demo model: the shape of its header and episodes,
determinism, language, names, pacing and titles."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.outline.components import STAGES, Components
from app.outline.demo import demo_outline

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LETTER = re.compile(r"[A-Za-z\u3400-\u4dbf\u4e00-\u9fff]")
HEADER_KEYS = [
    "title",
    "logline",
    "genre",
    "audience",
    "sellingPoints",
    "setting",
    "characters",
    "stages",
]
CHARACTER_KEYS = [
    "name",
    "role",
    "age",
    "personality",
    "goal",
    "contrast",
    "advantage",
    "advantageCost",
    "relationships",
]
ZH = {
    "idea": {
        "title": "离婚后，顾总跪求复合",
        "body": "订婚宴上，女主亲眼看见未婚夫和闺蜜举杯，当年救下他的人其实是她。",
    },
    "platform": "抖音",
    "episodeCount": 60,
    "episodeSeconds": 90,
    "paywallEpisode": 10,
    "notes": "女主是急诊科医生，结尾要有反转",
    "language": "zh",
}
EN = {
    "idea": {
        "title": "The Seventh Suspect",
        "body": "At a snowed-in inn, the owner lies dead in a locked room and the only "
        "footprints belong to the detective.",
    },
    "platform": "TikTok",
    "episodeCount": 60,
    "episodeSeconds": 90,
    "paywallEpisode": 10,
    "notes": "a lost wedding ring, set in Seattle",
    "language": "en",
}


def messages(params: dict) -> list[dict[str, str]]:
    """A chat request shaped like the outline kind's prompts."""
    block = json.dumps(params, ensure_ascii=False)
    return [
        {"role": "system", "content": "You outline vertical short dramas. Reply with JSON."},
        {"role": "user", "content": f"Use the params below.\n<params>{block}</params>"},
    ]


def header(base: dict, **changes: object) -> dict:
    """Ask for the header and parse it."""
    return json.loads(demo_outline(messages({"call": "header", **base, **changes})))


def batch_params(base: dict, head: dict, first: int, last: int, previous: list) -> dict:
    """The params of an episodes call following the header."""
    cast = [{"name": c["name"], "role": c["role"]} for c in head["characters"]]
    return {
        "call": "episodes",
        **base,
        "title": head["title"],
        "characters": cast,
        "stages": head["stages"],
        "fromEpisode": first,
        "toEpisode": last,
        "previous": previous,
    }


def episodes(params: dict) -> list[dict]:
    """Ask for a batch of episodes and parse them."""
    reply = json.loads(demo_outline(messages(params)))
    assert list(reply) == ["episodes"]
    return reply["episodes"]


def outline(base: dict, size: int = 15) -> dict:
    """A whole outline the way the kind writes it: a header, then batches of episodes."""
    head, written = header(base), []
    for first in range(1, base["episodeCount"] + 1, size):
        last = min(first + size - 1, base["episodeCount"])
        previous = [{"number": e["number"], "synopsis": e["synopsis"]} for e in written]
        written += episodes(batch_params(base, head, first, last, previous))
    return {**head, "episodes": written}


def texts(value: object) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


@pytest.mark.parametrize("base", [ZH, EN], ids=["zh", "en"])
def test_header_has_the_keys_in_order_and_a_consistent_cast(base: dict) -> None:
    head = header(base)
    assert list(head) == HEADER_KEYS
    assert 3 <= len(head["sellingPoints"]) <= 5
    assert 4 <= len(head["characters"]) <= 7
    names = [c["name"] for c in head["characters"]]
    assert len(set(names)) == len(names)
    for character in head["characters"]:
        assert list(character) == CHARACTER_KEYS
        assert all(character[key] for key in CHARACTER_KEYS[:-1])
        assert character["relationships"]
        for relation in character["relationships"]:
            assert relation["name"] in names and relation["name"] != character["name"]
            assert relation["relation"]
    assert head["title"] == base["idea"]["title"]


@pytest.mark.parametrize("base", [ZH, EN], ids=["zh", "en"])
def test_a_whole_outline_validates_as_components(base: dict) -> None:
    document = outline(base)
    parsed = Components.model_validate(document)
    assert [e.number for e in parsed.episodes] == list(range(1, 61))
    assert all(e.title and e.synopsis and e.hook and e.cliffhanger for e in parsed.episodes)


@settings(max_examples=80, deadline=None)
@given(count=st.integers(10, 120), data=st.data())
def test_stages_cover_every_episode_once_and_name_the_paywall(
    count: int, data: st.DataObject
) -> None:
    paywall = data.draw(st.integers(1, count))
    stages = header(ZH, episodeCount=count, paywallEpisode=paywall)["stages"]
    assert [s["stage"] for s in stages] == list(STAGES)
    assert stages[0]["fromEpisode"] == 1 and stages[-1]["toEpisode"] == count
    for before, after in zip(stages, stages[1:], strict=False):
        assert after["fromEpisode"] == before["toEpisode"] + 1
    assert all(s["fromEpisode"] <= s["toEpisode"] for s in stages)
    holding = [s for s in stages if s["fromEpisode"] <= paywall <= s["toEpisode"]]
    assert f"第{paywall}集为付费卡点" in holding[0]["summary"]
    assert sum("付费卡点" in s["summary"] for s in stages) == 1
    if 2 <= paywall <= count - 2:
        assert holding[0]["stage"] == "rising"


def test_the_english_paywall_is_named_in_its_stage() -> None:
    stages = header(EN, paywallEpisode=12)["stages"]
    rising = next(s for s in stages if s["stage"] == "rising")
    assert "Episode 12 is the paywall" in rising["summary"]


@settings(max_examples=60, deadline=None)
@given(first=st.integers(1, 120), size=st.integers(0, 20), language=st.sampled_from(["zh", "en"]))
def test_a_batch_holds_exactly_the_episodes_asked_for(first: int, size: int, language: str) -> None:
    base = {**(ZH if language == "zh" else EN), "episodeCount": 120}
    last = min(first + size - 1, 120)
    written = episodes(batch_params(base, header(base), first, last, []))
    assert [e["number"] for e in written] == list(range(first, last + 1))
    for episode in written:
        assert list(episode) == ["number", "title", "synopsis", "hook", "cliffhanger"]


def test_the_same_call_gets_the_same_text() -> None:
    head = header(ZH)
    for call in ({"call": "header", **ZH}, batch_params(ZH, head, 16, 30, [])):
        assert demo_outline(messages(call)) == demo_outline(messages(call))


def test_a_batch_asked_again_or_split_otherwise_is_the_same() -> None:
    head = header(EN)
    whole = episodes(batch_params(EN, head, 1, 60, []))
    again = episodes(batch_params(EN, head, 16, 30, [{"number": 1, "synopsis": "other"}]))
    assert again == whole[15:30]


def test_the_cast_follows_the_idea_and_other_ideas_get_other_casts() -> None:
    names = [c["name"] for c in header(ZH)["characters"]]
    assert [c["name"] for c in header(ZH, episodeCount=30, notes="")["characters"]] == names
    other = {**ZH["idea"], "title": "重生之嫡女归来"}
    assert [c["name"] for c in header(ZH, idea=other)["characters"]] != names


def test_the_genre_follows_the_idea() -> None:
    idea = {"title": "赘婿三年，今天不装了", "body": "岳父寿宴上，入赘三年的他被当众扔出门。"}
    head = header(ZH, idea=idea)
    assert head["genre"] == "都市逆袭"
    assert head["characters"][0]["role"] == "男主角"
    idea = {"title": "Rewind", "body": "A detective takes a call describing tomorrow's murder."}
    assert header(EN, idea=idea)["genre"] == "Mystery thriller"


@pytest.mark.parametrize(
    ("base", "cast"),
    [
        (ZH, [("白素贞", "女主角"), ("法海", "反派"), ("许仙", "感情线"), ("小青", "挚友")]),
        (EN, [("Wren Okafor", "protagonist"), ("Dax Morrow", "antagonist"), ("Ivo Pell", "")]),
    ],
    ids=["zh", "en"],
)
def test_episodes_name_only_the_characters_of_the_call(base: dict, cast: list) -> None:
    head = header(base)
    params = batch_params(base, head, 1, 60, [])
    params["characters"] = [{"name": name, "role": role} for name, role in cast]
    written = episodes(params)
    body = "\n".join(texts(written))
    given_names = {name.split()[0] for name, _ in cast}
    for episode in written:
        assert any(n in episode["synopsis"] for n in given_names), episode
    for character in head["characters"]:
        assert character["name"].split()[0] not in body
    assert {n for n in given_names if n in body} == given_names


def test_chinese_outlines_are_written_in_chinese() -> None:
    document = outline(ZH)
    prose = [t for t in texts(document) if t not in STAGES]  # the stage names are keys
    for text in prose:
        letters = LETTER.findall(text)
        assert sum(bool(CJK.match(c)) for c in letters) / len(letters) > 0.8, text


def test_english_outlines_hold_no_chinese_even_from_a_chinese_idea() -> None:
    document = outline({**EN, "idea": ZH["idea"], "platform": "抖音", "notes": ZH["notes"]})
    assert not [t for t in texts(document) if CJK.search(t)]
    assert "Douyin" in document["setting"]


@pytest.mark.parametrize("base", [ZH, EN], ids=["zh", "en"])
def test_a_long_outline_never_repeats_a_title_or_a_synopsis(base: dict) -> None:
    written = outline({**base, "episodeCount": 120})["episodes"]
    assert [e["number"] for e in written] == list(range(1, 121))
    assert len({e["title"].casefold() for e in written}) == 120
    assert len({e["synopsis"] for e in written}) == 120
    # Hooks and cliffhangers come from smaller piles, but still vary.
    assert len({e["hook"] for e in written}) > 60
    assert len({e["cliffhanger"] for e in written}) > 60


@pytest.mark.parametrize("base", [ZH, EN], ids=["zh", "en"])
def test_payoffs_come_every_two_or_three_episodes_and_the_paywall_hangs(base: dict) -> None:
    written = outline({**base, "paywallEpisode": 12})["episodes"]
    mark = "（爽点：" if base is ZH else "(Payoff:"
    paid = [mark in e["synopsis"] for e in written]
    assert all(any(paid[i : i + 3]) for i in range(len(paid) - 2))
    assert 0.3 < sum(paid) / len(paid) < 0.7
    paywall = written[11]
    assert not paid[11] and paid[12]
    others = [e["cliffhanger"] for e in written if e["number"] != 12]
    assert paywall["cliffhanger"].endswith("——" if base is ZH else "—")
    assert not any(c.endswith(("——", "—")) for c in others)


def test_stages_given_by_the_call_decide_where_an_episode_belongs() -> None:
    head = header(EN, episodeCount=20, paywallEpisode=5)
    params = batch_params({**EN, "episodeCount": 20}, head, 1, 20, [])
    params["stages"] = [
        {"stage": "opening", "fromEpisode": 1, "toEpisode": 17, "summary": ""},
        {"stage": "rising", "fromEpisode": 18, "toEpisode": 18, "summary": ""},
        {"stage": "climax", "fromEpisode": 19, "toEpisode": 19, "summary": ""},
        {"stage": "resolution", "fromEpisode": 20, "toEpisode": 20, "summary": ""},
    ]
    written = episodes(params)
    # The twist lands in the middle of the climax, which is episode 19 alone here.
    assert "(Payoff: reveal)" in written[18]["synopsis"]


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(max_size=80),
    body=st.text(max_size=300),
    language=st.sampled_from(["zh", "en", None]),
    count=st.integers(-5, 500),
    paywall=st.one_of(st.none(), st.integers(-5, 500), st.text(max_size=3)),
)
def test_any_idea_gives_valid_components(
    title: str, body: str, language: str | None, count: int, paywall: object
) -> None:
    base = {
        "idea": {"title": title, "body": body},
        "platform": "Kuaishou",
        "episodeCount": count,
        "episodeSeconds": 60,
        "paywallEpisode": paywall,
        "notes": body,
        "language": language,
    }
    head = header(base)
    written = episodes(batch_params(base, head, 1, 15, []))
    Components.model_validate({**head, "episodes": written})
    assert [e["number"] for e in written] == list(range(1, 16))


@pytest.mark.parametrize(
    "params",
    [None, {"call": "script"}, {"idea": ZH["idea"]}],
    ids=["no params", "unknown call", "no call"],
)
def test_anything_else_gets_the_bilingual_fallback(params: dict | None) -> None:
    content = "Write something." if params is None else f"<params>{json.dumps(params)}</params>"
    reply = demo_outline([{"role": "user", "content": content}])
    assert "outlines" in reply and "大纲" in reply
    with pytest.raises(ValueError):
        json.loads(reply)
