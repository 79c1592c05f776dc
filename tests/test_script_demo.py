"""Tests for the script kinds' offline demo: the bible keeps the outline's cast, an episode plays
its hook first and its cliffhanger last with the bible's names at the asked length, and the
consistency check finds planted contradictions and nothing in the demo's own series."""

import copy
import json
import re

import pytest

from app.scripts.demo import demo_bible, demo_consistency, demo_episode
from app.scripts.prompts import BIBLE_PROMPT, CONSISTENCY_PROMPT, EPISODE_PROMPT, messages
from app.scripts.screenplay import SPOKEN, budget_characters, read_episode, screen_seconds

CJK = re.compile(r"[\u3400-\u9fff]")
FIELDS = ["name", "role", "age", "look", "personality", "goal", "contrast", "advantage"]
FIELDS += ["advantageCost", "speech", "relationships"]
LANGUAGES = ["zh", "en"]


CAST = {
    "zh": [
        {
            "name": "林晚",
            "role": "女主",
            "age": "25岁",
            "goal": "查清母亲去世的真相",
            "relationships": {"顾沉": "契约丈夫", "沈若": "死对头", "林振华": "父亲"},
        },
        {"name": "顾沉", "role": "男主", "age": "28岁", "relationships": {"林晚": "妻子"}},
        {
            "name": "沈若",
            "role": "反派",
            "age": "27岁",
            "relationships": {"林晚": "眼中钉", "顾沉": "前未婚夫"},
        },
        {"name": "林振华", "role": "父亲", "age": "52岁", "relationships": {"林晚": "女儿"}},
    ],
    "en": [
        {
            "name": "Ava Reed",
            "role": "protagonist",
            "age": "25",
            "goal": "find out how her mother really died",
            "relationships": {
                "Ethan Cole": "contract husband",
                "Nora Shaw": "archenemy",
                "Henry Reed": "father",
            },
        },
        {
            "name": "Ethan Cole",
            "role": "love interest",
            "age": "29",
            "relationships": {"Ava Reed": "wife"},
        },
        {
            "name": "Nora Shaw",
            "role": "antagonist",
            "age": "27",
            "relationships": {"Ava Reed": "thorn in the side", "Ethan Cole": "ex-fiancé"},
        },
        {
            "name": "Henry Reed",
            "role": "father",
            "age": "54",
            "relationships": {"Ava Reed": "daughter"},
        },
    ],
}
STORY = {
    "zh": {
        "title": "契约到期，顾总不肯离婚",
        "logline": "为查清母亲之死，林晚与顾沉签下契约婚姻。",
        "genre": "甜宠",
        "setting": "灯红酒绿的现代都市",
        "hooks": [
            "订婚宴上，一杯红酒泼在林晚脸上。",
            "顾沉当众撕碎了那份契约。",
            "沈若把一段录音甩在林晚面前。",
            "林振华在医院走廊拦住了顾沉。",
            "林晚在母亲的遗物里翻出一把钥匙。",
        ],
        "cliffhangers": [
            "门外站着的，竟然是失踪五年的人。",
            "录音的最后一句，是顾沉的声音。",
            "钥匙打开的保险柜里空无一物。",
            "沈若笑着按下了发送键。",
            "林振华倒在了血泊里。",
        ],
        "synopses": [
            "林晚被当众羞辱，顾沉出面解围。沈若暗中记下了这一幕。",
            "林晚追查母亲去世的线索。顾沉提出一份新的契约。",
            "沈若设局陷害林晚。林晚用录音反击，全场哗然。",
            "林振华承认当年另有隐情。顾沉开始怀疑沈若。",
            "林晚找到关键证人。沈若决定先下手为强。",
        ],
    },
    "en": {
        "title": "The Contract Ends at Midnight",
        "logline": "To learn how her mother died, Ava signs a contract marriage with Ethan.",
        "genre": "Sweet romance",
        "setting": "A glittering modern city",
        "hooks": [
            "At the engagement party, a glass of red wine hits Ava in the face.",
            "Ethan tears up the contract in front of everyone.",
            "Nora drops a voice recording on Ava's desk.",
            "Henry stops Ethan in the hospital corridor.",
            "Ava finds a key among her mother's things.",
        ],
        "cliffhangers": [
            "The person at the door has been missing for five years.",
            "The last voice on the recording is Ethan's.",
            "The safe the key opens is empty.",
            "Nora smiles and hits send.",
            "Henry collapses in a pool of blood.",
        ],
        "synopses": [
            "Ava is humiliated in public, and Ethan steps in. Nora takes note.",
            "Ava digs into her mother's death. Ethan offers a new contract.",
            "Nora sets a trap for Ava. Ava fights back with a recording and stuns the room.",
            "Henry admits there was more to the past. Ethan starts to suspect Nora.",
            "Ava finds the key witness. Nora decides to strike first.",
        ],
    },
}


