"""The outline kind's offline demo: a deterministic header and episodes, no network, no key."""

import hashlib
import json
import random
import re

from app.brainstorm.demo import BLOCKS, CJK, FAMILY_OF, NAMES, parse_blocks, read_params
from app.inputs import storable
from app.outline.components import MAX_EPISODES, STAGES

_FALLBACK = (
    "The offline demo model only writes brainstorm ideas and outlines; configure a real model "
    "for anything else.\n离线演示模型只会生成短剧创意和大纲；其他请求请配置真实的模型。"
)
_BATCH_KEYS = ("fromEpisode", "toEpisode", "previous")  # a batch's text never depends on them
_LIMIT = 4 * MAX_EPISODES  # the furthest episode one call may reach, however it is asked
_ROLES = ("lead", "rival", "love", "friend", "kin", "crony", "witness")
_KEYS = dict(zip(_ROLES, "palfmhw", strict=True))  # each role's placeholder in the templates
# The role a given character plays, read from what the header (or a person) wrote; the
# henchman is matched before the antagonist because "反派帮凶" holds "反派".
_ROLE_CUES = {
    "lead": ("主角", "女主", "protagonist", "lead", "hero"),
    "crony": ("帮凶", "爪牙", "henchman", "accomplice", "crony"),
    "rival": ("反派", "对手", "antagonist", "villain", "rival"),
    "love": ("感情", "男主", "恋", "love"),
    "friend": ("挚友", "闺蜜", "兄弟", "朋友", "盟友", "friend", "ally"),
    "kin": ("家人", "母亲", "父亲", "family", "mother", "father", "parent"),
    "witness": ("证人", "知情", "witness"),
}
# Words of an idea that point to a family of building blocks, beside the genre labels.
_CUES = {
    "sweet": "总裁/闪婚/契约/心动/领证/情书/暗恋/ceo/contract/crush/marries/love letter",
    "angst": "离婚/替身/白月光/背叛/火葬场/divorce/stand-in/first love/betray",
    "wealth": "千金/萌宝/调包/首富/马甲/豪门/heiress/billionaire/swapped/little genius",
    "court": "侯府/嫡女/庶妹/皇帝/圣旨/冷宫/将军/palace/emperor/concubine/marquis",
    "underdog": "赘婿/战神/神医/岳父/外卖/同学会/son-in-law/war god/healer/delivery/reunion",
    "fantasy": "末世/末日/宗门/修仙/灵根/星舰/apocalypse/doomsday/starship/colony",
    "mystery": "凶案/真凶/刑警/嫌疑/密室/命案/murder/killer/detective/suspect/alibi",
    "horror": "直播/诅咒/循环/老宅/镜子/灵异/curse/ghost/haunted/livestream/mirror",
    "life": "婆婆/实习生/高考/除夕/账本/家庭/mother-in-law/intern/ledger/finals/new year",
}
# The families told from a heroine's view, where the brainstorm blocks' {a} is the lover.
_HEROINE_FIRST = {"sweet", "angst", "wealth", "court"}
_PLATFORMS = {"抖音": "Douyin", "快手": "Kuaishou", "视频号": "WeChat Channels"}
_SMALL_WORDS = {"a", "an", "the", "of", "at", "in", "on", "for", "from", "to", "and", "by", "with"}
_PROFILE = (
    ("personality", "i"),
    ("goal", "g"),
    ("contrast", "c"),
    ("advantage", "k"),
    ("advantageCost", "x"),
)
_CLAUSE = re.compile(r"[,，。.;；、!！?？\n\r]+")


def demo_outline(messages: list[dict[str, str]]) -> str:
    """Return the complete, deterministic reply text for one call of the outline kind."""
    params = read_params(messages)
    call = params.get("call") if params else None
    if params is None or call not in ("header", "episodes"):
        return _FALLBACK
    outline = _Outline(params)
    if call == "header":
        reply = outline.header()
    else:
        first = _int(params.get("fromEpisode"), 1, 1)
        reply = {"episodes": outline.episodes(first, _int(params.get("toEpisode"), first))}
    return json.dumps(reply, ensure_ascii=False, indent=2)


def _rng(value: object) -> random.Random:
    """A private generator seeded by a value's JSON (ASCII escapes survive lone surrogates)."""
    dump = json.dumps(value, sort_keys=True, default=str)
    return random.Random(int.from_bytes(hashlib.sha256(dump.encode()).digest(), "big"))


def _int(value: object, default: int, low: int = 0, high: int = _LIMIT) -> int:
    """A whole number clamped to low … high, or the default when value is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(low, min(high, value))


def _text(value: object, limit: int) -> str:
    """Caller text squeezed to single spaces, capped and made storable."""
    return storable(" ".join(value.split())[:limit]) if isinstance(value, str) else ""


def _fits(text: str, zh: bool) -> bool:
    """Whether text is written in the outline's script (Chinese has CJK, English none)."""
    return bool(text) and bool(CJK.search(text)) == zh


def _sentence(text: str, zh: bool) -> str:
    """Finish a sentence: a full stop when it lacks one, a capital letter in English."""
    if zh:
        return text if text.endswith(("。", "！", "？", "”", "——")) else text + "。"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", '"', "—")) else text + "."


def _headline(text: str) -> str:
    """Capitalise an English title's words, except the small ones inside it."""
    words = text.split(" ")
    return " ".join(
        w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


def _shorten(text: str, names: list[str], keep_first: bool) -> str:
    """English prose names a person in full once (or never, in a title), then by first name."""
    for name in names:
        first, _, rest = name.partition(" ")
        at = text.find(name)
        if rest and at >= 0:
            cut = at + len(name) if keep_first else at
            text = text[:cut] + text[cut:].replace(name, first)
    return text


def _bare(text: str) -> str:
    """Drop a leading article, for a noun inside a title."""
    head, _, rest = text.partition(" ")
    return rest if head.casefold() in ("a", "an", "the") and rest else text


def _family(text: str, rng: random.Random) -> str:
    """The building-block family the idea's words point to most, else one by lot."""
    text = text.casefold()
    scores = {
        family: sum(text.count(cue) for cue in cues.split("/")) for family, cues in _CUES.items()
    }
    for label, family in FAMILY_OF.items():
        scores[family] += text.count(label)
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] else rng.choice(list(_CUES))


def _invent_cast(rng: random.Random, zh: bool, family: str) -> list[tuple[str, str, bool]]:
    """Four to seven (role, name, is_female) with distinct surnames and given names."""
    heroine = family in _HEROINE_FIRST or (family != "underdog" and rng.random() < 0.5)
    extra = rng.sample(_ROLES[4:], rng.randint(0, 3))
    roles = [r for r in _ROLES if r in ("lead", "rival", "love", "friend") or r in extra]
    surnames, female, male = NAMES["zh" if zh else "en"]
    surnames = rng.sample(list(surnames) if zh else surnames.split(), len(roles))
    pools = {True: rng.sample(female.split(), 8), False: rng.sample(male.split(), 8)}
    fixed = {"lead": heroine, "love": not heroine, "friend": heroine}
    cast = []
    for role, surname in zip(roles, surnames, strict=True):
        is_female = fixed.get(role, rng.random() < 0.5)
        given = pools[is_female].pop()
        cast.append((role, surname + given if zh else f"{given} {surname}", is_female))
    return cast


