"""The research kind's offline demo: a head writer's questions, then a cited outline, no network.

Everything follows from the text given (hashed into a seed), so one prompt always gives one
document. Words taken from that text are letters, digits and spaces only, so they can never
open a link, a tag or a heading; every link is one of our own, to a reserved example domain."""

import hashlib
import random
import re
from dataclasses import dataclass

from app.brainstorm.demo import NAMES, parse_blocks
from app.language import mostly_cjk

_Table = dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class DemoCitation:
    """A source the demo "found": its title, its URL, and the offset just past its inline link."""

    title: str
    url: str
    after: int


@dataclass(frozen=True)
class DemoResearch:
    """A finished demo research: the outline's title, its Markdown and the sources it cites."""

    title: str
    markdown: str
    citations: tuple[DemoCitation, ...]


_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_CLAUSE = re.compile(r"[,，。.;；:：、!！?？\n\r]+")
_LATIN = re.compile(r"[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_ZH_FILLER = re.compile(r"^(?:我想|我要|想|请|帮我|写|拍|做|一部|一个|一篇|关于|讲述|讲|竖屏)+")
_ZH_TAIL = re.compile(r"(?:的)?(?:短剧|故事|剧本)$")
_EN_FILLER = set("i i'd want to write a an the please about story drama short vertical".split())
_EN_SMALL = set("a an the of and to in on with for her his who".split())
_EPISODES = re.compile(r"([0-9]{2,3})\s*(?:集|episodes?\b|eps?\b)", re.I)
_SECONDS = re.compile(r"([0-9]{2,3})\s*(?:秒|s\b|secs?\b|seconds\b)", re.I)
# The kind's own lines around the writer's words: labels, our questions, the language to use.
_SCAFFOLD = re.compile(r"^(?:Q: |Write in |The writer)|[:：]$")
_LINK = re.compile(r"\[\[(.+?)\]\]")  # in a finding's wording, the words that become its link
# A genre's cues in either language; the genre with the most cues in the text wins.
_CUES = {
    "revenge": "复仇/离婚/退婚/背叛/打脸/重生/渣男/revenge/divorce/betray/payback/reborn",
    "sweet": "甜宠/总裁/闪婚/契约/先婚后爱/恋爱/sweet/ceo/contract/romance/marriage",
    "underdog": "赘婿/战神/神医/神豪/男频/underdog/son-in-law/comeback/war god/healer",
    "mystery": "悬疑/凶案/刑警/真凶/密室/推理/mystery/murder/detective/killer/suspect",
    "palace": "宫斗/宅斗/侯府/嫡女/皇帝/古装/palace/emperor/concubine/dynasty/historical",
}
_AUDIENCE_CUES = {"f": "女频/女主/heroine/women/female", "m": "男频/men/male"}
_PLATFORMS = {"抖音": 0, "douyin": 0, "快手": 1, "kuaishou": 1, "tiktok": 2, "reelshort": 3}
_PLATFORM_NAMES = (("抖音", "Douyin"), ("快手", "Kuaishou"), ("TikTok",) * 2, ("ReelShort",) * 2)
_SOURCES = (  # one per finding, in the findings' order
    "https://example.com/demo/vertical-drama-first-three-seconds",
    "https://example.org/demo/short-drama-paywall-timing",
    "https://example.net/demo/episode-length-and-completion",
    "https://example.com/demo/payoff-density",
    "https://example.org/demo/female-and-male-audiences",
    "https://example.net/demo/platform-retention-signals",
)
_BEAT_PARTS = {"hook": "h", "more": "m", "note": "e", "payoff": "y", "cliff": "x"}


def demo_questions(prompt: str) -> list[str]:
    """Two to five questions to ask before researching, in the prompt's language."""
    language = "zh" if mostly_cjk(prompt) else "en"
    table, rng = _TABLES[language]["ask"], _rng("questions", prompt)
    kw = _key_phrase(prompt, language == "zh")
    t1, t2, t3 = rng.sample(table["t"], 3)
    questions = []
    for topic in sorted(rng.sample("01234", rng.randint(2, 5))):
        quoting = [w for w in table[topic] if "{kw}" in w] if kw and rng.random() < 0.6 else []
        wording = rng.choice(quoting or [w for w in table[topic] if "{kw}" not in w])
        questions.append(wording.format(kw=kw, t1=t1, t2=t2, t3=t3))
        kw = "" if quoting else kw  # quote the prompt once at most
    return questions


def demo_research(instructions: str, language: str) -> DemoResearch:
    """A cited outline in language ("zh" or "en") for the writer's prompt and answers."""
    lang = "zh" if language == "zh" else "en"
    zh, table, rng = lang == "zh", _TABLES[lang], _rng("research", lang, instructions)
    instructions = _writer_words(instructions)
    genre = _genre(instructions, rng)
    frame, vocab = table["_"], table[genre]
    female = _female_lead(instructions, genre, rng)
    cast = _cast(rng, lang, female)
    called = {role: name for role, _, name in cast}
    count = _number(_EPISODES, instructions, 20, 120) or rng.choice((60, 72, 80, 100))
    paywall = rng.randint(8, 12)
    fill = {
        **{"p": called["l"], "a": called["r"], "l": called["a"], "pay": str(paywall)},
        **{"genre": vocab["g"][0], "s": vocab["g"][1], "k": vocab["g"][2], "n": str(count)},
        "sec": str(_number(_SECONDS, instructions, 30, 180) or rng.choice((60, 75, 90, 120))),
        "pf": _PLATFORM_NAMES[_platform(instructions, rng)][not zh],
        "aud": frame["A"][not female],
    }
    title = rng.choice(vocab["t"]).format(**fill)
    draft = _Draft(rng, table, genre, fill)
    heads, kw = frame["H"], _key_phrase(instructions, zh)
    draft.add(f"# {title}\n\n## {heads[0]}\n\n", frame["I"][0].format(**fill))
    draft.add(frame["K"][0].format(kw=kw) if kw else "", "\n\n")
    for topic in ["0", "1", *sorted(rng.sample("2345", rng.randint(1, 4)))]:
        before, link, rest = _LINK.split(rng.choice(table["find"][topic]).format(**fill))
        draft.add("- ", before)
        draft.cite(link, table["find"]["s"][int(topic)], _SOURCES[int(topic)])
        draft.add(rest, "\n")
    draft.add("\n", frame["C"][0].format(**fill), f"\n\n## {heads[1]}\n\n")
    for role, full, _ in cast:
        draft.add(frame["P"][0].format(name=full, line=draft.say("cast", role)), "\n")
    plan = _plan(count, paywall, rng.randint(*map(int, frame["R"])))
    draft.add(f"\n## {heads[2]}\n\n")
    for stage, label in zip("orcz", frame["S"], strict=True):
        eps = [n for s, a, b in plan if s == stage or s + stage == "pr" for n in (a, b)]
        span, text = _span(frame, min(eps), max(eps)), draft.say("arc", stage)
        draft.add(frame["T"][0].format(stage=label, span=span, text=text), "\n")
    draft.add(f"\n## {heads[3]}\n\n")
    for number, (stage, first, last) in enumerate(plan, 1):
        beat = {"i": number, "span": _span(frame, first, last), "beat": draft.say("beat", stage)}
        parts = {name: key for name, key in _BEAT_PARTS.items() if key in table["beat"]}
        beat |= {name: draft.say("beat", key) for name, key in parts.items()}
        draft.add(frame["B"][0].format(**beat, mark=frame["M"][0] if stage == "p" else ""), "\n")
    draft.add(f"\n## {heads[4]}\n\n")
    for citation in draft.citations:
        draft.add(f"- [{citation.title}]({citation.url})\n")
    return DemoResearch(title, "".join(draft.parts), tuple(draft.citations))


class _Draft:
    """A document being written: its seeded choices, its text so far and the sources it cites."""

    def __init__(self, rng: random.Random, table: _Table, genre: str, fill: dict[str, str]) -> None:
        """Start empty, with the story's values and no pile of prose dealt yet."""
        self.rng, self.table, self.vocab, self.fill = rng, table, table[genre], fill
        self.parts: list[str] = []
        self.size = 0
        self.citations: list[DemoCitation] = []
        self._piles: dict[tuple[str, str], list[str]] = {}

    def say(self, section: str, key: str) -> str:
        """One of our lines, none repeated until all are used, filled in and capitalised."""
        pile = self._piles.get((section, key))
        if not pile:
            items = self.table[section][key]
            pile = self._piles[(section, key)] = self.rng.sample(items, len(items))
        venue, clue = self.rng.choice(self.vocab["v"]), self.rng.choice(self.vocab["o"])
        text = pile.pop().format(**self.fill, v=venue, o=clue)
        return text[:1].upper() + text[1:]

    def add(self, *texts: str) -> None:
        """Append text."""
        self.parts += texts
        self.size += sum(map(len, texts))

    def cite(self, text: str, title: str, url: str) -> None:
        """Append an inline link to a source, noting the offset just past it."""
        self.add(f"[{text}]({url})")
        self.citations.append(DemoCitation(title, url, self.size))


def _writer_words(instructions: str) -> str:
    """The writer's own lines of the instructions (their request and answers), else all of it."""
    lines = instructions.splitlines()
    kept = [line.removeprefix("A: ") for line in lines if not _SCAFFOLD.search(line.strip())]
    return "\n".join(kept) if any(kept) else instructions


def _rng(*parts: str) -> random.Random:
    """A private generator seeded by the parts' SHA-256 (lone surrogates included)."""
    data = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return random.Random(int.from_bytes(hashlib.sha256(data).digest(), "big"))


def _key_phrase(text: str, zh: bool) -> str:
    """A short phrase from the text's first clauses, in the wanted script, letters and digits
    only: 2 to 20 characters in Chinese, 2 to 6 words in English, never cut inside a word."""
    for clause in _CLAUSE.split(text)[:6]:
        words = _WORD.findall(clause)
        if zh:
            phrase = _cut(_ZH_TAIL.sub("", _ZH_FILLER.sub("", " ".join(words))).strip(), 20)
        else:
            while words and words[0].casefold() in _EN_FILLER:
                words.pop(0)
            words = words[:6]
            while words and (words[-1].casefold() in _EN_SMALL or len(" ".join(words)) > 40):
                words.pop()
            phrase = " ".join(words)
        if len(phrase if zh else words) >= 2 and mostly_cjk(phrase) == zh:
            return phrase
    return ""


def _cut(text: str, limit: int) -> str:
    """At most limit characters of text, backing off rather than ending inside a Latin word."""
    cut = min(limit, len(text))
    while 0 < cut < len(text) and _LATIN.match(text[cut - 1]) and _LATIN.match(text[cut]):
        cut -= 1
    return text[:cut].strip()


def _has(low: str, cues: str) -> int:
    """How many of the cues ("/" between them) casefolded text holds; Latin ones as words."""
    return sum(
        re.search(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", low) is not None
        if cue.isascii()
        else cue in low
        for cue in cues.split("/")
    )


def _genre(text: str, rng: random.Random) -> str:
    """The genre whose cues the text names most, else one by lot."""
    scores = {genre: _has(text.casefold(), cues) for genre, cues in _CUES.items()}
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] else rng.choice(list(_CUES))


def _female_lead(text: str, genre: str, rng: random.Random) -> bool:
    """A heroine for a female-leaning audience (as asked, else as the genre usually runs)."""
    for audience, cues in _AUDIENCE_CUES.items():
        if _has(text.casefold(), cues):
            return audience == "f"
    return rng.random() < 0.5 if genre == "mystery" else genre != "underdog"


def _platform(text: str, rng: random.Random) -> int:
    """The platform the text names, else one by lot (an index into the platforms' names)."""
    found = [index for cue, index in _PLATFORMS.items() if cue in text.casefold()]
    return found[0] if found else rng.randrange(len(_PLATFORM_NAMES))


def _number(pattern: re.Pattern[str], text: str, low: int, high: int) -> int | None:
    """The first number the pattern finds in the text, kept within low … high."""
    match = pattern.search(text)
    return max(low, min(high, int(match.group(1)))) if match else None


def _cast(rng: random.Random, lang: str, female: bool) -> list[tuple[str, str, str]]:
    """Three to five (role, full name, name in prose): lead, rival, ally, maybe friend, witness."""
    roles = ["l", "r", "a", *rng.sample(["f", "w"], rng.randint(0, 2))]
    surnames, women, men = NAMES[lang]
    surnames = rng.sample(list(surnames) if lang == "zh" else surnames.split(), len(roles))
    pools = {True: rng.sample(women.split(), 4), False: rng.sample(men.split(), 4)}
    fixed = {"l": female, "a": not female}
    cast = []
    for role, surname in zip(roles, surnames, strict=True):
        given = pools[fixed.get(role, rng.random() < 0.5)].pop()
        full = surname + given if lang == "zh" else f"{given} {surname}"
        cast.append((role, full, full if lang == "zh" else given))
    return cast


def _plan(count: int, paywall: int, beats: int) -> list[tuple[str, int, int]]:
    """The beats' (stage, first, last episode), stages o r p c z (p: the paywall): episodes 1–3
    and the paywall get a beat each, the others share the rest of the season."""
    before = min(paywall - 4, (beats - 4) // 3)
    after = min(beats - 4 - before, count - paywall)
    ending, climax = (1, 2) if after < 8 else (2, 3)
    late = "r" * (after - climax - ending) + "c" * climax + "z" * ending
    return [
        *(("o", n, n) for n in (1, 2, 3)),
        *(("r", a, b) for a, b in _split(4, paywall - 1, before)),
        ("p", paywall, paywall),
        *((s, a, b) for s, (a, b) in zip(late, _split(paywall + 1, count, after), strict=True)),
    ]


def _split(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """Episodes first … last in that many even runs."""
    cuts = [first + (last - first + 1) * i // parts for i in range(parts + 1)]
    return [(cuts[i], cuts[i + 1] - 1) for i in range(parts)]


def _span(frame: dict[str, list[str]], first: int, last: int) -> str:
    """An episode or a run of them, as the language writes it."""
    one, many = frame["N"]
    return one.format(a=first) if first == last else many.format(a=first, b=last)


# Block tables (see parse_blocks; a line starting with "+" goes on with the line before it).
# "@_" frames the document: H headings, S stage names, N spans, A audiences, R the least and
# most beats, I intro, K premise, C closing, P a person, T a stage, B a beat, M the paywall's
# mark. "@ask": questions by topic, t tropes. "@find": findings by topic 0–5, whose [[…]] links
# to the source titled by that topic's item of s. "@cast", "@arc", "@beat": by role and stage
# (h hook, m more, e a note, x cliffhanger, y payoff). A genre: g its name|secret|the lead's
# edge, v venues, o clues, t titles. {p} lead, {a} rival, {l} ally, {pay} paywall episode.
_ZH = """
@_
H 调研摘要|人物|剧情主线|分集规划|参考来源
S 开篇|发展|高潮|结局
N 第{a}集|第{a}–{b}集
A 女频|男频
R 18|20
I 竖屏短剧拼的是节奏：开头抓人、中段密集给爽点、付费前卡住最大的悬念。本大纲面向{pf}调研撰写，
+{genre}题材，共{n}集，每集约{sec}秒，主打{aud}观众。以下结论来自对同类爆款的拆解，每条都附了来源。
K 选题出发点：*{kw}*。
C 落到本剧：第1集直接开在冲突上，每集结尾都留钩子，第{pay}集的付费卡点卡在{s}即将揭开的一刻；
+前十集每集至少一个爽点，主要人物在前三集全部亮相，感情线和主线交替推进，不让观众喘息。
+整季的情绪曲线先压后扬：憋屈要短，翻身要快，每一次打脸都要让观众觉得等得值。
P - **{name}**：{line}
T - **{stage}（{span}）**：{text}
B {i}. **{span}{mark}**：钩子：{hook}。{beat}{more}爽点：{payoff}。卡点：{cliff}。{note}
M （付费卡点）
@ask
0 这部剧首发在哪个平台（抖音、快手，还是海外的TikTok、ReelShort）？主打女频还是男频？
0 「{kw}」更想打动女频还是男频观众？首发平台定在哪里？
1 计划拍多少集、每集多长？常见是60–100集、每集1–2分钟。
1 集数和单集时长有要求吗？付费卡点想放在第几集附近？
2 基调更偏哪种路线：{t1}、{t2}还是{t3}？|「{kw}」想走哪种路线：{t1}、{t2}还是{t3}？
3 故事发生在现代都市、古代还是架空世界？具体是哪个年代？
3 「{kw}」的时代和场景定了吗？豪门、职场、校园还是古代侯府？
4 有没有必须出现的元素（比如马甲、萌宝、打脸名场面），或者一定要避开的内容？
4 有什么红线要避开吗？比如不拍的题材、不想要的人设或结局。
t 逆袭|甜宠|复仇|悬疑|重生|先婚后爱|马甲|追妻火葬场
@find
0 在{pf}上，[[前三秒决定观众是否留下]]：观众三秒内就决定要不要划走，
+所以第一帧就必须是冲突，而不是前史。
0 我们拆解的爆款几乎都从冲突中段切入，因为[[开头三秒没抓住人就不会再有机会]]。
1 付费集通常从第8–12集开始；[[付费卡点最好落在悬念最高处]]，观众已经上钩、
+核心谜团还没解开，所以本剧放在第{pay}集。
1 [[平台普遍把付费卡点设在第8–12集附近]]：免费集培养追剧习惯，
+第{pay}集的锁正好卡在全季最狠的悬念上。
2 每集约{sec}秒正处在最佳区间：[[超过两分钟完播率明显下降]]，短小的单集让连刷毫无负担。
2 [[大多数爆款把单集控制在1–2分钟]]，刚好够剧情转一个弯，又短到让人不假思索地看完。
3 观众几乎每集都期待一次爽点，打脸、反转或揭秘；[[爽点密度比情节复杂度更重要]]。
3 [[头部剧每集一个小爽点、每五集一个大爽点]]，所以下面的规划从不让两集平淡内容连在一起。
4 {genre}题材天然对应{aud}观众，[[{aud}观众更买账清晰的情绪落差]]，而不是精巧的结构。
4 核心受众是{aud}观众：[[他们最爱转发和评论的是爽点名场面]]，
+所以每个爽点都按能单独剪成切片来写。
5 在{pf}上，[[算法奖励完播和复看]]，所以每集结尾都是把人推向下一集的卡点。
5 [[{pf}的推荐流偏爱能让观众看过第一分钟的剧]]，下面每个开场都按这个标准设计。
s 竖屏短剧：前三秒决定留存（示例）|短剧付费卡点设在第8–12集（示例）|单集1–2分钟与完播率（示例）
+|爽点密度：每集都要有回报（示例）|女频与男频观众画像（示例）|平台推荐机制与留存信号（示例）
@cast
l 主角。表面好拿捏，其实步步为营；金手指是{k}，目标是揭开{s}，把失去的一样样拿回来。
l 主角。人前温顺，关键时刻出手又准又狠；靠{k}一路翻盘，却从不先动手。
r 反派。人前体面，人后拼命掩盖{s}；每隔几集就被当众打脸一次，却越挫越狠。
r 反派。骄纵跋扈，爱面子胜过一切，{s}一旦曝光就会失去所有，所以步步紧逼。
a 感情线与盟友。对外冷若冰霜，只对{p}偏心；手里握着一半真相，迟迟不肯说破。
a 盟友。看似玩世不恭，其实一直在收集证据，是第一个相信{p}的人，也有自己的秘密。
f 挚友。嘴快心热，最讲义气，也是{a}最容易拿来要挟{p}的软肋。
f 挚友。看着大大咧咧，关键时刻最靠得住，知道{p}所有的过去。
w 关键证人。亲眼见过{s}，沉默多年，一句话就能翻案，却一直被{a}盯着。
w 关键证人。当年收了{a}的钱闭嘴，如今良心不安，是整盘棋里最大的变数。
@arc
o {a}在{v}当众羞辱{p}，{p}忍无可忍，第一次亮出{k}，全场哗然。
+前三集把主要人物和核心矛盾全部摆上桌面，观众一眼就知道该恨谁、该盼什么。
o 开场即冲突：{p}在{v}被{a}逼到绝境，却在最后一秒反将一军。
+{l}在人群里看见了这一幕，第一次对{p}起了好奇，感情线的种子就此埋下。
r {p}每两三集打一次脸，{l}暗中相助，关于{s}的线索越积越多，直到第{pay}集的付费卡点。
+付费之后节奏不降反升，{a}的阵营开始内讧，{p}一点点收回失去的东西。
r {p}和{a}你来我往，{l}的立场摇摆不定；第{pay}集真相将要揭开时被硬生生掐断。
+之后每一次小胜都伴随更大的代价，观众追着看{p}到底能走多远。
c {a}孤注一掷，在{v}设下死局；{s}终于曝光，{p}也为{k}付出代价。
+这是全剧情绪最高的一段，每集都有一次大反转，把前面埋下的伏笔一一引爆。
c 所有人被迫站队，{l}替{p}挡下致命一击，{s}在直播镜头前大白于天下。
+{p}第一次在众人面前讲出自己的故事，评论区和剧中的看客一起沸腾。
z {a}在一切开始的地方失去一切，{p}得偿所愿，最后一个镜头为第二季埋下伏笔。
+收尾干脆，不拖泥带水，把情绪落在{p}和{l}并肩离开的背影上。
z 恶有恶报，{p}与{l}把没说出口的话说完，片尾一条陌生短信留下悬念。
+结局给足回报：该道歉的道歉，该离场的离场，只留一个问题给下一季。
@beat
o {p}在{v}被当众羞辱，{a}笑着看完了全程，没有一个人站出来。
o {p}意外发现{o}，意识到这场羞辱是{a}早就设计好的。
o {l}第一次注意到{p}，不动声色地替{p}挡下一次刁难。|{p}第一次动用{k}，全场瞬间安静，{a}脸色大变。
o {a}当着众人的面给{p}开出条件，{p}当场撕毁。
r {p}不请自来闯进{v}，把{a}的演讲变成了认罪现场。
r 关于{p}的谣言冲上热搜，{p}甩出{o}，评论区瞬间反转。
r {p}和{l}假装结盟，演着演着却假戏真做。|{a}的心腹看到{o}后临阵倒戈，转头投向{p}。
r {p}在{v}被栽赃，证据完美得不像真的，{l}也开始怀疑。
r {p}赢了一小局，却输了更大的一局：{a}抓走了{p}最在乎的人。
r 关于{s}的第二条线索藏在{o}里，{p}连夜去查。|{p}和{l}为该走多远大吵一架，{a}就在门外偷听。
p {p}只差一句话就能在{v}揭开{s}，{a}却抢先出手，画面一黑。
p {o}足以证明一切，却在众目睽睽之下从{p}手里不翼而飞。
c {a}在{v}孤注一掷，{p}身边的每个人都被迫站队。|{p}用{o}把{a}精心布下的陷阱原样奉还。
c {s}在直播中曝光，幕后之人的身份让所有人措手不及。|{l}替{p}背下黑锅，{p}为{k}付出代价。
z {a}在一切开始的地方失去一切，{p}没有得意，只是转身离开。
z {p}和{l}终于把憋了一整季的话说出口，相视一笑。|一个陌生人把{o}交到{p}手里，第二季的大门就此打开。
m 围观的人举起手机，这一幕当晚就传遍了全城。|{l}站在人群最后，眼神比任何时候都冷。
m {a}表面镇定，转身就给心腹打了一个电话。|{p}没有解释一句话，只把{o}放在桌上。
m 所有人都以为{p}输了，只有{l}看出这是一步险棋。|{a}的笑容僵住了，嘴角抽了一下。
m 镜头扫过{v}的每一张脸，每个人都藏着心事。|{p}回到住处，才发现自己的手一直在抖。
m 这一集的台词短、狠、准，每一句都能剪成切片。|{p}心里清楚，真正的对手还没有露面。
h 第一秒就是一记响亮的耳光，全场寂静|镜头先给{o}一个特写，很久没人说话
h {a}说出一句注定被疯传的狠话|手机屏幕上一个跳动的倒计时，只剩十秒
h {p}推门而入，背景音乐戛然而止|一句只有观众听得见的耳语，暗示着背叛
h 陌生人叫出了{p}不该有人知道的名字|把上一集的结尾从{l}的视角重放一遍
x {p}的手机突然亮起，来电显示是{a}|有人看见{l}和{a}深夜同车离开{v}
x 原来有人从头到尾都在偷偷录像|{o}竟然是伪造的，真的那份下落不明
x 门开了，站着一个本不该出现在这里的人|{p}收到一条匿名短信：我知道你做了什么
x 最后一帧，{a}对着镜头露出了笑|{o}上的一个名字，改变了之前的一切判断
y 当众打脸|绝地反转|身份揭秘|高甜护短|实力碾压|真相一角
e 拍摄提示：近景怼脸，台词不超过十个字。|拍摄提示：慢镜头给到反派的表情变化。
e 拍摄提示：手机竖屏视角，模拟观众亲眼目睹。|拍摄提示：冷色调收尾，音乐在最后一秒断掉。
e 拍摄提示：一镜到底，跟着主角的背影走进现场。|拍摄提示：特写道具，再切到众人的反应。
e 拍摄提示：配乐先压低，爽点出现时再猛地推高。|拍摄提示：字幕放大关键台词，方便剪成切片。
@revenge
g 复仇爽剧|当年那场救命之恩的真相|隐藏多年的顶级医术
v 订婚宴|股东大会|医院走廊|慈善晚宴
o 录音笔|转账记录|旧照片|病历
t {p}归来，{a}慌了|重生后{p}不忍了|离婚后{p}惊艳全城
@sweet
g 甜宠恋爱|契约婚姻背后的真正理由|无人知晓的设计天赋
v 公司年会|民政局门口|家宴|总裁办公室
o 结婚证|旧合照|原版合同|聊天记录
t 闪婚后{l}天天宠我|契约到期，{l}不放手|{p}的甜蜜协议
@underdog
g 都市逆袭|父亲当年入狱的冤案|隐藏的巨额身家和神医传承
v 岳父寿宴|同学会|董事会|拍卖会
o 黑卡|签约合同|一段录音|监控录像
t 三年赘婿，一朝封神|{p}的身份藏不住了|被看不起的{p}
@mystery
g 悬疑推理|十年前那桩悬案|过目不忘的侧写能力
v 案发现场|审讯室|暴雨山庄|监控室
o 第二把钥匙|监控录像|带血的手表|匿名信
t 第十年的证词|{p}的侧写档案|雨夜无人生还
@palace
g 古装宅斗|家族被构陷的阴谋|前世的记忆
v 赏花宴|祠堂|宫宴|侯府正厅
o 密信|账本|玉佩|药渣
t 重生嫡女{p}|{p}：侯府这盘棋|冷宫归来
"""
_EN = """
@_
H Research summary|Characters|Series arc|Episode plan|Sources
S Opening|Rising action|Climax|Resolution
N Ep {a}|Eps {a}–{b}
A female-leaning|male-leaning
R 12|14
I This outline is researched for {pf}: {n} episodes of about {sec} seconds in the {genre}
+ genre, written for a {aud} audience. Each finding below comes from breaking down comparable
+ hits, and names its source.
K  The starting point: *{kw}*.
C What this means here: episode 1 opens on the conflict, every episode ends on a hook, and the
+ paywall at episode {pay} cuts away just as {s} is about to come out. The first ten episodes
+ each carry at least one payoff, and the main cast is on screen by episode 3.
P - **{name}**: {line}
T - **{stage} ({span})**: {text}
B {i}. **{span}{mark}**: Hook: {hook}. {beat} Payoff: {payoff}. Cliffhanger: {cliff}.
M  (paywall)
@ask
0 Which platform is this for (Douyin, Kuaishou, TikTok or ReelShort), and is the audience
+ mainly women or men?
0 Who should “{kw}” win over first, a female-leaning or a male-leaning audience, and where?
1 How many episodes, and how long is each? Most vertical dramas run 60–100 episodes of 1–2
+ minutes.|Is there a target episode count and length, and where should the paywall fall?
2 Which tropes should lead: {t1}, {t2} or {t3}?
2 For “{kw}”, which way should the tone lean: {t1}, {t2} or {t3}?
3 Where and when is it set: a modern city, a historical court or an invented world?
3 What is the world of “{kw}”: a rich family, a workplace, a campus or a palace?
4 Is there anything it must have (a hidden identity, a signature face-slap scene) or avoid?
4 Any red lines: themes, character types or endings to stay away from?
t underdog comeback|sweet romance|revenge|mystery|rebirth|contract marriage|hidden identity
t second chance
@find
0 On {pf}, [[the first three seconds decide retention]]: a viewer chooses within three
+ seconds whether to swipe, so the first frame must show the conflict, not the backstory.
0 Nearly every hit we broke down opens mid-conflict, because [[a series that wastes its first
+ three seconds never gets a second chance]].
1 Paid episodes usually start around episode 8–12, and [[the paywall lands best on the
+ sharpest cliffhanger]], after the audience is hooked but before the main mystery resolves,
+ so this plan puts it at episode {pay}.
1 [[Platforms place the paywall around episodes 8–12]]: the free episodes build the habit,
+ and the lock at episode {pay} falls on the hardest cliffhanger of the season.
2 Episodes of about {sec} seconds sit in the sweet spot: [[completion rates fall sharply past
+ two minutes]], and short episodes make a binge feel cheap.
2 [[Most hits keep episodes between one and two minutes]], long enough for one turn of the
+ plot and short enough to finish without thinking.
3 Viewers expect a payoff, a face-slap, a reversal or a reveal, in nearly every episode;
+ [[payoff density matters more than plot complexity]].
3 [[The top series deliver a small payoff every episode and a big one every five]], which is
+ why this plan never lets two quiet episodes sit side by side.
4 A {genre} speaks to a {aud} audience, and [[{aud} viewers reward clear emotional stakes]]
+ over clever structure.
4 The core audience is {aud}: [[what they share and comment on is the payoff scene]], so
+ each payoff is written to be clipped.
5 On {pf}, [[the algorithm rewards completion and replays]], so every ending is a
+ cliffhanger that pushes the next episode.
5 [[Recommendation feeds on {pf} favour series that keep viewers past the first minute]],
+ which shapes every opening below.
s Why the first three seconds decide a vertical drama (demo)
+|Paywall timing in short dramas: episodes 8–12 (demo)|Episode length and completion rates (demo)
+|Payoff density: a reward in every episode (demo)
+|Female- and male-leaning audiences of vertical drama (demo)
+|Recommendation feeds and retention signals (demo)
@cast
l the lead. Looks like an easy target but plans every move; rises on {k}, out to expose {s}.
l the lead. Polite in public, ruthless when it counts; {k} is the card nobody sees coming.
r the antagonist. Charming in public, burying {s} in private; slapped down every few episodes.
r the antagonist. Arrogant, spoiled, obsessed with face, one leak away from losing it all.
a the love interest and ally. Cold to the world, fiercely protective of {p}; holds half the
+ truth.|the ally. Plays careless, keeps the receipts, and is the first to believe {p}.
f the best friend. Loyal and loud, and the easiest lever for {a} to pull.
f the best friend. Looks careless, is the most reliable when it matters, knows all of {p}'s
+ past.
w the witness. Saw {s} firsthand and stayed silent for years; one sentence can flip it all.
w the witness. Once paid by {a} to keep quiet, now losing sleep over it; the wild card.
@arc
o {a} humiliates {p} at {v} in front of everyone; {p} stops pretending and shows a first
+ glimpse of {k}.|It opens mid-conflict: {a} corners {p} at {v}, and {p} turns the tables in
+ the last second.
r {p} strikes back every two or three episodes, {l} helps in secret, and clues to {s} pile up
+ until the paywall at episode {pay}.|{p} and {a} trade blows, {l}'s loyalty wavers, and at
+ episode {pay} the truth is cut off mid-sentence.
c {a} goes all in at {v}; {s} comes out, and {p} pays the price of {k}.|Everyone has to pick
+ a side, {l} takes a blow meant for {p}, and {s} comes out on a live broadcast.
z {a} loses everything in the room where it started, {p} gets what was owed, and the last shot
+ sets up a second season.|Justice lands, {p} and {l} finally say what they never said, and an
+ unknown message teases what comes next.
@beat
o {p} is humiliated at {v} while {a} watches and smiles, and nobody steps in.
o {p} finds {o} and realises the humiliation was planned by {a}.
o {l} notices {p} for the first time and quietly blocks the next attack.
o {p} uses {k} for the first time and the room goes silent.
o {a} offers {p} a deal in front of witnesses; {p} tears it up.
r {p} walks into {v} uninvited and turns {a}'s speech into a confession.
r A rumour about {p} goes viral; {p} answers with {o} and the comments flip.
r {p} and {l} fake an alliance that stops feeling fake.
r {a}'s right hand switches sides after seeing {o}.
r {p} is framed at {v}; the evidence is too perfect, and even {l} has doubts.
r {p} wins a small round and loses a bigger one: {a} takes someone close.
r A second clue to {s} hides in {o}, and {p} chases it overnight.
r {p} and {l} fight over how far to go while {a} listens at the door.
p {p} is one sentence from revealing {s} at {v} when {a} strikes first; cut to black.
p {o} proves everything, then vanishes from {p}'s hands in front of everyone.
c {a} goes all in at {v}, and everyone around {p} must pick a side.
c {s} comes out on a live stream, and who is behind it shocks everyone.
c {l} takes the blame for {p}, and {p} must pay the price of {k}.
c {p} turns {a}'s own trap around with {o}.
z {a} loses everything in the room where it started; {p} does not gloat, just walks away.
z {p} and {l} finally say what they held back all season.
z A stranger hands {p} {o}, and a second season opens.
h a slap in the very first second|a close-up of {o} before anyone speaks|a countdown on a phone
h {a} says the line everyone will quote|{p} walks in as the music cuts|a whisper only we hear
h a stranger calls {p} by a name nobody should know|the last ending, replayed from {l}'s side
x {p}'s phone lights up with {a}'s name|{l} is seen leaving with {a} at midnight
x someone has been filming the whole time|{o} turns out to be a fake|{a} smiles at the camera
x the door opens on someone who should not be there|{p} gets a message: I know what you did
x one name on {o} changes everything
y public face-slap|reversal|identity reveal|protective sweetness|show of strength|a hidden truth
@revenge
g revenge drama|the truth about the old rescue|surgical skills hidden for years
v the engagement party|the shareholders' meeting|the hospital corridor|the charity gala
o a voice recorder|a bank transfer slip|an old photograph|a medical record
t {p} Comes Back|Reborn and Done Being Nice|After the Divorce, {p} Shines
@sweet
g sweet romance|the real reason behind the contract marriage
+|a design talent nobody at the firm suspects
v the company gala|the marriage registry|the family dinner|the CEO's office
o the marriage certificate|an old photograph|the original contract|a chat history
t Married to {l} by Contract|The Contract Ends, {l} Won't Let Go|{p}'s Sweet Deal
@underdog
g hidden-boss comeback|the frame-up that jailed a father
+|a hidden fortune and a master healer's training
v the father-in-law's birthday banquet|the class reunion|the board meeting|the luxury auction
o a black card|a signed contract|a voice recording|the security footage
t The Son-in-Law Nobody Noticed|{p} Stops Hiding|Three Years of Silence
@mystery
g mystery thriller|the ten-year-old cold case|a profiler's eye that misses nothing
v the crime scene|the interrogation room|the storm-bound inn|the security room
o a second key|the security footage|a bloodstained watch|an anonymous letter
t The Tenth-Year Witness|{p}'s Profile|No One Leaves the Inn
@palace
g palace intrigue|the plot that framed the clan|memories of a past life
v the flower banquet|the ancestral hall|the palace feast|the marquis's hall
o a secret letter|the household ledger|a jade pendant|the dregs of a tonic
t The Reborn Daughter|{p} Plays the Long Game|Back from the Cold Palace
"""

_TABLES = {
    lang: parse_blocks(block.replace("\n+", "")) for lang, block in (("zh", _ZH), ("en", _EN))
}