def outline_cast(language: str) -> list[dict]:
    """The outline's characters as the bible call carries them, some fields left empty."""
    empty = dict.fromkeys(["personality", "goal", "contrast", "advantage", "advantageCost"], "")
    return [
        {
            **empty,
            **c,
            "relationships": [{"name": n, "relation": r} for n, r in c["relationships"].items()],
        }
        for c in CAST[language]
    ]


def plan(language: str, number: int) -> dict:
    """An outline episode: the story's blocks taken in turn."""
    story, at = STORY[language], (number - 1) % 5
    title = f"第{number}集" if language == "zh" else f"Episode {number}"
    return {
        "number": number,
        "title": title,
        "synopsis": story["synopses"][at],
        "hook": story["hooks"][at],
        "cliffhanger": story["cliffhangers"][at],
    }


def series(language: str) -> dict:
    story = STORY[language]
    return {"language": language, **{k: story[k] for k in ("title", "logline", "genre", "setting")}}


def bible_call(language: str, characters: list | None = None) -> dict:
    episodes = [{"number": n, "synopsis": plan(language, n)["synopsis"]} for n in range(1, 11)]
    cast = outline_cast(language) if characters is None else characters
    return {"call": "bible", **series(language), "characters": cast, "episodes": episodes}


def make_bible(language: str, characters: list | None = None) -> list[dict]:
    reply = demo_bible(messages(BIBLE_PROMPT, "Write the bible", bible_call(language, characters)))
    return json.loads(reply)["characters"]


def episode_call(
    language: str, number: int, bible: list, seconds: int = 90, previous: list | None = None
) -> dict:
    """The episode call; the episodes before it remembered by their synopses, unless given."""
    earlier = [
        {"number": n, "title": plan(language, n)["title"], "summary": plan(language, n)["synopsis"]}
        for n in range(max(1, number - 3), number)
    ]
    return {
        "call": "episode",
        **series(language),
        "platform": "抖音" if language == "zh" else "TikTok",
        "seconds": seconds,
        "budget": budget_characters(seconds, language),
        "paywall": number == 5,
        "characters": bible,
        "episode": plan(language, number),
        "previous": earlier if previous is None else previous,
    }


def reply_to(call: dict) -> str:
    return demo_episode(messages(EPISODE_PROMPT, "Write the episode", call))


def write(
    language: str, number: int, bible: list, seconds: int = 90, previous: list | None = None
) -> dict:
    """The demo's episode, read as the app reads a model's."""
    reply = reply_to(episode_call(language, number, bible, seconds, previous))
    script = read_episode(json.loads(reply), number)
    assert script is not None
    return script


def elements(script: dict) -> list[dict]:
    return [e for scene in script["scenes"] for e in scene["elements"]]


def lines_of(script: dict) -> list[dict]:
    """The episode's lines as the consistency call carries them."""
    return [{"character": e.get("character", ""), "text": e["text"]} for e in elements(script)]


def demo_series(language: str, count: int = 10) -> tuple[list[dict], list[dict]]:
    """A bible and the consistency call's episodes, all written by the demo in turn, each
    remembering the ones before as the app does: synopsis, then the last lines."""
    bible, scripts, previous = make_bible(language), [], []
    for number in range(1, count + 1):
        scripts.append(write(language, number, bible, previous=previous[-3:]))
        ending = [
            (f"{e['character']}: " if e.get("character") else "") + e["text"]
            for e in elements(scripts[-1])[-3:]
        ]
        summary = " / ".join([plan(language, number)["synopsis"], *ending])
        previous.append({"number": number, "title": scripts[-1]["title"], "summary": summary})
    episodes = [{"number": s["number"], "title": s["title"], "lines": lines_of(s)} for s in scripts]
    return bible, episodes