def _given_cast(value: object) -> dict[str, str]:
    """Map the call's characters to roles: by the words of their roles, then by their order."""
    people = value if isinstance(value, list) else []
    people = [p for p in people if isinstance(p, dict) and _text(p.get("name"), 200)]
    names: dict[str, str] = {}
    rest = []
    for person in people:
        name, role = _text(person.get("name"), 200), _text(person.get("role"), 200).casefold()
        slot = next(
            (
                r
                for r, cues in _ROLE_CUES.items()
                if r not in names and any(c in role for c in cues)
            ),
            None,
        )
        if slot is None:
            rest.append(name)
        else:
            names[slot] = name
    for role in _ROLES:
        if rest and role not in names:
            names[role] = rest.pop(0)
    return names


def _given_stages(value: object) -> list[tuple[str, int, int]]:
    """The call's stages that can be read: (stage, first episode, last episode)."""
    stages = value if isinstance(value, list) else []
    found = []
    for s in stages:
        if isinstance(s, dict) and s.get("stage") in STAGES:
            first, last = _int(s.get("fromEpisode"), -1), _int(s.get("toEpisode"), -1)
            if 0 < first <= last:
                found.append((s["stage"], first, last))
    return found


def _bounds(count: int, paywall: int) -> tuple[int, int, int]:
    """The last episodes of opening, rising and climax; the paywall falls inside rising
    whenever the rising stage can reach it."""
    opening = max(1, round(count * 0.12))
    rising = max(opening + 1, round(count * 0.6))
    climax = max(rising + 1, round(count * 0.88))
    if 1 < paywall < count - 1:
        opening, rising = min(opening, paywall - 1), max(rising, paywall)
        climax = max(climax, rising + 1)
    climax = min(climax, count - 1)
    rising = min(rising, climax - 1)
    return min(opening, rising - 1), rising, climax


def _platform(name: str, zh: bool) -> str:
    """The platform named in the outline's language, or a plain description of one."""
    if zh:
        name = {v.casefold(): k for k, v in _PLATFORMS.items()}.get(name.casefold(), name)
    elif CJK.search(name):
        name = _PLATFORMS.get(name, "")
    return name or ("短视频平台" if zh else "short-video feeds")


def _gendered(items: list[str], female: bool) -> str:
    """The item for a woman or a man when a block gives both ("母亲|父亲"), else the only one."""
    return items[0] if female or len(items) == 1 else items[1]


class _Deck:
    """Seeded draws from the tables: each pile repeats nothing until it has all been dealt."""

    def __init__(self, rng: random.Random, table: dict[str, dict[str, list[str]]]) -> None:
        """Start with no pile dealt yet."""
        self.rng, self.table = rng, table
        self._piles: dict[tuple[str, str], list[str]] = {}

    def deal(self, section: str, code: str, fill: dict[str, str]) -> str:
        """Draw and fill a block; blocks are our own templates, caller text is only a value."""
        pile = self._piles.get((section, code))
        if not pile:
            items = self.table[section][code]
            pile = self._piles[(section, code)] = self.rng.sample(items, len(items))
        return pile.pop().format(**fill)


