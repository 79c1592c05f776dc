"""The script kinds' offline demo: a character bible, one episode's shooting script and a
consistency check, each a pure function of its call's JSON (no network, no key).

The episodes state an age or call someone by a kinship word only as the bible has it, so a
demo series passes the demo check; the check reads stated ages, speaker names one typo away
from the bible's, and kinship words, the slips a script supervisor catches first."""

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from app.brainstorm.demo import NAMES
from app.inputs import storable
from app.scripts import demo_blocks as blocks
from app.scripts.demo_blocks import TABLES
from app.scripts.prompts import call_of
from app.scripts.screenplay import ACTION_FACTOR, SPOKEN, text_seconds

_FALLBACK = (
    "The offline demo model writes only character bibles, episode scripts and consistency "
    "checks here; configure a real model for anything else.\n"
    "离线演示模型在这里只会写人物小传、分集剧本和一致性检查；其他请求请配置真实的模型。"
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# The bible's fields in the prompt's order, with each one's block code when it is invented.
_FIELDS = {"role": "n", "age": "", "look": "", "personality": "i", "goal": "g"}
_FIELDS |= {"contrast": "c", "advantage": "k", "advantageCost": "x", "speech": ""}
_KINDS = ("lead", "love", "rival", "friend")  # an invented cast, in order
_ROLE_CUES = {  # the family first: 女主的母亲 is a mother
    "kin": ("父亲", "母亲", "家人", "father", "mother", "parent", "family"),
    "lead": ("主角", "女主", "protagonist", "lead", "hero"),
    "rival": ("反派", "对手", "antagonist", "villain", "rival"),
    "love": ("男主", "感情", "恋", "love"),
}
_JOIN = {"zh": "、", "en": ", "}
_QUOTED = re.compile(r"[“\"「]([^”\"」]+)[”\"」]")
_SENTENCE = {"zh": re.compile(r"(?<=[。！？!?])"), "en": re.compile(r"(?<=[.!?])\s+")}
_RISKY = re.compile(rf"{blocks.KIN_WORDS}|岁|\d|years? old", re.I)  # never in a catchphrase used


def _rng(value: object) -> random.Random:
    """A private generator seeded by a value's JSON."""
    dump = json.dumps(value, sort_keys=True, default=str)
    return random.Random(int.from_bytes(hashlib.sha256(dump.encode()).digest(), "big"))


def _text(value: object) -> str:
    """The value when it is a string, made storable (a whole number reads as its digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return storable(value) if isinstance(value, str) else ""


def _items(value: object) -> list[dict[str, Any]]:
    """The objects of a list, or none."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _whole(value: object, default: int, low: int = 1, high: int = 10_000) -> int:
    """A whole number clamped to low … high, else the default."""
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(low, min(high, value))


def _language(call: dict[str, Any], *texts: str) -> str:
    """The call's language, else the one its texts are written in."""
    if call.get("language") in TABLES:
        return call["language"]
    return "zh" if _CJK.search(" ".join(texts)) else "en"


def _reply(call: dict[str, Any] | None, name: str, answer: Any) -> str:
    """The reply text: the answer to a call of this name, else the fallback."""
    if call is None or call.get("call") != name:
        return _FALLBACK
    return json.dumps(answer(call), ensure_ascii=False, indent=2)


class _Deck:
    """Seeded draws from one language's blocks: a pile repeats nothing until it runs out."""

    def __init__(self, rng: random.Random, language: str) -> None:
        self.rng, self.table = rng, TABLES[language]
        self.piles: dict[tuple[str, str], list[str]] = {}

    def draw(self, section: str, code: str, **fill: str) -> str:
        """The next block of a pile, filled (blocks are ours; caller text is only a value)."""
        pile = self.piles.get((section, code))
        if not pile:
            items = self.table[section][code]
            pile = self.piles[(section, code)] = self.rng.sample(items, len(items))
        return pile.pop().format(**fill)


# ---- the character bible ------------------------------------------------------------------


def demo_bible(messages: list[dict[str, str]]) -> str:
    """The bible call's reply: every given character with its profile completed, or a cast."""
    return _reply(call_of(messages), "bible", lambda call: {"characters": _bible(call)})


def _bible(call: dict[str, Any]) -> list[dict[str, Any]]:
    """The bible's characters: the call's, completed, else a small invented cast."""
    given = [p for p in _items(call.get("characters")) if _text(p.get("name")).strip()]
    language = _language(call, *(_text(p.get("name")) for p in given), _text(call.get("title")))
    # An invented cast follows the series alone, so every episode meets the same one.
    series = {"series": [call.get(k) for k in ("title", "logline")], "language": language}
    deck = _Deck(_rng(call if given else series), language)
    people = given or _invent_cast(deck, language)
    return [_profile(person, index, deck, language) for index, person in enumerate(people)]


def _invent_cast(deck: _Deck, language: str) -> list[dict[str, Any]]:
    """A lead, a love interest, a rival and a friend, each related to the lead."""
    rng, zh = deck.rng, language == "zh"
    surnames, female, male = NAMES[language]
    surnames = rng.sample(list(surnames) if zh else surnames.split(), len(_KINDS))
    given = {True: rng.sample(female.split(), 4), False: rng.sample(male.split(), 4)}
    heroine = rng.random() < 0.5
    women = {"lead": heroine, "love": not heroine, "rival": rng.random() < 0.5, "friend": heroine}
    names = [
        surname + given[women[kind]].pop() if zh else f"{given[women[kind]].pop()} {surname}"
        for kind, surname in zip(_KINDS, surnames, strict=True)
    ]
    lead: dict[str, Any] = {"name": names[0], "relationships": []}
    people = [lead]
    for kind, name in zip(_KINDS[1:], names[1:], strict=True):
        lead["relationships"].append({"name": name, "relation": deck.draw(kind, "L")})
        ties = [{"name": lead["name"], "relation": deck.draw(kind, "P")}]
        people.append({"name": name, "relationships": ties})
    return people


def _kind(role: str, index: int) -> str:
    """Whose blocks fill a character's empty fields: by the role's words, else by order."""
    role = role.casefold()
    for kind, cues in _ROLE_CUES.items():
        if any(cue in role for cue in cues):
            return kind
    return _KINDS[min(index, len(_KINDS) - 1)]


def _profile(person: dict[str, Any], index: int, deck: _Deck, language: str) -> dict[str, Any]:
    """One character of the bible: the given fields kept as they are, the empty ones filled."""
    kind = _kind(_text(person.get("role")), index)
    profile: dict[str, Any] = {"name": _text(person.get("name"))}
    for name in _FIELDS:
        value = _text(person.get(name))
        profile[name] = value if value.strip() else _invent(name, kind, deck, language)
    relations = _items(person.get("relationships"))
    profile["relationships"] = [
        {"name": _text(r.get("name")), "relation": _text(r.get("relation"))} for r in relations
    ]
    return profile


def _invent(name: str, kind: str, deck: _Deck, language: str) -> str:
    """A profile field the outline left empty."""
    if name == "age":
        low, high = (int(n) for n in deck.table[kind]["y"][0].split("-"))
        age = deck.rng.randint(low, high)
        return f"{age}岁" if language == "zh" else str(age)
    if name in ("look", "speech"):
        parts = {code: deck.draw(name, code) for code in deck.table[name] if code != "t"}
        text = deck.table[name]["t"][0].format(**parts)
        return text[:1].upper() + text[1:]
    return deck.draw(kind, _FIELDS[name])


# ---- one episode ----------------------------------------------------------------------------


@dataclass
class _Speaker:
    """A bible character as an episode uses them."""

    name: str
    short: str  # what others call them: an English first name, a long Chinese given name
    goal: str
    catchphrase: str
    age: int | None
    vocatives: dict[str, str]  # the kinship word they call each of their ties by, or ""


@dataclass
class _Scene:
    """A scene as it is built: a fixed opening and ending, dialogue filled in between."""

    heading: dict[str, str]
    flashback: bool
    partner: _Speaker | None
    head: list[dict[str, str]] = field(default_factory=list)
    body: list[dict[str, str]] = field(default_factory=list)
    tail: list[dict[str, str]] = field(default_factory=list)

    def answer(self) -> dict[str, Any]:
        elements = [*self.head, *self.body, *self.tail]
        return {"heading": self.heading, "flashback": self.flashback, "elements": elements}


def demo_episode(messages: list[dict[str, str]]) -> str:
    """The episode call's reply: one episode's script, hook first and cliffhanger last."""
    return _reply(call_of(messages), "episode", lambda call: _Episode(call).script())


def _element(kind: str, text: str, who: _Speaker | None = None, aside: str = "") -> dict:
    if who is None:
        return {"type": kind, "text": text}
    return {"type": kind, "character": who.name, "parenthetical": aside, "text": text}


def _cost(element: dict[str, str]) -> float:
    """An element's screen seconds, counted as `screen_seconds` counts them."""
    seconds = text_seconds(element["text"])
    return seconds if element["type"] in SPOKEN else seconds * ACTION_FACTOR


class _Episode:
    """What one episode call knows, and the script built from it scene by scene."""

    def __init__(self, call: dict[str, Any]) -> None:
        episode = call.get("episode") if isinstance(call.get("episode"), dict) else {}
        self.number = _whole(episode.get("number"), 1)
        self.hook, self.cliffhanger, self.synopsis = (
            " ".join(_text(episode.get(key)).split()) for key in ("hook", "cliffhanger", "synopsis")
        )
        self.language = _language(call, self.hook, self.synopsis, _text(call.get("title")))
        self.zh = self.language == "zh"
        self.rng = _rng(call)
        self.deck = _Deck(self.rng, self.language)
        self.seconds = _whole(call.get("seconds"), 90, 15, 600)
        self.paywall = call.get("paywall") is True
        self.title = _text(episode.get("title")).strip()
        self.title = self.title or self.deck.draw("title", "t", n=str(self.number))
        bible = [p for p in _items(call.get("characters")) if _text(p.get("name")).strip()]
        bible = bible or _bible({**call, "characters": []})
        cast = [self.speaker(person) for person in bible]
        kinds = [_kind(_text(p.get("role")), index) for index, p in enumerate(bible)]
        self.lead = cast[kinds.index("lead")] if "lead" in kinds else cast[0]
        self.others = [s for s in cast if s is not self.lead]
        self.catchers = {s.name for s in cast if s.catchphrase and self.rng.random() < 0.6}
        # Earlier synopses, for a flashback (the app adds an episode's last lines after " / ").
        summaries = [_text(p.get("summary")).split(" / ")[0] for p in _items(call.get("previous"))]
        self.past = [s.strip() for s in summaries if s.strip()]

    def speaker(self, person: dict[str, Any]) -> _Speaker:
        """A bible character: what others call them, their catchphrase, goal, age and ties."""
        name = _text(person.get("name")).strip()
        short = name.split()[0] if not self.zh else name[1:] if len(name) > 2 else name
        quoted = _QUOTED.findall(_text(person.get("speech")))
        catchphrase = next((q for q in quoted if not _RISKY.search(q)), "")
        ties = _items(person.get("relationships"))
        relations = {_text(t.get("name")).strip(): _text(t.get("relation")) for t in ties}
        vocatives = {n: blocks.vocative(self.language, r) for n, r in relations.items()}
        goal = _text(person.get("goal")).strip().rstrip("。.!！")
        age = blocks.exact_age(_text(person.get("age")))
        return _Speaker(name, short, goal, catchphrase, age, vocatives)

    def script(self) -> dict[str, Any]:
        count = max(2, min(5, round(self.seconds / 30) + self.rng.choice((-1, 0, 1))))
        flashback = self.rng.randrange(1, count - 1) if count > 2 else -1
        flashback = flashback if self.rng.random() < 0.4 else -1  # in some episodes only
        scenes = [self.scene(index, count, flashback) for index in range(count)]
        self.beats(scenes)
        self.fill(scenes)
        answer = [scene.answer() for scene in scenes]
        return {"number": self.number, "title": self.title, "scenes": answer}

    def scene(self, index: int, count: int, flashback: int) -> _Scene:
        """A scene's frame: heading, who faces the lead, and its fixed opening and ending."""
        rng, draw, lead = self.rng, self.deck.draw, self.lead
        place = "i" if rng.random() < 0.75 else "e"
        interior = "int" if place == "i" else "ext"
        heading = {"interior": interior, "place": draw("place", place), "time": draw("time", "t")}
        partner = self.others[(self.number + index) % len(self.others)] if self.others else None
        scene = _Scene(heading, index == flashback, partner)
        if index == 0:  # the hook plays first, and the lead answers it
            scene.head.append(_element("action", self.hook or self.beat(partner)))
            scene.head.append(_element("dialogue", draw("line", "p"), lead))
            if self.number == 1 and lead.age is not None:
                intro = draw("caption", "i", n=lead.name, age=str(lead.age))
                scene.head.append(_element("caption", intro))
        elif scene.flashback:
            scene.head.append(_element("caption", draw("caption", "b")))
            if self.past:
                past = _SENTENCE[self.language].split(rng.choice(self.past))[0]
                scene.head.append(_element("action", past))
            scene.tail.append(_element("transition", draw("cut", "r")))
        elif rng.random() < 0.3:
            scene.head.append(_element("caption", draw("caption", "c")))
        inner = rng.random()  # a voice-over or an inner monologue now and then
        if index == count // 2 and inner < 0.3 and lead.goal:
            goal = lead.goal if self.zh else lead.goal[:1].lower() + lead.goal[1:]
            scene.head.append(_element("monologue", draw("inner", "m", g=goal), lead))
        elif index == 0 and inner > 0.6:
            scene.head.append(_element("voiceover", draw("inner", "v"), lead))
        if index == count - 1:
            ending = self.cliffhanger or self.beat(partner)
            if self.paywall:
                ending += ("" if self.zh else " ") + draw("cut", "w")
            scene.tail.append(_element("dialogue", draw("line", "k"), lead))
            scene.tail.append(_element("action", ending))
        elif not scene.flashback and rng.random() < 0.3:
            scene.tail.append(_element("transition", draw("cut", "t")))
        return scene

    def beat(self, partner: _Speaker | None) -> str:
        """A line of action between the lead and the scene's other character."""
        other = partner or self.lead
        return self.deck.draw("beat", "x", a=self.lead.short, b=other.short)

    def beats(self, scenes: list[_Scene]) -> None:
        """The synopsis as action, in order: one sentence opens each later scene (the first
        scene takes what is left over after its hook), up to a third of the episode's time."""
        told, sentences, spent = f"{self.hook} {self.cliffhanger}", [], 0.0
        for sentence in _SENTENCE[self.language].split(self.synopsis):
            sentence = sentence.strip()
            if sentence and sentence not in told:
                spent += _cost(_element("action", sentence))
                if spent > self.seconds / 3:
                    break
                sentences.append(sentence)
        slots = [scene for scene in scenes[1:] if not scene.flashback]
        early = max(0, len(sentences) - len(slots))
        scenes[0].head[2:2] = [_element("action", s) for s in sentences[:early]]
        for scene, sentence in zip(slots, sentences[early:], strict=False):
            at = 1 if scene.head and scene.head[0]["type"] == "caption" else 0
            scene.head.insert(at, _element("action", sentence))

    def fill(self, scenes: list[_Scene]) -> None:
        """Dialogue in every scene until the episode runs its seconds: the time the frames
        leave is shared among the scenes still to fill, so no error piles up."""
        left = self.seconds - sum(_cost(e) for s in scenes for e in s.head + s.tail)
        last: str | None = None
        for index, scene in enumerate(scenes):
            last = next((e["character"] for e in scene.head[::-1] if "character" in e), last)
            pair = [scene.partner, self.lead] if scene.partner else [self.lead]
            if index:
                self.rng.shuffle(pair)
            spent, said, share = 0.0, 0, left / (len(scenes) - index)
            while spent < share - 2 or not (scene.head or scene.body):
                who, to = pair[said % len(pair)], pair[(said + 1) % len(pair)]
                if len(pair) == 2 and said and self.rng.random() < 0.2:
                    scene.body.append(_element("action", self.beat(scene.partner)))
                    spent += _cost(scene.body[-1])
                scene.body.append(self.line(who, to if to is not who else None, said, last))
                spent, said, last = spent + _cost(scene.body[-1]), said + 1, who.name
            left -= spent
            if scene.tail and scene.tail[0].get("character") == last and scene.partner:
                scene.tail[0]["character"] = scene.partner.name  # the other one leads in
            last = next((e["character"] for e in scene.tail[::-1] if "character" in e), last)

    def line(self, who: _Speaker, to: _Speaker | None, said: int, last: str | None) -> dict:
        """A press or an answer, now and then the speaker's catchphrase, now and then addressed
        by name, or by a kinship word the bible gives (only right after that person spoke, so
        the check knows whom it is said to)."""
        rng = self.rng
        if who.name in self.catchers and rng.random() < 0.3:
            self.catchers.discard(who.name)
            text = who.catchphrase
        else:
            text = self.deck.draw("line", "pa"[said % 2])
        if to is not None and rng.random() < 0.35:
            name = (who.vocatives.get(to.name) if last == to.name else None) or to.short
            if not self.zh and not re.match(r"I\b", text):
                text = text[:1].lower() + text[1:]
            text = f"{name}，{text}" if self.zh else f"{name}, {text}"
        aside = self.deck.draw("line", "q") if rng.random() < 0.25 else ""
        return _element("dialogue", text, who, aside)


# ---- the consistency check ------------------------------------------------------------------


def demo_consistency(messages: list[dict[str, str]]) -> str:
    """The consistency call's reply: the ages, names and relations that contradict."""
    return _reply(call_of(messages), "consistency", lambda call: {"issues": _Check(call).run()})


class _Check:
    """One read of the series' lines against the bible."""

    def __init__(self, call: dict[str, Any]) -> None:
        self.bible = {_text(p.get("name")).strip(): p for p in _items(call.get("characters"))}
        self.bible.pop("", None)
        self.lines: list[tuple[int, str, str]] = []  # (episode, speaker or "", text)
        for episode in _items(call.get("episodes")):
            number = _whole(episode.get("number"), 0, 0)
            for line in _items(episode.get("lines")):
                self.lines.append(
                    (number, _text(line.get("character")).strip(), _text(line.get("text")))
                )
        self.language = _language(call, *self.bible, *(text for _n, _c, text in self.lines))
        self.zh, self.join = self.language == "zh", _JOIN[self.language].join
        self.table = TABLES[self.language]["issue"]
        self.alias = self.aliases()
        self.ages, self.kins = blocks.statements(self.language, list(self.alias))

    def aliases(self) -> dict[str, str]:
        """Every way a line names a bible character (casefolded): the full name, and a first
        name (English) or a long given name (Chinese) that no one else shares."""
        found = {name.casefold(): name for name in self.bible}
        shorts: dict[str, list[str]] = {}
        for name in self.bible:
            words = name.split()
            short = words[0] if len(words) > 1 else name[1:] if _CJK.match(name[1:2]) else ""
            if len(short) >= 2:
                shorts.setdefault(short.casefold(), []).append(name)
        found |= {s: names[0] for s, names in shorts.items() if len(names) == 1 and s not in found}
        return found

    def run(self) -> list[dict[str, Any]]:
        return [*self.drifts(), *self.age_issues(), *self.relations()]

    def issue(self, who: str, code: str, found: list[tuple[int, str]], **fill: str) -> dict:
        """An issue in the call's language, quoting each line once."""
        episodes = sorted({number for number, _quote in found})
        text = self.table[code][0].format(c=who, eps=self.join(map(str, episodes)), **fill)
        quotes = list(dict.fromkeys(quote for _number, quote in found))
        return {"character": who, "description": text, "episodes": episodes, "quotes": quotes}

    def drifts(self) -> list[dict]:
        """Speakers missing from the bible one typo away from a bible name (林婉 for 林晚)."""
        found: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for number, who, text in self.lines:
            if not who or who.casefold() in self.alias:
                continue
            near = [name for name in self.bible if blocks.near_name(who, name)]
            if near:
                name = min(near, key=lambda n: blocks.distance(who, n))
                found.setdefault((who, name), []).append((number, text))
        return [self.issue(name, "n", said, drift=who) for (who, name), said in found.items()]

    def age_issues(self) -> list[dict]:
        """Ages stated in the lines that differ from the bible's, or (where the bible gives no
        exact age) from one another."""
        stated: dict[str, list[tuple[int, str, int]]] = {}
        for number, who, text in self.lines:
            for match in (m for pattern in self.ages for m in pattern.finditer(text)):
                written = match.groupdict().get("name")
                person = self.alias.get(written.casefold(), "") if written else who
                if person in self.bible:
                    stated.setdefault(person, []).append(
                        (number, text, blocks.read_number(match["age"]))
                    )
        issues = []
        for person, said in stated.items():
            bible = _text(self.bible[person].get("age")).strip()
            low, high = blocks.age_range(bible) or (0, 0)
            wrong = [s for s in said if not low <= s[2] <= high]
            if high and wrong:
                ages = self.join(dict.fromkeys(str(age) for _n, _q, age in wrong))
                issues.append(
                    self.issue(person, "a", [s[:2] for s in wrong], bible=bible, said=ages)
                )
            elif not high and len({age for _n, _q, age in said}) > 1:
                ages = self.join(self.table["s"][0].format(eps=n, age=age) for n, _q, age in said)
                issues.append(self.issue(person, "A", [s[:2] for s in said], said=ages))
        return issues

    def relations(self) -> list[dict]:
        """Kinship words one character calls another by that the bible's ties between the two
        rule out (only where the bible ties them at all)."""
        found: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        for index, (number, who, text) in enumerate(self.lines):
            if who not in self.bible:
                continue
            for match in (m for pattern in self.kins for m in pattern.finditer(text)):
                written = match.groupdict().get("name")
                other = self.alias.get(written.casefold(), "") if written else self.addressee(index)
                if other and other != who and self.contradicts(who, other, match["kin"]):
                    found.setdefault((who, other, match["kin"]), []).append((number, text))
        return [
            self.issue(who, "r", said, other=other, word=word, bible=self.ties(who, other))
            for (who, other, word), said in found.items()
        ]

    def addressee(self, index: int) -> str:
        """Whom a line speaks to: the last other character of its episode who spoke before it,
        else the next one after it."""
        number, who, _said = self.lines[index]
        for n, other, _t in [*reversed(self.lines[:index]), *self.lines[index + 1 :]]:
            if n == number and other and other != who:
                return other if other in self.bible else ""
        return ""

    def relation_texts(self, who: str, other: str) -> list[str]:
        ties = _items(self.bible[who].get("relationships"))
        texts = [_text(t.get("relation")) for t in ties if _text(t.get("name")).strip() == other]
        return [text for text in texts if text.strip()]

    def contradicts(self, who: str, other: str, word: str) -> bool:
        """Whether the bible ties the two, and no tie fits the word (either way round)."""
        called = blocks.kin_labels(word)[0]
        mine, theirs = self.relation_texts(who, other), self.relation_texts(other, who)
        if called.startswith("loose") or not mine + theirs:
            return False
        labels = [label for text in mine for label in blocks.kin_labels(text)]
        labels += [blocks.converse(label) for text in theirs for label in blocks.kin_labels(text)]
        return not any(
            label.startswith("loose") or blocks.agrees(called, label) for label in labels
        )

    def ties(self, who: str, other: str) -> str:
        """The bible's ties between two characters, as the description shows them."""
        colon, semicolon = ("：", "；") if self.zh else (": ", "; ")
        ties = [f"{who} → {other}{colon}{t}" for t in self.relation_texts(who, other)]
        ties += [f"{other} → {who}{colon}{t}" for t in self.relation_texts(other, who)]
        return semicolon.join(ties)