def check(language: str, bible: list, episodes: list) -> list[dict]:
    call = {"call": "consistency", "language": language, "characters": bible, "episodes": episodes}
    reply = demo_consistency(messages(CONSISTENCY_PROMPT, "Check the series", call))
    return json.loads(reply)["issues"]


def plant(episodes: list, number: int, *lines: tuple[str, str]) -> list:
    """The series with lines added at the end of one episode."""
    planted = copy.deepcopy(episodes)
    episode = next(e for e in planted if e["number"] == number)
    episode["lines"] += [{"character": who, "text": text} for who, text in lines]
    return planted


def found(issues: list[dict]) -> set[tuple]:
    return {(i["character"], tuple(i["episodes"]), tuple(i["quotes"])) for i in issues}


# ---- the bible ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_bible_keeps_the_outlines_names_ages_and_relationships(language: str) -> None:
    bible = make_bible(language)
    given = outline_cast(language)
    assert [c["name"] for c in bible] == [c["name"] for c in given]
    for character, outline in zip(bible, given, strict=True):
        assert list(character) == FIELDS
        assert character["age"] == outline["age"]
        assert character["role"] == outline["role"]
        assert character["relationships"] == outline["relationships"]
        assert all(character[key].strip() for key in FIELDS[:-1])
        for key in ("look", "speech", "personality"):
            assert bool(CJK.search(character[key])) == (language == "zh")
    assert bible[0]["goal"] == given[0]["goal"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_bible_gives_each_character_a_catchphrase(language: str) -> None:
    for character in make_bible(language):
        assert re.search(r"“.+”" if language == "zh" else r'".+"', character["speech"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_bible_invents_a_small_cast_without_characters(language: str) -> None:
    bible = make_bible(language, characters=[])
    names = [c["name"] for c in bible]
    assert 3 <= len(bible) <= 6 and len(set(names)) == len(names)
    for character in bible:
        assert list(character) == FIELDS
        assert all(character[key].strip() for key in FIELDS[:-1])
        others = set(names) - {character["name"]}
        assert (
            character["relationships"] and {t["name"] for t in character["relationships"]} <= others
        )
    assert make_bible(language, characters=[]) == bible


def test_bible_is_deterministic() -> None:
    call = bible_call("zh")
    reply = demo_bible(messages(BIBLE_PROMPT, "Write", call))
    assert demo_bible(messages(BIBLE_PROMPT, "Write", copy.deepcopy(call))) == reply


def test_unknown_calls_get_the_fallback() -> None:
    episode = episode_call("zh", 1, [])
    for demo in (demo_bible, demo_consistency):
        assert "offline demo" in demo(messages(EPISODE_PROMPT, "Write", episode))
    assert "offline demo" in demo_episode(messages(BIBLE_PROMPT, "Write", bible_call("en")))
    no_params = [{"role": "user", "content": "Write me a script"}]
    for demo in (demo_bible, demo_episode, demo_consistency):
        reply = demo(no_params)
        assert "offline demo" in reply and "离线演示模型" in reply


# ---- an episode -----------------------------------------------------------------------------


def test_episode_is_deterministic_and_differs_by_number() -> None:
    bible = make_bible("zh")
    call = episode_call("zh", 3, bible)
    assert reply_to(call) == reply_to(copy.deepcopy(call))
    texts = {reply_to(episode_call("zh", n, bible)) for n in range(1, 11)}
    assert len(texts) == 10
    # Episodes 1 and 6 share their outline blocks yet are different scripts.
    one, six = write("zh", 1, bible), write("zh", 6, bible)
    assert [e["text"] for e in elements(one)] != [e["text"] for e in elements(six)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_episode_speakers_come_from_the_bible(language: str) -> None:
    bible = make_bible(language)
    names = {c["name"] for c in bible}
    for number in range(1, 11):
        script = write(language, number, bible)
        speakers = {e["character"] for e in elements(script) if e["type"] in SPOKEN}
        assert speakers <= names and len(speakers) >= 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_episode_opens_on_its_hook_and_ends_on_its_cliffhanger(language: str) -> None:
    bible = make_bible(language)
    for number in range(1, 11):
        script, episode = write(language, number, bible), plan(language, number)
        assert 2 <= len(script["scenes"]) <= 5
        assert script["scenes"][0]["elements"][0]["text"] == episode["hook"]
        last = script["scenes"][-1]["elements"][-1]
        assert last["type"] == "action" and last["text"].startswith(episode["cliffhanger"])
        assert script["title"] == episode["title"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("seconds", [60, 90, 120])
def test_episode_runs_about_its_seconds(language: str, seconds: int) -> None:
    bible = make_bible(language)
    for number in range(1, 9):
        script = write(language, number, bible, seconds)
        assert abs(screen_seconds(script) - seconds) <= seconds * 0.25, number


@pytest.mark.parametrize("language", LANGUAGES)
def test_episode_works_in_its_synopsis_in_its_language(language: str) -> None:
    bible = make_bible(language)
    for number in range(1, 6):
        script = write(language, number, bible)
        actions = {e["text"] for e in elements(script) if e["type"] == "action"}
        separator = r"(?<=。)" if language == "zh" else r"(?<=\.)\s+"
        sentences = re.split(separator, plan(language, number)["synopsis"])
        assert set(filter(None, sentences)) <= actions
        for element in elements(script):
            if element["type"] == "dialogue":
                assert bool(CJK.search(element["text"])) == (language == "zh")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_series_uses_every_element_type_and_the_catchphrases(language: str) -> None:
    bible = make_bible(language)
    scripts = [write(language, n, bible) for n in range(1, 11)]
    types = {e["type"] for s in scripts for e in elements(s)}
    assert types == {"action", "dialogue", "voiceover", "monologue", "caption", "transition"}
    flashbacks = [any(scene["flashback"] for scene in s["scenes"]) for s in scripts]
    assert any(flashbacks) and not all(flashbacks)
    catchphrases = [re.findall(r"[“\"](.+)[”\"]", c["speech"])[0] for c in bible]
    texts = [e["text"] for s in scripts for e in elements(s) if e["type"] == "dialogue"]
    assert any(t.endswith(c) for t in texts for c in catchphrases)


def test_episode_without_a_bible_meets_the_same_invented_cast() -> None:
    casts = []
    for number in (1, 2, 3):
        script = write("en", number, [])
        casts.append({e["character"] for e in elements(script) if e["type"] in SPOKEN})
    invented = {c["name"] for c in make_bible("en", characters=[])}
    assert all(cast <= invented for cast in casts)


# ---- the consistency check ------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demos_own_series_has_no_issues(language: str) -> None:
    bible, episodes = demo_series(language)
    assert check(language, bible, episodes) == []
    # The series does state what the check reads: an age and kinship words, as the bible has them.
    texts = [line["text"] for e in episodes for line in e["lines"]]
    vocatives = ("爸，", "老公，", "老婆，") if language == "zh" else ("Dad, ",)
    assert any(t.startswith(vocatives) for t in texts)
    intro = "林晚，25岁" if language == "zh" else "Ava Reed, 25"
    assert intro in texts


def test_an_invented_cast_series_has_no_issues() -> None:
    for language in LANGUAGES:
        bible = make_bible(language, characters=[])
        scripts = [write(language, n, bible, 60) for n in range(1, 6)]
        episodes = [{"number": s["number"], "title": "", "lines": lines_of(s)} for s in scripts]
        assert check(language, bible, episodes) == []


def test_planted_chinese_contradictions_are_found() -> None:
    bible, clean = demo_series("zh")
    episodes = plant(clean, 3, ("", "林晚今年二十七岁，在医院做护士。"))
    episodes = plant(episodes, 6, ("顾沉", "我三十岁了，用不着你教。"))
    episodes = plant(episodes, 5, ("林婉", "你们谁也别想拦我。"), ("林婉", "我说到做到。"))
    episodes = plant(episodes, 4, ("顾沉", "你去哪儿？"), ("林晚", "哥哥，你别走。"))
    episodes = plant(episodes, 8, ("沈若", "顾沉是我老公，你算什么东西？"))
    # Consistent with the bible, or about no one it ties: none of these is an issue.
    episodes = plant(
        episodes,
        9,
        ("", "林晚，25岁"),
        ("林晚", "我十八岁那年就知道了。"),
        ("沈若", "我前未婚夫顾沉不会放过你。"),
        ("顾沉", "林振华是我爸的老朋友。"),
        ("林振华", "你去哪儿？"),
        ("林晚", "爸，我很快回来。"),
        ("林母", "你们先吃饭吧。"),
    )
    issues = check("zh", bible, episodes)
    assert found(issues) == {
        ("林晚", (3,), ("林晚今年二十七岁，在医院做护士。",)),
        ("顾沉", (6,), ("我三十岁了，用不着你教。",)),
        ("林晚", (5,), ("你们谁也别想拦我。", "我说到做到。")),
        ("林晚", (4,), ("哥哥，你别走。",)),
        ("沈若", (8,), ("顾沉是我老公，你算什么东西？",)),
    }
    drift = next(i for i in issues if i["episodes"] == [5])
    assert "林婉" in drift["description"] and "林晚" in drift["description"]
    assert all(CJK.search(i["description"]) for i in issues)


def test_planted_english_contradictions_are_found() -> None:
    bible, clean = demo_series("en")
    episodes = plant(clean, 2, ("Ava Reid", "Nobody stops me now."))
    episodes = plant(episodes, 4, ("Ethan Cole", "I'm 31. I don't need your advice."))
    episodes = plant(episodes, 8, ("", "Ava Reed, 27, walks into the boardroom."))
    episodes = plant(
        episodes, 6, ("Ethan Cole", "Where are you going?"), ("Ava Reed", "Dad, wait.")
    )
    episodes = plant(episodes, 7, ("Nora Shaw", "Ethan is my husband. Back off."))
    episodes = plant(
        episodes,
        9,
        ("Ava Reed", "When I was 18, I knew."),
        ("Nora Shaw", "My ex-fiancé Ethan will never forgive you."),
        ("Henry Reed", "Where are you going?"),
        ("Ava Reed", "Dad, I'll be right back."),
        ("Ethan Cole", "Henry is my brother's friend."),
    )
    issues = check("en", bible, episodes)
    assert found(issues) == {
        ("Ava Reed", (2,), ("Nobody stops me now.",)),
        ("Ethan Cole", (4,), ("I'm 31. I don't need your advice.",)),
        ("Ava Reed", (8,), ("Ava Reed, 27, walks into the boardroom.",)),
        ("Ava Reed", (6,), ("Dad, wait.",)),
        ("Nora Shaw", (7,), ("Ethan is my husband. Back off.",)),
    }
    assert all(not CJK.search(i["description"]) for i in issues)


@pytest.mark.parametrize(
    ("language", "vague", "first", "second"),
    [
        (
            "zh",
            "二十多岁",
            ("", "沈若，26岁，沈氏千金。"),
            ("沈若", "我二十四岁，还轮不到你教训。"),
        ),
        (
            "en",
            "late twenties",
            ("", "Nora Shaw, 26, heiress."),
            ("Nora Shaw", "I'm 24 years old."),
        ),
    ],
)
def test_an_age_that_changes_between_episodes_is_found(
    language: str, vague: str, first: tuple, second: tuple
) -> None:
    bible, clean = demo_series(language, count=8)
    rival = next(c for c in bible if c["role"] in ("反派", "antagonist"))
    rival["age"] = vague  # the bible gives no exact age: only the episodes can disagree
    episodes = plant(plant(clean, 2, first), 7, second)
    expected = (rival["name"], (2, 7), (first[1], second[1]))
    assert found(check(language, bible, episodes)) == {expected}
    # The same age twice is no contradiction.
    same = plant(
        plant(clean, 2, first),
        7,
        (second[0], second[1].replace("24", "26").replace("二十四", "二十六")),
    )
    assert check(language, bible, same) == []