class _Outline:
    """What one call knows (language, family, cast, sizes), and the reply built from it."""

    def __init__(self, params: dict) -> None:
        """Read the call's params liberally: anything unreadable takes a default."""
        idea = params.get("idea") if isinstance(params.get("idea"), dict) else {}
        self.idea_title, body = _text(idea.get("title"), 60), _text(idea.get("body"), 5000)
        language = params.get("language")
        if language not in ("zh", "en"):
            language = "zh" if CJK.search(f"{self.idea_title}{body}") else "en"
        self.zh, self.table = language == "zh", _TABLES[language]
        # The cast, family and story blocks follow the idea alone, so every call of one
        # outline (and a header asked again with other sizes) agrees on them.
        cast_rng = _rng({"idea": idea, "language": language})
        self.family = _family(f"{self.idea_title} {body}", cast_rng)
        blocks = BLOCKS[language][self.family]
        self.goal, self.hook, self.twist, self.title_block = (
            cast_rng.choice(blocks[code]) for code in "ghwt"
        )
        self.cast = _invent_cast(cast_rng, self.zh, self.family)
        given = _given_cast(params.get("characters"))
        self.names = given or {role: name for role, name, _ in self.cast}
        self.count = _int(params.get("episodeCount"), 60, 4, MAX_EPISODES)
        self.paywall = _int(params.get("paywallEpisode"), max(2, self.count // 8), 1, self.count)
        self.seconds = _int(params.get("episodeSeconds"), 90, 1, 3600)
        self.platform = _platform(_text(params.get("platform"), 30), self.zh)
        self.notes = _text(params.get("notes"), 2000)
        self.bounds = _bounds(self.count, self.paywall)
        self.given_stages = _given_stages(params.get("stages"))
        self.rng = _rng({k: v for k, v in params.items() if k not in _BATCH_KEYS})
        self.deck = _Deck(self.rng, self.table)
        self.titles: set[str] = set()  # casefolded, across the whole outline
        self.synopses: set[str] = set()
        self.combos: list[str] = []

    def fill(self, **more: str) -> dict[str, str]:
        """Template values: names by role (a plain noun for a role nobody plays), the family's
        venue, clue, edge and secret, the goal and the sizes."""
        vocab, rng = self.table[self.family], self.rng
        fill = {_KEYS[r]: self.names.get(r) or self.table[r]["z"][0] for r in _ROLES}
        clue = rng.choice(vocab["o"])
        fill.update(v=rng.choice(vocab["v"]), o=clue, ob=_bare(clue), g=self.goal)
        fill.update(k=vocab["k"][0], x=vocab["x"][0], s=vocab["s"][0], pf=self.platform)
        fill.update(pay=str(self.paywall), n=str(self.count), sec=str(self.seconds), **more)
        return fill

    def story(self, block: str, end: bool = True) -> str:
        """Fill one of the brainstorm's blocks, whose {a} is the lover in romance families."""
        lead = self.names.get("lead") or self.table["lead"]["z"][0]
        love = self.names.get("love") if self.family in _HEROINE_FIRST else None
        other = love or self.names.get("rival") or self.table["rival"]["z"][0]
        surname = other[:1] if self.zh else other.split()[-1]
        text = block.format(p=lead, a=other, x=surname)
        return _sentence(text, self.zh) if end else text

    def prose(self, text: str, keep_first: bool = True) -> str:
        """English prose calls the cast by first name after naming them in full."""
        return text if self.zh else _shorten(text, list(self.names.values()), keep_first)

    def header(self) -> dict:
        """The outline's header: pitch, cast and the four stages."""
        fill, deal, vocab = self.fill(), self.deck.deal, self.table[self.family]
        characters = self.characters(fill)
        fill["c"] = characters[0]["contrast"]
        title = self.idea_title
        if not _fits(title, self.zh):
            title = self.story(self.title_block, end=False)
        points = [vocab["q"][0], *(deal("_", "q", fill) for _ in range(3))]
        clause = next((c.strip() for c in _CLAUSE.split(self.notes) if c.strip()), "")
        brief = clause[:20] if self.zh else " ".join(clause.split()[:8])
        if _fits(brief, self.zh):
            points.append(deal("_", "B", dict(fill, kw=brief)))
        return {
            "title": title,
            "logline": self.prose(deal("_", "L", dict(fill, hook=self.story(self.hook)))),
            "genre": vocab["n"][0],
            "audience": vocab["u"][0],
            "sellingPoints": [self.prose(point) for point in points],
            "setting": deal("_", "e", dict(fill, e=vocab["e"][0])),
            "characters": characters,
            "stages": self.stages(),
        }

    def characters(self, fill: dict[str, str]) -> list[dict]:
        """The invented cast's 人物小传, each related to the lead and the antagonist."""
        lead_female = self.cast[0][2]
        names = {role: name for role, name, _ in self.cast}
        found = []
        for role, name, female in self.cast:
            table = self.table[role]
            low, high = (int(y) for y in table["y"][0].split("-"))
            age = self.rng.randint(low, high)
            if role == "lead":
                relations = [
                    {"name": other, "relation": _gendered(self.table[r]["L"], f)}
                    for r, other, f in self.cast[1:]
                ]
            else:
                relations = [
                    {"name": names["lead"], "relation": _gendered(table["P"], lead_female)}
                ]
                if "A" in table:
                    relations.append({"name": names["rival"], "relation": table["A"][0]})
            found.append(
                {
                    "name": name,
                    "role": _gendered(table["n"], female),
                    "age": f"{age}岁" if self.zh else str(age),
                    **{key: self.prose(self.deck.deal(role, c, fill)) for key, c in _PROFILE},
                    "relationships": relations,
                }
            )
        return found

    def stages(self) -> list[dict]:
        """The four stages over episodes 1 … count; the paywall's stage says where it falls."""
        opening, rising, climax = self.bounds
        spans = zip(
            STAGES,
            (1, opening + 1, rising + 1, climax + 1),
            self.bounds + (self.count,),
            strict=True,
        )
        found = []
        for stage, first, last in spans:
            span = self.table["span"]["1" if first == last else "2"][0]
            fill = self.fill(span=span.format(fr=first, to=last))
            codes = ["orcz"[STAGES.index(stage)]] + (["y"] if first <= self.paywall <= last else [])
            # A long sentence continues under the upper-case code, to keep the tables narrow.
            parts = [
                self.deck.deal("stage", c, fill)
                for code in codes
                for c in (code, code.upper())
                if c in self.table["stage"]
            ]
            summary = self.prose(("" if self.zh else " ").join(parts))
            found.append(
                {"stage": stage, "fromEpisode": first, "toEpisode": last, "summary": summary}
            )
        return found

    def stage_of(self, number: int) -> str:
        """The stage an episode belongs to: the call's stages first, else the default ones."""
        for stage, first, last in self.given_stages:
            if first <= number <= last:
                return stage
        opening, rising, climax = self.bounds
        return STAGES[(number > opening) + (number > rising) + (number > climax)]

    def episodes(self, first: int, last: int) -> list[dict]:
        """Episodes first … last; each is drawn in order from episode 1, so a batch is the same
        however the outline is split, and no title repeats."""
        last = min(last, _LIMIT)
        climax = [n for n in range(1, max(self.count, last) + 1) if self.stage_of(n) == "climax"]
        twist = climax[len(climax) // 2] if climax else 0
        self.combos = self.title_combos()
        since, gap, found = 0, self.rng.choice((2, 3)), []
        for number in range(1, last + 1):
            # A payoff (爽点) every two or three episodes, one on each side of the paywall and
            # at the twist; never at the paywall, whose cliffhanger must carry the episode.
            since += 1
            near = (self.paywall - 1, self.paywall + 1, twist)
            payoff = number != self.paywall and (since >= gap or number in near)
            if payoff:
                since, gap = 0, self.rng.choice((2, 3))
            episode = self.episode(number, payoff, number == twist)
            if number >= first:
                found.append(episode)
        return found

    def episode(self, number: int, payoff: bool, twist: bool) -> dict:
        """One episode: title, synopsis in its stage, hook and cliffhanger."""
        deal, zh = self.deck.deal, self.zh
        kind = ("S" if twist else deal("_", "k", {})) if payoff else "C"
        situation = "1234"[STAGES.index(self.stage_of(number))]
        for _ in range(6):  # redraw the rare synopsis that repeats an earlier one
            fill = self.fill()
            opening = self.story(self.hook) if number == 1 else deal("_", situation, fill)
            opening = _sentence(opening, zh)
            middle = self.story(self.twist) if twist else deal("_", kind, fill)
            synopsis = (" " if not zh else "").join((opening, _sentence(middle, zh)))
            if payoff:
                synopsis += ("" if zh else " ") + self.table["mark"][kind][0]
            if synopsis not in self.synopses:
                break
        self.synopses.add(synopsis)
        ending = "W" if number == self.paywall else "E" if number == self.count else "K"
        return {
            "number": number,
            "title": self.title(
                kind.lower() if payoff else "abcd"[int(situation) - 1], fill, number
            ),
            "synopsis": self.prose(synopsis),
            "hook": self.prose(self.beat("T", "H", fill)),
            "cliffhanger": self.prose(self.beat("N", ending, fill)),
        }

    def beat(self, lead_in: str, code: str, fill: dict[str, str]) -> str:
        """A hook or cliffhanger: an ordinary one after a lead-in (at night, just then …)."""
        beat = self.deck.deal("_", code, fill)
        if code in ("H", "K"):
            beat = ("" if self.zh else " ").join((self.deck.deal("_", lead_in, fill), beat))
        return _sentence(beat, self.zh)

    def title_combos(self) -> list[str]:
        """Titles made of a name, venue or clue and a word, shuffled: the spare supply once a
        stage's own titles are used up."""
        vocab, names = self.table[self.family], [n for n in self.names.values() if n]
        combos = [t.format(who=n) for t in self.table["_"]["M"] for n in names]
        combos += [t.format(v=v) for t in self.table["_"]["V"] for v in vocab["v"]]
        combos += [t.format(ob=_bare(o)) for t in self.table["_"]["O"] for o in vocab["o"]]
        combos = [t if self.zh else _headline(self.prose(t, False)) for t in combos]
        return self.rng.sample(combos, len(combos))

    def title(self, code: str, fill: dict[str, str], number: int) -> str:
        """A title no earlier episode has: the stage's or payoff's own, then a combination,
        then (never in practice) one numbered by its episode."""
        shape = (lambda t: t) if self.zh else (lambda t: _headline(self.prose(t, False)))
        candidates = [shape(self.deck.deal("_", code, fill)) for _ in range(3)]
        for title in candidates + self.combos[::-1]:
            if title.casefold() not in self.titles:
                self.titles.add(title.casefold())
                return title
        return f"{candidates[0]}（{number}）" if self.zh else f"{candidates[0]} ({number})"


# Block tables (see parse_blocks): "@section", then "code item|item". In "@_": 1-4 a stage's
# situation, P/R/S a payoff (face-slap, reversal, reveal) and C a complication; H hook and T
# its lead-in, K cliffhanger and N its lead-in, W the paywall's, E the finale's; a-d titles by
# stage, p/r/s by payoff, M/V/O the spare titles; k the payoffs' order, L logline, q selling
# point, B the brief's, e setting. In "@stage": o/r/c/z a stage's summary and y the paywall's,
# each continued under its upper-case code if any. A role's section: n role, y ages, i/g/c/k/x
# profile, L what the role is to the lead, P the lead to it, A the antagonist to it, z its
# plain noun when nobody plays it. A family's: n genre, u audience, e setting, v venues, k edge
# (金手指), x its cost, s the secret, o clues, q its selling point.
_ZH = """
@_
1 在{v}上，{a}当众羞辱{p}，{p}咬牙忍下，把每一张嘲笑的脸都记在心里。
1 {a}抢先设下圈套，{p}在{v}被所有人指责，百口莫辩。|{p}被逼到绝境，身边只剩{f}还愿意站在自己这边。
1 为了{g}，{p}硬着头皮走进{v}，和{a}正面相遇。|{l}在{v}第一次注意到{p}，两人的交锋从一句冷嘲开始。
1 {p}意外察觉自己拥有{k}，也第一次看清了{a}的真面目。|{a}把{o}攥在手里当筹码，逼{p}低头认输。
1 {p}在{v}捡到{o}，命运从这一刻开始改变。
2 {p}借着{k}悄悄布局，{a}的计划开始接连落空。|{a}不甘心，让{h}在{v}再设一局，想把{p}彻底踩下去。
2 {p}和{l}联手追查{s}，线索指向{v}。|{f}带来关于{o}的消息，{p}离{s}又近了一步。
2 {a}察觉{p}变了，开始怀疑{p}背后另有靠山。|为了{g}，{p}主动走进{a}布下的局，将计就计。
2 {m}终于向{p}松口，说出了关于{s}的一点线索。|{l}替{p}挡下{a}的刁难，两人的关系悄悄升温。
2 {p}在{v}撞见{a}和{h}密谈，悄悄录下了关键的一段。
2 {a}拿{f}做诱饵，逼{p}在{v}现身。
2 {p}故意示弱，引{a}放松警惕，暗中把{o}换了出来。
2 {l}带{p}出现在{v}，两人假扮亲密，一起套{a}的话。
2 {p}顺着{o}查到{v}，发现{a}早有准备。
3 {a}孤注一掷，在{v}当众发难，想让{p}再也翻不了身。
3 {s}就要浮出水面，{p}却发现要付出的代价比想象中更大。|{p}和{a}在{v}正面对决，所有人都在等一个结果。
3 {a}抓住{k}的破绽疯狂反扑，{p}陷入前所未有的危机。
3 {l}为护住{p}身陷险境，{p}必须在两难之间做出选择。|{w}终于开口作证，把矛头直接指向{a}。
3 {h}见势不妙想要脱身，却被{a}推出来顶罪。
3 {p}把所有证据摆上桌，{a}却亮出了最后一张底牌。
3 {f}被{a}绑走，{p}必须独自赶到{v}。
4 尘埃落定，{a}为当年的所作所为付出了代价。|{p}重回{v}，当初看不起{p}的人一个个变了脸色。
4 {p}和{l}终于把话说开，多年的心结一点点解开。|{h}向{p}低头认罪，交出了最后的证据：{o}。
4 旧账一笔笔清算完毕，{p}开始过属于自己的日子。
4 {f}看着{p}站到高处，{p}却把这份荣耀分给了一路同行的人。
4 {p}在{v}当众还原真相，{a}再无话可说。
P {p}当众亮出{o}，{a}的谎言不攻自破，刚才起哄的人全都闭了嘴。
P {a}以为胜券在握，{p}一句话让全场反转，{a}脸色煞白。
P 被所有人看不起的{p}在{v}一鸣惊人，{h}当场傻眼。
P {a}带人上门找茬，{p}不慌不忙，三句话让对方颜面尽失。
P {p}把{a}泼来的脏水原样奉还，{v}里的人第一次站到了{p}这边。
R 原以为是{a}的陷阱，其实是{p}早就布好的局。|关键时刻{l}站到{p}身后，局势瞬间逆转。
R {h}临阵倒戈，把{a}的底牌交到了{p}手里。|{a}精心准备的证据被{p}当场拆穿，反成了{a}自己的把柄。
R 所有人都以为{p}输定了，{f}却带着{o}及时赶到。
S {o}揭开了{s}的一角，{p}终于明白{a}一直在隐瞒什么。|{w}说出当年的一句话，{s}有了全新的答案。
S {p}的{k}第一次完全展露，全场震惊。|{l}的真实身份曝光，原来{l}早就和{s}有关。
S 一段被删掉的录像被{f}恢复，画面里赫然是{a}。
C {a}提前得到风声，{p}的计划被迫改变。|{p}和{l}之间生出误会，两人不欢而散。
C {f}被{a}抓住把柄，只能暂时疏远{p}。|一个陌生号码发来{o}的照片，{p}彻夜难眠。
C {p}发现{k}并非没有代价：{x}。|{h}在暗处盯上了{p}，危险一步步逼近。|{m}劝{p}收手，{p}却不肯回头。
C {a}放出假消息，{v}里关于{p}的流言越传越凶。
C {l}的一个隐瞒被{p}撞破，两人之间的信任出现裂痕。
C {v}里突然多了一张陌生面孔，一直盯着{p}。
H {a}把{o}狠狠摔在{p}面前：“你还有什么好说的？”
H {p}推开{v}的门，所有人同时回头。
H 一记耳光落下，{p}被{a}当众打偏了脸。
H {l}一把拉住{p}：“别进去。”
H 电话那头只说了一句：“{s}，我全都知道。”
H {p}盯着手里的{o}，指尖微微发抖。
H {h}鬼鬼祟祟地溜进{v}，身后跟着一个看不清脸的人。
H 倒计时只剩十秒，{p}还没有出现。
H {f}哭着冲进来：“出事了！”
H {a}举杯冷笑：“今天，就让所有人看清{p}是什么人。”
H {p}从噩梦中惊醒，手机屏幕上是一张{o}的照片。
H {a}和{l}并肩走进{v}，全场安静。
H {p}被人推倒在地，{o}散落一地。
H {l}把{p}抵在墙角：“你到底是谁？”
H {a}当众夺走了{o}，扬长而去。
T 深夜，
T 清晨，
T 雨夜，
T 镜头推近：
T 开场三秒，
T 毫无征兆地，
T 画面一亮，
T 黑屏之后，
K 门被推开，来人竟是{a}。
K {o}不翼而飞。
K {a}冷笑着举起手机：“你以为我不知道？”
K {l}看着{p}，说出一句让人心头一震的话。
K 一条匿名短信亮起：“小心{h}。”
K {p}转身的瞬间，{v}的灯突然全灭。
K {w}刚要开口，就被人从身后捂住了嘴。
K 监控画面里，多出了一个本不该出现的人。
K {f}的电话再也打不通了。
K {a}低声对{h}说：“今晚动手。”
K {l}接起一个电话，脸色瞬间变了。
K {p}终于拿到{o}，上面的一个名字让{p}愣在原地。
K 一辆黑色轿车停在{v}门口，车窗缓缓降下。
K {p}身后，有人悄悄举起了手机。
N 就在这时，
N 下一秒，
N 镜头一转，
N 话音未落，
N 与此同时，
N 突然，
N 片刻之后，
N 没人注意到，
W {p}终于摸到{s}，{a}却抢先按下了删除键，画面定格在{p}震惊的脸上——
W 所有证据都指向同一个人，{p}缓缓回头，看见的竟是{l}——
W {a}当众宣布一个足以毁掉{p}的秘密，话音未落，全场陷入死寂——
E 片尾彩蛋：{o}的背面，还写着一行没人见过的字。|片尾，{l}递给{p}一把钥匙：“这一次，换我等你。”
E 片尾，{p}收到一封没有署名的信，信封上只写着：第二季见。
k P|R|S
a {v}之辱|初见{l}|{p}的底线|{a}的下马威|被夺走的{o}|暗流初起|{p}不忍了|一夜之间|{v}里的冷笑|第一道伤
b 将计就计|{l}的试探|{o}的下落|步步为营|{a}坐不住了|{v}暗战|反击开始|{f}的秘密|以退为进|风声渐紧
b {h}的把柄|第二次交锋
c 孤注一掷|{v}决战|撕破脸|最后的底牌|{l}遇险|众叛亲离|生死一线|摊牌|真相逼近
d 尘埃落定|{a}的报应|重回{v}|{p}与{l}|新的开始|旧账清算|一切归位|各得其所
p 当众打脸|{a}傻眼了|{v}翻盘|一句话封口|脏水奉还|颜面尽失
r 反转|局中局|{h}倒戈|底牌互换|{l}出手|绝地翻盘
s {o}的秘密|真相一角|{l}的身份|被删掉的录像|{w}开口|面具落地
M {who}的反击|{who}的秘密|{who}的软肋|{who}的底牌|{who}的抉择|{who}的退路|{who}的谎言|{who}的赌局
V {v}风波|{v}暗战|{v}惊变|{v}对峙|{v}疑云|{v}余波|{v}夜话|{v}迷局
O {ob}风波|{ob}疑云|{ob}之谜|{ob}易主|{ob}现身|{ob}真假
L {hook}{p}手握{k}，决心{g}，却发现{s}远比想象中复杂。
q 反差人设：{p}{c}|金手指：{k}，每两三集一次打脸或反转，爽点密集
q 第{pay}集付费卡点：{s}即将揭开，{a}抢先出手|开场三秒强冲突，集尾必留钩子，适配{pf}竖屏节奏
q {p}与{l}的感情线贯穿全剧，虐甜交替
B 按创作要求融入“{kw}”
e {e}。{pf}竖屏短剧，共{n}集，每集约{sec}秒。
@stage
o {span}：{p}在{v}遭{a}打压，被逼入绝境；{p}结识{l}，意外握住{k}，立下目标：{g}。
r {span}：{p}借{k}步步反击，每两三集一次打脸或反转；
R 与{l}的关系在试探中升温，{a}的阵营开始松动，关于{s}的线索越来越多。
c {span}：{a}孤注一掷，{s}终于大白于天下，{p}与{a}在{v}正面决战，也为{k}付出代价：{x}。
z {span}：{a}得到应有的结局，{p}终于{g}，与{l}解开心结，片尾留下新的悬念。
y 第{pay}集为付费卡点：{p}即将揭开{s}，{a}抢先出手，画面在最紧要的一秒黑屏。
@span
1 第{fr}集
2 第{fr}—{to}集
@mark
P （爽点：当众打脸）
R （爽点：局势反转）
S （爽点：真相揭晓）
@lead
n 女主角|男主角
y 22-28
i 外冷内热，隐忍果断|嘴硬心软，记仇也记恩|表面温顺，骨子里极倔
g {g}
c 人前软弱可欺，人后步步为营|看似一无所有，底牌却比谁都多|表面温顺听话，骨子里比谁都狠
k {k}
x {x}
z 主角
@rival
n 反派
y 28-45
i 精明虚伪，笑里藏刀|骄纵跋扈，极度好面子|野心勃勃，从不给人留后路
g 让{s}永远不见天日|把{p}永远踩在脚下
c 人前体面慈善，人后心狠手辣|对外八面玲珑，私下多疑到不信任何人
k 家族势力与盘根错节的人脉|牢牢攥着{p}的软肋
x 一旦{s}曝光，就会一无所有
L 宿敌
P 眼中钉
z 对手
@love
n 感情线
y 26-32
i 冷面毒舌，极其护短|温和克制，心思深沉
g 查清{s}，护住{p}
c 对外冷若冰霜，对{p}却有求必应|看似游戏人间，其实比谁都长情
k 雄厚的资源与情报网
x 身份特殊，不能轻易出手
L 心动的人
P 想守护的人
A 对手
z 神秘人
@friend
n 挚友
y 22-30
i 仗义直爽，嘴快心热
g 陪{p}把公道讨回来
c 看着大大咧咧，关键时刻最靠得住
k 消息灵通，人缘极好
x 容易被{a}拿来要挟{p}
L 最信任的朋友
P 挚友
A 看不惯的人
z 老朋友
@kin
n 家人
y 48-60
i 固执传统，爱在心里口难开
g 护住这个家
c 嘴上最嫌弃{p}，暗地里最心疼
k 知道一部分{s}
x 说出来就会连累全家
L 母亲|父亲
P 女儿|儿子
A 不敢得罪的人
z 家人
@crony
n 反派帮凶
y 30-45
i 见风使舵，贪财怕死
g 在{a}身边捞够好处
c 看似忠心耿耿，其实随时准备倒戈
k 替{a}经手过所有脏事
x 知道得太多，随时可能被灭口
L 仇人的帮凶
P 盯梢的对象
A 主子
z 手下
@witness
n 关键证人
y 40-65
i 胆小谨慎，心怀愧疚
g 弥补当年的过错
c 沉默多年，一开口就能掀翻全局
k 当年亲眼看见的一幕，正是{s}的关键
x 一旦作证就再无退路
L 知道真相的人
P 想要弥补的人
A 最害怕的人
z 知情人
@sweet
n 甜宠
u 女频，18—35岁爱看甜宠的都市女性
e 现代都市，玻璃幕墙的写字楼、总裁的顶层公寓和永远在八卦的茶水间
v 公司年会|家族晚宴|民政局门口|总裁办公室|订婚宴|慈善晚会
k 过目不忘的设计天赋
x 身份一旦曝光，契约立刻作废
s 契约婚姻背后的真正原因
o 结婚证|旧照片|合同原件|聊天记录
q 契约婚姻加双向暗恋，糖分拉满
@angst
n 虐恋复仇
u 女频，20—40岁爱看虐恋与复仇的女性
e 冷漠的豪门都市，老牌家族决定谁有资格被看见
v 订婚宴|医院走廊|股东大会|白月光的接风宴|民政局
k 隐藏多年的顶级医术
x 每用一次，都要重新揭开一次旧伤
s 当年救命恩人的真相
o 病历|录音笔|转账记录|离婚协议
q 先虐后爽，追妻火葬场一路打脸
@wealth
n 豪门千金
u 女频，18—40岁爱看豪门反转的女性
e 老牌豪门的庄园、董事会和慈善晚宴
v 豪门寿宴|慈善拍卖会|家族董事会|幼儿园亲子会|认亲宴
k 一层又一层的马甲：神医、黑客、匿名首富
x 每掉一个马甲，就多一个敌人
s 当年婴儿被调包的真相
o DNA报告|出生证明|老保姆的日记|监控录像
q 真假千金加层层马甲，每集都有身份反转
@court
n 古言宫斗
u 女频，18—40岁爱看古风权谋的女性
e 架空王朝的京城，深宫、侯府与明争暗斗的后宅
v 赏花宴|祠堂|宫宴|侯府正厅|皇家围场
k 前世的记忆
x 改变的事越多，前世的记忆就消散得越快
s 母族被构陷的真相
o 密信|账册|玉佩|药渣
q 重生复仇加宅斗宫斗，步步为营
@underdog
n 都市逆袭
u 男频，25—50岁爱看逆袭打脸的男性
e 节奏飞快的一线城市，钱决定谁被尊重
v 岳父寿宴|同学会|董事会|拍卖会|五星酒店大堂
k 隐藏的千亿身家和神医传承
x 身份一旦曝光，仇家就会找上门
s 父亲当年蒙冤入狱的真相
o 黑卡|合同|录音|监控录像
q 隐藏大佬身份，逢场必打脸
@fantasy
n 玄幻末世
u 18—35岁爱看爽文升级的观众
e 濒临崩溃的世界，宗门与安全区争夺最后的资源
v 安全区|宗门大比|拍卖行|秘境入口|物资仓库
k 随身空间和前世的记忆
x 每动用一次，都会折损寿元
s 灾变背后的真相
o 残玉|星图|幸存者日志|晶核
q 重生开局加随身空间，升级打怪节节高
@mystery
n 悬疑推理
u 20—45岁爱看烧脑反转的观众
e 阴雨连绵的城市，一桩十年前的悬案始终没有被埋葬
v 案发现场|审讯室|暴雨中的民宿|监控室|法庭
k 过目不忘的侧写能力
x 每做一次侧写，都要重温一次自己的噩梦
s 十年前那桩悬案的真相
o 第二把钥匙|监控录像|带血的手表|匿名信
q 每集一个线索，真凶藏在第一集
@horror
n 惊悚灵异
u 18—35岁爱看惊悚解谜的观众
e 偏远的山村，老宅、红布和没人解释得清的规矩
v 老宅|午夜直播间|祠堂|废弃医院|村口古井
k 能看见别人看不见的东西
x 每多看一次，身上的印记就深一分
s 村子诅咒的真相
o 红布|旧照片|日记|录音带
q 民俗规则怪谈，层层解谜
@life
n 家庭现实
u 25—55岁爱看家庭与职场故事的观众
e 普通的城市，拥挤的小区、办公室政治和年夜饭桌
v 年夜饭桌|公司例会|家长会|董事会|医院病房
k 十年练就的专业本事
x 说出真相，就可能失去这个家
s 那本账本背后的秘密
o 账本|工作邮件|体检报告|旧存折
q 真实戳心的家庭矛盾，句句有共鸣
"""

_EN = """
@_
1 At {v}, {a} humiliates {p} in public, and {p} swallows it, memorizing every laughing face.
1 {a} springs a trap first, and at {v} everyone turns on {p}, who cannot explain.
1 Pushed to the edge, {p} has only {f} left to believe in.
1 To {g}, {p} walks into {v} and comes face to face with {a}.
1 {l} notices {p} for the first time at {v}, and their duel starts with a cold joke.
1 {p} stumbles onto {k} and sees {a}'s true face for the first time.
1 {a} holds {o} as leverage and demands that {p} back down.
1 At {v}, {p} picks up {o}, and everything starts to change.
2 Using {k}, {p} lays quiet plans, and {a}'s schemes start to fail one after another.
2 Unwilling to lose, {a} has {h} set another trap at {v} to finish {p} off.
2 {p} and {l} team up to dig into {s}, and the trail leads to {v}.
2 {f} brings news about {o}, and {p} gets one step closer to {s}.
2 {a} senses that {p} has changed and starts to suspect a powerful backer.
2 To {g}, {p} walks straight into {a}'s trap and plays along.
2 {m} finally lets slip to {p} a clue about {s}.
2 {l} shields {p} from {a}'s attack, and something between them quietly warms.
2 At {v}, {p} overhears {a} plotting with {h} and quietly records the key part.
2 {a} uses {f} as bait to draw {p} out at {v}.
2 {p} plays weak to lull {a}, then quietly swaps out {o}.
2 {l} brings {p} to {v}, and the two pretend to be close to draw {a} out.
2 Following {o}, {p} ends up at {v}, only to find {a} ready and waiting.
3 {a} goes all in at {v}, determined to ruin {p} for good.
3 {s} is about to surface, and {p} realizes the price is higher than imagined.
3 {p} and {a} face off at {v} while everyone waits for the verdict.
3 {a} finds the weak spot in {k} and strikes back hard, leaving {p} in the worst danger yet.
3 {l} is caught in danger while protecting {p}, who must choose between two losses.
3 {w} finally testifies and points straight at {a}.
3 Seeing the tide turn, {h} tries to slip away, but {a} offers {h} up as the scapegoat.
3 {p} lays out every piece of evidence, but {a} reveals one last card.
3 {a} takes {f} hostage, and {p} must go to {v} alone.
4 The dust settles, and {a} pays for everything done in the past.
4 {p} returns to {v}, and everyone who once sneered changes their tune.
4 {p} and {l} finally talk it through, and an old knot comes undone.
4 {h} confesses to {p} and hands over the last piece of evidence: {o}.
4 The old debts are settled one by one, and {p} starts a new life.
4 {f} watches {p} rise, and {p} shares the win with everyone who stayed close.
4 At {v}, {p} lays the whole truth bare, and {a} has nothing left to say.
P {p} produces {o} in public, {a}'s lie collapses, and the hecklers fall silent.
P Sure of victory, {a} watches {p} turn the room with one sentence and goes pale.
P Written off by everyone, {p} stuns the crowd at {v}, leaving {h} speechless.
P {a} comes looking for a fight, and {p} calmly needs three sentences to leave {a} humiliated.
P {p} throws {a}'s mud right back, and for the first time the crowd at {v} sides with {p}.
R What looked like {a}'s trap was a setup {p} had planned all along.
R At the critical moment {l} stands behind {p}, and the tables turn.
R {h} switches sides and hands {a}'s trump card to {p}.
R The evidence {a} prepared falls apart in {p}'s hands and becomes {a}'s own noose.
R Everyone thinks {p} has lost, until {f} arrives with {o}.
S {o} lifts a corner of {s}, and {p} finally understands what {a} has been hiding.
S {w} repeats one sentence from years ago, and {s} takes on a new meaning.
S For the first time {p} shows the full power of {k}, and the room goes silent.
S {l}'s real identity comes out: {l} has been tied to {s} from the start.
S {f} recovers a deleted recording, and the face on screen is {a}'s.
C {a} gets wind of the plan, and {p} has to change course.
C A misunderstanding opens between {p} and {l}, and they part on bad terms.
C {a} finds leverage on {f}, who has to keep away from {p} for now.
C An unknown number sends {p} a photo of {o}, and sleep never comes.
C {p} learns that {k} comes at a price: {x}.
C {h} starts watching {p} from the shadows, and danger closes in.
C {m} begs {p} to stop, but {p} will not turn back.
C {a} spreads a rumor, and the gossip about {p} at {v} gets uglier.
C {p} catches {l} in a lie, and trust starts to crack.
C A stranger at {v} keeps watching {p}.
H {a} slams {o} down in front of {p}: "Anything left to say?"
H {p} walks into {v}, and every head turns.
H a slap rings out: {a} strikes {p} in front of everyone.
H {l} grabs {p}'s arm: "Don't go in there."
H a voice on the phone says only: "I know about {s}."
H {p} stares at {o}, fingers trembling.
H {h} sneaks into {v}, followed by someone whose face stays in shadow.
H ten seconds left on the clock, and {p} still has not shown up.
H {f} bursts in, in tears: "Something's happened!"
H {a} raises a glass with a smirk: "Tonight everyone will see who {p} really is."
H {p} wakes from a nightmare to a photo of {o} on the phone screen.
H {a} and {l} walk into {v} side by side, and the room goes quiet.
H {p} is shoved to the floor, and {o} goes flying.
H {l} pins {p} against the wall: "Who are you, really?"
H {a} grabs {o} in front of everyone and walks off with it.
T Late at night,
T At dawn,
T On a rainy night,
T Close-up:
T Cold open:
T Without warning,
T Fade in:
T Seconds in,
K the door opens, and it is {a}.
K {o} vanishes.
K {a} holds up a phone with a cold smile: "You thought I didn't know?"
K {l} looks at {p} and says one sentence that changes everything.
K an anonymous text lights up the screen: "Watch out for {h}."
K as {p} turns around, every light at {v} goes out.
K {w} is about to speak when a hand clamps down from behind.
K someone who should not be there appears on the security feed.
K {f}'s phone goes dead.
K {a} whispers to {h}: "Tonight. Do it."
K {l} answers a call and goes pale.
K {p} finally gets hold of {o}, and one detail on it stops {p} cold.
K a black car stops outside {v}, and its window slowly rolls down.
K behind {p}, someone raises a phone and starts recording.
N Just then,
N A second later,
N Cut to:
N Before anyone can speak,
N Meanwhile,
N Suddenly,
N Moments later,
N Unnoticed by all,
W {p} is one step from {s}, but {a} hits delete first, and the frame freezes on {p}'s stunned face—
W Every clue points to one person; {p} slowly turns around and sees {l}—
W {a} announces a secret that could destroy {p}, and the whole room falls dead silent—
E After the credits, a line nobody has seen before appears on the back of {o}.
E In the final shot, {l} hands {p} a key: "This time, I'll wait for you."
E In the final shot, {p} opens an unsigned letter: "See you next season."
k P|R|S
a Humiliation at {v}|Meeting {l}|{p}'s Breaking Point|{a} Strikes First|The Missing {ob}
a Undercurrents|{p} Stops Smiling|Overnight|Laughter at {v}|The First Wound
b Playing Along|{l}'s Test|Where the {ob} Went|Step by Step|{a} Gets Nervous|Cold War at {v}
b The Counterattack Begins|{f}'s Secret|Retreat to Advance|Rumors Spread|{h}'s Weak Spot
b Second Round
c All In|Showdown at {v}|Cards on the Table|The Last Trump Card|{l} in Danger|Everyone Turns Away
c A Hair's Breadth|Masks Off|The Truth Closes In
d The Dust Settles|{a}'s Reckoning|Back to {v}|{p} and {l}|A New Beginning|Old Debts Paid
d Everything in Its Place|What Each Deserves
p The Public Slap|{a} Is Speechless|Turning the Tables at {v}|One Sentence Is Enough|Mud Returned
p Losing Face
r The Reversal|A Trap Within a Trap|{h} Switches Sides|Swapped Trump Cards|{l} Steps In
r Back from the Brink
s The Secret of the {ob}|A Corner of the Truth|Who {l} Really Is|The Deleted Recording|{w} Speaks
s Unmasked
M {who}'s Gambit|{who}'s Secret|{who}'s Weak Spot|{who}'s Trump Card|{who}'s Choice|{who}'s Way Out
M {who}'s Lie|{who}'s Wager
V Showdown at {v}|Trouble at {v}|Whispers at {v}|Ambush at {v}|Standoff at {v}|Aftermath at {v}
V Midnight at {v}|Games at {v}
O The {ob} Mystery|The {ob} Gamble|The {ob} Riddle|The {ob} Trail|The {ob} Question|The {ob} Deal
L {hook} With {k}, {p} sets out to {g}, only to find that {s} runs deeper than anyone knew.
q Contrast: {p} {c}|Secret weapon: {k}, with a face-slap or reversal every two to three episodes
q Paywall at episode {pay}: {s} is about to come out when {a} strikes first
q A clash in the first three seconds and a hook at every ending, paced for {pf}
q The love line between {p} and {l} runs through the whole season, sweet and bitter by turns
B Built around the brief: "{kw}"
e {e}. A vertical series for {pf}: {n} episodes of about {sec} seconds each.
@stage
o {span}: {a} humiliates {p} at {v} and corners {p};
O {p} meets {l}, discovers {k}, and resolves to {g}.
r {span}: {p} strikes back with {k}, with a face-slap or reversal every two to three episodes;
R the bond with {l} grows through tests, {a}'s camp starts to crack, and clues to {s} pile up.
c {span}: {a} goes all in, {s} comes out, and {p} faces {a} at {v}, paying the price of {k}: {x}.
z {span}: {a} gets what is deserved, {p} manages to {g},
Z makes peace with {l}, and a final tease sets up more.
y Episode {pay} is the paywall: {p} is one second from exposing {s}
Y when {a} strikes first and the screen cuts to black.
@span
1 Episode {fr}
2 Episodes {fr}–{to}
@mark
P (Payoff: face-slap)
R (Payoff: reversal)
S (Payoff: reveal)
@lead
n protagonist
y 22-28
i cool on the outside, warm underneath; patient and decisive
i sharp-tongued but soft-hearted; never forgets a debt or a kindness
i mild on the surface, stubborn to the bone
g {g}
c looks like an easy target, but plans every move|seems to have nothing, yet holds the most cards
c polite and obedient in public, ruthless when it counts
k {k}
x {x}
z the lead
@rival
n antagonist
y 28-45
i smooth and two-faced, smiling while scheming|arrogant, spoiled and obsessed with face
i ambitious and merciless, never leaves an exit
g bury {s} for good|keep {p} down for good
c a generous philanthropist in public, cruel behind closed doors|charming to everyone, trusts no one
k family power and a web of connections|a firm grip on {p}'s weak spot
x the moment {s} comes out, everything is lost
L archenemy
P thorn in the side
z the rival
@love
n love interest
y 26-32
i cold, sharp-tongued and fiercely protective|gentle, restrained and hard to read
g uncover {s} and keep {p} safe
c ice-cold to the world, soft only for {p}
c plays the carefree heir, loves more faithfully than anyone
k deep resources and a private intelligence network
x a position that makes every open move risky
L the one who makes the heart race
P the person worth protecting
A opponent
z a stranger
@friend
n best friend
y 22-30
i loyal, blunt and quick to speak
g help {p} get justice
c looks careless, is the most reliable when it matters
k knows everyone and hears everything
x an easy lever for {a} to pressure {p}
L most trusted friend
P best friend
A the person to watch
z an old friend
@kin
n family
y 48-60
i stubborn, old-fashioned, loves without saying so
g hold the family together
c complains about {p} the most, worries about {p} the most
k knows part of {s}
x speaking up would drag the whole family down
L mother|father
P daughter|son
A someone too powerful to cross
z the family
@crony
n henchman
y 30-45
i opportunistic, greedy and cowardly
g grab as much as possible while serving {a}
c looks loyal, ready to switch sides at any moment
k has handled every dirty job for {a}
x knows too much to be left alive
L the enemy's henchman
P the target to watch
A boss
z a hired hand
@witness
n key witness
y 40-65
i timid, careful and full of guilt
g make up for an old mistake
c silent for years, one sentence could change everything
k saw {s} firsthand
x once the testimony is given, there is no way back
L the one who knows the truth
P the person owed an apology
A the person most feared
z a witness
@sweet
n Sweet romance
u Women 18–35 who binge sweet romance
e A glittering modern city of glass towers, penthouses and office gossip
v the company gala|the family dinner|the marriage registry|the CEO's office|the engagement party
v the charity ball
k a talent for design that nobody at the firm suspects
x the contract is void the moment the secret gets out
s the real reason behind the contract marriage
o the marriage certificate|an old photograph|the original contract|a chat history
q A contract marriage and a secret mutual crush: sugar in every episode
@angst
n Revenge romance
u Women 20–40 who love angst and payback
e A cold, wealthy city where old families decide who gets to be seen
v the engagement banquet|the hospital corridor|the shareholders' meeting
v the first love's welcome-home party|the divorce office
k elite medical skills hidden for years
x every use reopens an old wound
s the truth about the old rescue
o a medical record|a voice recorder|a bank transfer slip|the divorce papers
q Pain first, payback after: a slow-burn chase of regret and face-slaps
@wealth
n Heiress drama
u Women 18–40 who love rich-family twists
e The mansions, boardrooms and charity galas of an old-money dynasty
v the birthday banquet|the charity auction|the family board meeting|the kindergarten open day
v the homecoming banquet
k a string of secret identities: genius doctor, hacker, anonymous tycoon
x each identity revealed makes a new enemy
s the baby swap
o a DNA report|a birth certificate|the old nanny's diary|the security footage
q Swapped heiress and hidden identities: a new reveal in every episode
@court
n Palace intrigue
u Women 18–40 who love historical scheming
e An ancient capital of palaces, noble households and rival concubines
v the flower banquet|the ancestral hall|the palace feast|the marquis's main hall
v the royal hunting grounds
k memories of a past life
x the more that changes, the faster those memories fade
s the plot that framed the clan
o a secret letter|the household ledger|a jade pendant|the dregs of a poisoned tonic
q Rebirth and revenge in palace and manor, one careful move at a time
@underdog
n Urban underdog comeback
u Men 25–50 who love a hidden-boss comeback
e A fast, status-obsessed city where money decides who gets respect
v the father-in-law's birthday party|the class reunion|the board meeting|the luxury auction
v the hotel lobby
k a hidden fortune and a master healer's legacy
x once the identity is out, old enemies come knocking
s the frame-up that jailed a father
o a black card|a signed contract|a voice recording|the security footage
q A hidden boss who turns every insult into a win
@fantasy
n Fantasy survival
u Viewers 18–35 who love power fantasy
e A world on the brink, where sects and safe zones fight over the last resources
v the safe zone|the sect tournament|the auction house|the gate of the secret realm|the supply depot
k a pocket dimension and memories of a past life
x each use burns away years of life
s the truth behind the catastrophe
o a jade shard|a star map|a survivor's log|a glowing core
q Reborn with a pocket dimension: level up, loot up, never look back
@mystery
n Mystery thriller
u Viewers 20–45 who love clues and twists
e A rain-soaked city where a ten-year-old case refuses to stay buried
v the crime scene|the interrogation room|the storm-bound inn|the security room|the courtroom
k a profiler's eye that misses nothing
x every profile means reliving an old nightmare
s the ten-year-old cold case
o a second key|the security footage|a bloodstained watch|an anonymous letter
q A clue in every episode, and the killer is hiding in episode one
@horror
n Supernatural horror
u Viewers 18–35 who love chills and puzzles
e A remote village of old houses, red cloth and rules nobody explains
v the old house|the midnight livestream|the ancestral hall|the abandoned hospital
v the well at the village gate
k the ability to see what others cannot
x each sighting deepens the mark on the skin
s the village curse
o a strip of red cloth|an old photograph|a diary|a cassette tape
q Folk-horror rules and puzzles, peeled back layer by layer
@life
n Family drama
u Viewers 25–55 who love family and workplace stories
e An ordinary city of crowded apartments, office politics and family dinners
v the New Year's dinner table|the Monday meeting|the parents' evening|the board meeting
v the hospital ward
k ten years of hard-won professional skill
x telling the truth could break the family apart
s the secret of the family ledger
o the ledger|a work email|a medical report|an old savings book
q Family conflicts that hit home, line after line
"""

_TABLES = {"zh": parse_blocks(_ZH), "en": parse_blocks(_EN)}
