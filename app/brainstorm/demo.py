"""The brainstorm kind's offline demo: deterministic short-drama ideas, no network, no key."""

import hashlib
import json
import random
import re
from functools import lru_cache
from pathlib import Path

_GENRES_FILE = Path(__file__).resolve().parent.parent / "brainstorm" / "data" / "genres.json"
_OPEN, _CLOSE = "<params>", "</params>"
_MAX_IDEAS = 50
_CJK_CLASS = (
    "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
)
_CJK = re.compile(f"[{_CJK_CLASS}]")
_SPLIT = re.compile(r"[,，。.;；、!！?？\n\r]+")
_FALLBACK = (
    "The offline demo model only writes brainstorm ideas; configure a real model for anything "
    "else.\n离线演示模型只会生成短剧创意灵感；其他请求请配置真实的模型。"
)

# Leaves map to a family of building blocks; a leaf missing here (重生 sits under two parents)
# falls back to its parent, then to the root, so the family follows the path's context.
_FAMILY_LABELS = {
    "sweet": "女频 爱情 甜宠 先婚后爱 霸道总裁 闪婚",
    "angst": "虐恋 追妻火葬场 替身 复仇",
    "wealth": "豪门 豪门恩怨 萌宝 真假千金 马甲",
    "court": "古言 宫斗 宅斗 穿越 种田 女将军",
    "underdog": "男频 都市 逆袭 赘婿 神医 战神 神豪 系统",
    "fantasy": "玄幻 修仙 末世 异能 星际",
    "mystery": "悬疑 推理 悬疑推理 刑侦 密室 犯罪",
    "horror": "惊悚 灵异 民俗 无限流 时间循环",
    "life": "现实 家庭 青春 家庭伦理 婆媳 亲情 婚姻危机 校园 职场 成长 喜剧",
}
_FAMILY_OF = {lab: fam for fam, labs in _FAMILY_LABELS.items() for lab in labs.split()}
_FAMILIES = tuple(_FAMILY_LABELS)
_HEROINE_FIRST = {"sweet", "angst", "wealth", "court"}

_NAMES = {
    "zh": (
        "林苏沈许姜顾宋温陆傅萧江秦周叶陈",
        "晚 念 清欢 知意 暖 思宁 以安 眠",
        "沉 言深 寒舟 策 屿 野 慕白 北辰",
    ),
    "en": (
        "Reed Hart Cole Shaw Vale Grant Ward Blake Quinn Hayes Monroe Sterling",
        "Ava Mia Chloe Nora Ivy Lena Grace Ruby",
        "Ethan Liam Adrian Noah Lucas Julian Owen Caleb",
    ),
}


def demo_reply(messages: list[dict[str, str]]) -> str:
    """Return the complete, deterministic reply text for a chat request."""
    raw = _extract_params(messages)
    if raw is None:
        return _FALLBACK
    # ASCII escapes keep the seed computable even for text holding lone surrogates.
    dump = json.dumps(messages, sort_keys=True, default=str)
    # A private generator seeded by the request keeps replies reproducible and thread-safe.
    rng = random.Random(int.from_bytes(hashlib.sha256(dump.encode()).digest(), "big"))
    platform = _text(raw.get("platform"))
    requirements = _text(raw.get("requirements"))
    paths = _paths(raw.get("genrePaths"))
    labels = " ".join(label for path in paths for label in path)
    zh = bool(_CJK.search(f"{platform} {labels} {requirements}"))
    # Without genres, rotate through the broad audiences so ideas still vary.
    weights = _weights(raw.get("genreProportions"), len(paths)) if paths else [1.0] * 4
    paths = paths or [["女频"], ["男频"], ["悬疑"], ["现实"]]
    count = _count(raw.get("numIdeas"))
    avoid = raw.get("avoidTitles") if isinstance(raw.get("avoidTitles"), list) else []
    reference = raw.get("reference") if isinstance(raw.get("reference"), dict) else {}
    avoid = [*avoid, reference.get("title")]  # "more like" an idea is never the idea again
    used = {t.strip().casefold() for t in avoid if isinstance(t, str)}
    default_pf = "短视频平台" if zh else "short-video feeds"
    pf = " ".join(platform.split())[:30] or default_pf
    dealer, ideas = _Dealer(rng, zh, pf, used), []
    for index in _allocate(rng, weights, count):
        path, twist_path = paths[index], rng.choices(paths, weights)[0]
        ideas.append(_idea(dealer, path, twist_path, _excerpt(rng, requirements, zh)))
    return json.dumps({"ideas": ideas}, ensure_ascii=False, indent=2)


def _extract_params(messages: list[dict[str, str]]) -> dict | None:
    """Return the JSON object between the params markers of the last user message, if any."""
    users = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    text = users[-1] if users and isinstance(users[-1], str) else ""
    decoder = json.JSONDecoder()
    start = text.find(_OPEN)
    # Try each opening marker in turn: instructions may mention the markers before the real
    # block, and a marker quoted inside the requirements is escaped JSON that fails to decode.
    while start != -1:
        after = start + len(_OPEN)
        begin = len(text) - len(text[after:].lstrip())
        try:
            value, end = decoder.raw_decode(text, begin)
        except ValueError:
            value, end = None, begin
        if isinstance(value, dict) and text[end:].lstrip().startswith(_CLOSE):
            return value
        start = text.find(_OPEN, after)
    return None


def _text(value: object) -> str:
    """Return value when it is a string, else an empty string."""
    return value if isinstance(value, str) else ""


def _paths(value: object) -> list[list[str]]:
    """Keep only well-formed, non-empty genre paths."""
    if not isinstance(value, list):
        return []
    paths = [
        [s for s in p if isinstance(s, str) and s.strip()] for p in value if isinstance(p, list)
    ]
    return [p for p in paths if p]


def _weights(value: object, size: int) -> list[float]:
    """Use the proportions when they line up with the paths, else weigh every path equally."""
    ok = isinstance(value, list) and len(value) == size
    nums = (
        [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)] if ok else []
    )
    if len(nums) == size and all(0 <= v < 1e9 for v in nums) and sum(nums) > 0:
        return [float(v) for v in nums]
    return [1.0] * size


def _count(value: object) -> int:
    """Clamp the requested number of ideas to a sane range."""
    try:
        return max(0, min(_MAX_IDEAS, int(value)))
    except (TypeError, ValueError, OverflowError):
        return 1


def _allocate(rng: random.Random, weights: list[float], count: int) -> list[int]:
    """Give each idea a primary genre: whole shares by proportion, the remainder by lottery."""
    total = sum(weights)
    counts = [int(count * w / total) for w in weights]
    order = [i for i, c in enumerate(counts) for _ in range(c)]
    order += rng.choices(range(len(weights)), weights, k=count - len(order))
    rng.shuffle(order)
    return order


@lru_cache(maxsize=1)
def _english_to_chinese() -> dict[str, str]:
    """Map each genre's English label (casefolded) to its Chinese label, from genres.json."""
    try:
        stack = json.loads(_GENRES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stack = []  # The demo must still answer when the data file is missing.
    mapping: dict[str, str] = {}
    stack = list(stack) if isinstance(stack, list) else []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            zh, en = node.get("label"), node.get("label_en")
            if isinstance(zh, str) and isinstance(en, str):
                mapping.setdefault(en.casefold(), zh)
            stack.extend(node.get("children") or [])
    return mapping


def _family(path: list[str]) -> str:
    """Pick the building-block family for a genre path, leaf first, then its ancestors."""
    labels = [_english_to_chinese().get(lab.casefold(), lab) for lab in path]
    for label in reversed(labels):
        if label in _FAMILY_OF:
            return _FAMILY_OF[label]
    # Unknown custom genres still get a stable family, chosen by their name.
    key = "/".join(path) or "-"
    return _FAMILIES[
        int(hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest(), 16) % len(_FAMILIES)
    ]


def _heroine(rng: random.Random, path: list[str], family: str) -> bool:
    """Decide whether the protagonist is a woman: the root audience first, then the family."""
    root = _english_to_chinese().get(path[0].casefold(), path[0]) if path else ""
    if root in ("女频", "男频"):
        return root == "女频"
    if family == "underdog":
        return False
    return family in _HEROINE_FIRST or rng.random() < 0.5


def _cast(rng: random.Random, zh: bool, heroine: bool) -> dict[str, str]:
    """Invent a protagonist {p} and a counterpart {a} whose surname is {x}."""
    surnames, female, male = _NAMES["zh" if zh else "en"]
    first, second = rng.sample(list(surnames) if zh else surnames.split(), 2)
    mine = rng.choice((female if heroine else male).split())
    theirs = rng.choice((male if heroine else female).split())
    if zh:
        return {"p": first + mine, "a": second + theirs, "x": second}
    return {"p": f"{mine} {first}", "a": f"{theirs} {second}", "x": second}


def _excerpt(rng: random.Random, requirements: str, zh: bool) -> str:
    """Copy one or two fragments of the requirements verbatim and whole (a clause, never cut
    mid-word); they are never interpreted. Nothing if every clause is too long to quote."""
    parts = [" ".join(p.split()) for p in _SPLIT.split(requirements)]
    if zh:
        whole = [p for p in parts if 0 < len(p) <= 16]
    else:
        whole = [p for p in parts if 0 < len(p.split()) <= 8]
    if not whole:
        return ""
    picked = rng.sample(whole, min(len(whole), rng.choice((1, 2))))
    return ("、" if zh else " and ").join(picked)


# Families whose titles suit each other's stories, for a reply with more ideas of one family
# than it has title shapes.
_NEIGHBOURS = {
    "sweet": ("wealth", "life"),
    "wealth": ("sweet", "underdog"),
    "life": ("sweet", "underdog"),
    "angst": ("court", "underdog"),
    "underdog": ("angst", "wealth"),
    "court": ("angst", "fantasy"),
    "fantasy": ("court", "mystery"),
    "mystery": ("horror", "fantasy"),
    "horror": ("mystery",),
}


class _Dealer:
    """Per-reply state: the seeded generator, the language, used titles and block piles."""

    def __init__(self, rng: random.Random, zh: bool, platform: str, used: set[str]) -> None:
        """Start a reply with no blocks dealt yet."""
        self.rng, self.zh, self.platform, self.used = rng, zh, platform, used
        self.blocks = _BLOCKS["zh" if zh else "en"]
        self._piles: dict[tuple[str, str], list[str]] = {}

    def deal(self, family: str, code: str, **fill: str) -> str:
        """Draw and fill a block, repeating none until its whole pile has been dealt; a title
        comes from another family's pile rather than repeat a shape in one reply."""
        pile = self._piles.get((family, code))
        if not pile and code == "t" and (family, code) in self._piles:
            near = [f for f in _NEIGHBOURS.get(family, ()) if self._piles.get((f, code)) != []]
            if near:
                family = self.rng.choice(near)
                pile = self._piles.get((family, code))
        if not pile:
            items = self.blocks[family][code]
            pile = self._piles[(family, code)] = self.rng.sample(items, len(items))
        # Blocks are our own templates; caller text only ever arrives as a fill value.
        return pile.pop().format(**fill)


def _title(d: _Dealer, family: str, heroine: bool) -> tuple[str, dict[str, str]]:
    """Draw a fresh title (and the cast it names) that is neither used nor to be avoided."""
    limit = 20 if d.zh else 60
    attempt = 0
    while True:
        cast = _cast(d.rng, d.zh, heroine)
        title = d.deal(family, "t", **cast)
        if attempt >= 40:
            # Plain variants are exhausted (a long avoid list), so number the title; each
            # number is new, which guarantees the loop ends.
            suffix = f"（{attempt - 38}）" if d.zh else f" ({attempt - 38})"
            title = title[: limit - len(suffix)].rstrip() + suffix
        attempt += 1
        if len(title) <= limit and title.casefold() not in d.used:
            d.used.add(title.casefold())
            return title, cast


def _idea(d: _Dealer, path: list[str], twist_path: list[str], excerpt: str) -> dict[str, str]:
    """Assemble one idea: hook, protagonist and conflict, reversal, and the episode format."""
    family, rng = _family(path), d.rng
    title, cast = _title(d, family, _heroine(rng, path, family))
    fill = dict(cast, g=d.deal(family, "g"), n=str(rng.choice((3, 7, 30, 100))))
    fill["k"] = str(rng.randint(3, 30))
    hook = d.deal(family, "h", **fill)
    conflict = d.deal("_", "c", **fill)
    twist = d.deal(_family(twist_path), "w", **fill)
    lead = d.deal("_", "p", **fill)
    clause = d.deal("_", "r", kw=excerpt) if excerpt else ""
    genre = _english_to_chinese().get(path[-1].casefold(), path[-1])[:12] + "短剧"
    closing = d.deal("_", "f", pf=d.platform, gn=genre, r=clause)
    short = d.deal("_", "s", pf=d.platform, gn=genre, r=clause)
    if d.zh:
        hook, twist, sep, limit = hook + "。", lead + twist + "。", "", 160
    else:
        hook, twist, sep, limit = hook[0].upper() + hook[1:] + ".", f"{lead} {twist}", " ", 90
    # Keep the pitch short enough to read in a few seconds: shorten the format line first,
    # and give up the conflict sentence only as a last resort.
    for sentences in ((hook, conflict, twist, closing), (hook, conflict, twist, short)):
        body = sep.join(sentences)
        if (len(body) if d.zh else len(body.split())) <= limit:
            break
    else:
        body = sep.join((hook, twist, short))
    return {"title": title, "body": body}


def _parse(text: str) -> dict[str, dict[str, list[str]]]:
    """Parse a block table: "@family" opens a section and "k a|b" adds items under key k."""
    table: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for line in text.strip().splitlines():
        if line.startswith("@"):
            section = table.setdefault(line[1:], {})
        else:
            section.setdefault(line[0], []).extend(line[2:].split("|"))
    return table


# Block codes: t title, g goal, h hook, w twist; in "@_": c conflict, p twist lead-in,
# f/s long/short format sentence ({pf} platform, {gn} genre, {r} clause), r requirement clause.
_ZH = """
@_
c 为了{g}，{p}不得不和{a}正面交锋，每一集都在试探与反击之间拉扯。
c {p}只想{g}，偏偏{a}步步紧逼，两人的较量一集比一集狠。
c 留给{p}的时间只剩{n}天，想要{g}，就得先过{a}这一关。
c {p}表面隐忍，暗地里一步步布局，只为{g}，而{a}早已察觉。
p 反转来了：|谁也没想到，|直到第{k}集才揭晓：|最后一分钟，真相炸开：
f 按{pf}竖屏节奏拍成{gn}，一到三分钟一集，每集都停在反转前一秒{r}。
f 作为{pf}上的{gn}，开场三秒必见冲突，每集一到三分钟，集尾留足钩子{r}。
f {pf}竖屏{gn}，单集一到三分钟，前三秒抛冲突、结尾卡悬念{r}。
s {pf}竖屏{gn}，每集一到三分钟{r}。
r ，关键情节里埋进“{kw}”|，并把“{kw}”贯穿全剧
@sweet
t 闪婚后，{x}总每天都在吃醋|契约到期，{x}总不肯离婚|{p}的心动倒计时|隐婚三年，{x}总藏不住了
g 守住契约婚姻的秘密|在一百天内让对方先动心
h {p}醉酒后把{a}错认成代驾，第二天才发现对方是自己的新老板
h 为了应付相亲，{p}随手拉住{a}领了证，却不知道对方是全城最难搞的总裁
h {p}把写给暗恋对象的情书塞错了柜子，收信人偏偏是{a}
w 一场乌龙让误会越滚越大，可每一次“意外”其实都是{a}偷偷安排的
w 原来{a}暗恋{p}整整十年，所谓契约只是接近的借口
w {p}以为{a}心有所属，最后发现那张旧照片里的人正是小时候的自己
@angst
t 离婚后，{x}先生跪求复合|替身三年，{p}不要了|追妻火葬场：{x}总悔疯了|{p}转身那天，{x}总慌了
g 拿回被夺走的一切|让背叛者当众认错
h 订婚宴上，{p}亲眼看见{a}和最好的闺蜜举杯，自己成了全场的笑话
h {p}当了{a}三年的替身，白月光回国那天被一纸协议扫地出门
h 病危通知书送到时，{a}正陪着别人过生日，{p}终于签下离婚协议
w 当年救下{a}的人其实是{p}，白月光只是冒领了这份恩情
w {p}离开后摇身成了{a}公司最大的债主，这一次轮到对方低头
w 闺蜜的背叛背后另有主谋，那个人一直站在{a}身边
@wealth
t 真千金回府，全家悔断肠|{p}带球跑，{x}总满城找人|马甲掉了，{p}是首富|萌宝出手，{x}总秒变奶爸
g 查清当年被调包的真相|守住孩子和自己的身份秘密
h 豪门寿宴上，{p}被假千金当众泼了一身红酒，却只是轻轻笑了一下
h 五年后{p}带着萌宝回国，小家伙第一天就把{a}的限量跑车贴满了贴纸
h 被赶出家门的{p}在慈善拍卖会上举牌，压过了{a}志在必得的报价
w DNA报告揭开真相：{p}才是被调包的亲生女儿，而假千金早就知情
w 萌宝偷偷做的亲子鉴定显示，{a}就是那个从没露面的爸爸
w {p}的马甲一个个掉落，集团最大的匿名股东原来就是{p}本人
@court
t 嫡女归来，满府皆惊|冷宫三年，{p}杀回来了|穿成弃女后我靠种田翻身|{p}掌家，侯府变天
g 护住母族不被满门抄斩|在宅斗中守住掌家之权
h 大婚当夜，{p}被庶妹推入寒池，睁眼竟回到了出嫁前三个月
h 现代医生{p}一觉醒来穿成侯府弃女，手里只剩半袋种子和一张欠条
h {p}女扮男装替父从军，第一天就撞上了冷面将军{a}
w 步步相逼的{a}一直在暗中护着{p}，那道赐婚圣旨正是{a}亲手求来的
w 看似温顺的庶妹才是幕后黑手，{p}反手用一封家书让对方原形毕露
w 老皇帝临终前留下的密诏上，写的竟是{p}的名字
@underdog
t 赘婿三年，今天不装了|战神归来，{x}家跪迎|神医下山，专治不服|{p}觉醒系统，开局送一栋楼
g 为蒙冤的父亲讨回公道|一个月内凑够救命钱
h 岳父的寿宴上，入赘三年的{p}被当众扔出门，门外却停满了黑色轿车
h 同学会上{a}把酒泼在{p}脸上，嘲讽{p}只是个送外卖的，下一秒包厢灯灭了
h {p}随手救下晕倒的老人，却被{a}诬陷成骗子，当街被人围住
w 被所有人看不起的{p}，竟是让整个江城商界闻风丧胆的幕后老板
w 那位老人是隐世的医门宗师，临终前把全部传承交到了{p}手里
w {a}费尽心思巴结的大人物一进门，就恭恭敬敬地对{p}喊了一声“先生”
@fantasy
t 末世囤货，我躺赢了|{p}重生末世前七天|废柴觉醒，一剑开天|{p}的星舰只剩一格电
g 在末日降临前囤够物资|在宗门大比中活下来
h 末日降临前七天，{p}从前世的死亡中惊醒，立刻取光了所有存款
h 被宗门判定为废灵根的{p}，在禁地里捡到一块会说话的残玉
h {p}所在的殖民星断了补给，唯一的飞船钥匙却在{a}手里
w 前世背刺{p}的人正是{a}，这一世{p}先一步夺下了安全区
w 那块残玉里封着的，是三千年前的{p}自己
w 所谓外星入侵，其实是{a}为了独占能源编出来的骗局
@mystery
t 第七个嫌疑人|{p}的完美不在场证明|密室里的第二把钥匙|雨夜回放
g 在七十二小时内找出真凶|洗清自己身上的杀人嫌疑
h 暴雨封山的民宿里，房东死在反锁的房间，唯一的脚印属于{p}
h 刑警{p}接到一通报警电话，对方描述的正是明天才会发生的凶案
h {p}在监控里看见自己走进案发现场，可那晚明明在家睡觉
w 报警的人正是{a}，每一条线索都是对方为了复仇精心布置的
w 死者根本没死，这场命案是{a}导演的一次人间蒸发
w 真凶在第一集就出现过，正是一直帮{p}查案的{a}
@horror
t 别回头，{p}|午夜十二点的直播间|老宅第十三级台阶|{p}困在星期三
g 在天亮前破解诅咒|打破循环活着离开
h {p}为了涨粉在老宅开直播，弹幕却开始提醒身后站着一个人
h {p}被困在同一个星期三，每次醒来手机里都多出一条陌生留言
h 奶奶下葬那晚，村里所有镜子都蒙上了红布，只有{p}房间的没有
w 那个“鬼”其实是来救{p}的，真正想要{p}性命的是{a}
w 每一条陌生留言，都来自下一轮循环里的{p}自己
w 村里的规矩不是为了防鬼，而是为了把{p}留下来当祭品
@life
t 婆婆的账本|{p}不当老好人了|除夕夜，我掀了饭桌|实习生{p}是董事长
g 守住这个快要散掉的家|在试用期结束前证明自己
h 除夕夜，{a}的妈妈当着全家拿出账本，要{p}把十年的生活费算清
h 新来的实习生{p}第一天就被主管{a}抢走方案，还被当众骂哭
h 高考前一个月，{p}发现同桌{a}每天偷偷往自己书包里塞纸条
w 那本账本记的不是债，而是偷偷替{p}攒下的一笔安家钱
w 被抢走的方案早被{p}改过，{a}在董事会上念出的正是自己的罪证
w 纸条上的字迹来自{a}的妈妈，她在用这种方式和{p}告别
"""

_EN = """
@_
c To {g}, {p} has to go head to head with {a}, and every episode swings between doubt and payback.
c All {p} wants is to {g}, but {a} keeps closing in, and each round hits harder than the last.
c {p} has just {n} days to {g}, and the only way through is past {a}.
c Quiet on the surface, {p} plots every move to {g}, while {a} is already watching.
p The twist:|Then the floor drops out:|In episode {k}, the truth lands:|Nobody sees it coming:
f Shot vertical for {pf} in 1-3 minute episodes, each cutting out a second before a reveal{r}.
f Built for {pf}: a clash in the first three seconds, 1-3 minutes per episode, a hook at the end{r}.
f Every 1-3 minute vertical episode on {pf} ends on a cliffhanger{r}.
s Made for {pf} in 1-3 minute vertical episodes{r}.
r , with "{kw}" woven into the key scenes|, and "{kw}" runs through the whole season
@sweet
t Married to Mr. {x} by Mistake|Mr. {x} Won't Sign the Divorce|{p}'s Hundred-Day Crush
t My Secret Husband Is the Boss
g keep the contract marriage a secret|make the other fall first within a hundred days
h {p} drunkenly mistakes {a} for a ride-share driver and learns the next morning who the boss is
h to dodge a blind date, {p} marries a stranger named {a} on the spot, never asking who {a} is
h {p} slips a love letter into the wrong locker, and it lands in the hands of {a}
w Every "accident" between them was quietly arranged by {a}, who has loved {p} for ten years.
w The contract was only ever an excuse for {a} to stay close to a childhood friend: {p}.
w The rival {p} feared is {a}'s sister, who has been rooting for them all along.
@angst
t After the Divorce, Mr. {x} Begs|Three Years a Stand-In, Never Again|Too Late, Mr. {x}
t The Day {p} Walked Away
g take back everything that was stolen|make the traitor confess in public
h at the engagement party, {p} watches {a} toast with {p}'s best friend and becomes the joke
h after three years as a stand-in, {p} is shown the door the day the first love of {a} flies home
h the night the hospital calls, {a} is out at someone else's birthday, so {p} signs the divorce
w The person who saved {a} years ago was {p}, and the first love simply took the credit.
w {p} returns as the biggest creditor of {a}'s company, and this time {a} has to kneel.
w The betrayal was planned by someone who has stood beside {a} the whole time.
@wealth
t The Real Heiress Comes Home|Runaway Mom, Desperate Mr. {x}|{p}'s Secret Identities
t Tiny Matchmaker, Big Boss {x}
g uncover who swapped the babies years ago|protect the child and a hidden identity
h at a billionaire's birthday banquet, the fake heiress throws red wine at {p}, who only smiles
h five years later, {p} returns with a little genius who covers {a}'s sports car in stickers
h thrown out of the family home, {p} raises a paddle at the charity auction and outbids {a}
w A DNA report proves {p} is the real daughter, and the fake heiress knew all along.
w The child's secret DNA test reveals that {a} is the parent who never showed up.
w One by one the disguises fall, and the group's anonymous top shareholder is {p}.
@court
t The Rightful Daughter Returns|Three Years in the Cold Palace|Farming My Way Out of the Manor
t {p} Runs the Household Now
g save the whole clan from execution|hold on to the keys of the household
h on the wedding night, {p} is pushed into a frozen pond and wakes three months before the wedding
h modern surgeon {p} wakes up as a cast-off daughter with half a bag of seeds and an IOU
h disguised as a man, {p} joins the army for an aging father and runs into the icy general {a}
w {a}, who seemed to hunt {p} at every step, was shielding {p} and begged for the marriage decree.
w The gentle half-sister is the mastermind, and {p} exposes the plot with a single family letter.
w The old emperor's secret will names only one heir: {p}.
@underdog
t Three Years a Son-in-Law, Done Pretending|The War God Returns|The Doctor Comes Down the Mountain
t {p} Unlocks the System
g clear a wrongly convicted father's name|raise life-saving money within a month
h at the father-in-law's sixtieth birthday, {p} is thrown out while black cars line the street
h at a class reunion, {a} splashes a drink on {p} and sneers at delivery jobs, then the lights die
h {p} saves an old man who collapses on the street, only for {a} to call it a scam before a crowd
w {p}, the one everyone mocked, is the hidden owner behind half the city's businesses.
w The old man is a reclusive master healer who hands an entire legacy to {p}.
w The big shot {a} has been chasing walks in and bows to {p} first.
@fantasy
t I Hoarded Before the End|{p}: Seven Days Until Doomsday|The Trash Talent Awakens
t Last Charge on the Starship
g stock up before the end of the world|survive the sect tournament
h seven days before the apocalypse, {p} wakes from a past-life death and empties every account
h branded trash talent by the sect, {p} finds a talking shard of jade in the forbidden grounds
h the colony {p} lives on is cut off from supply, and the only ship key belongs to {a}
w The traitor who killed {p} in the last life was {a}, and this time {p} seizes the safe zone first.
w The spirit sealed in the jade is {p}, from three thousand years ago.
w The alien invasion is a hoax staged by {a} to hoard the last energy reserves.
@mystery
t The Seventh Suspect|{p}'s Perfect Alibi|The Second Key|Rewind the Rainy Night
g find the real killer within seventy-two hours|clear a name stained by murder
h at a snowed-in inn, the owner lies dead in a locked room and the only footprints are {p}'s
h detective {p} takes a call describing, in detail, a murder that will happen tomorrow
h security footage shows {p} entering the crime scene on a night {p} swears was spent at home
w The caller is {a}, and every clue was planted as part of a long-planned revenge.
w The victim never died, and the whole case is a vanishing act staged by {a}.
w The real killer appeared in episode one: {a}, who has been helping {p} with the case.
@horror
t Don't Turn Around, {p}|Live at Midnight|The Thirteenth Stair|{p} Is Stuck on Wednesday
g break the curse before sunrise|escape the loop alive
h live-streaming from an old house, {p} sees the chat warn about someone standing right behind
h {p} keeps reliving the same Wednesday, and each morning brings a new message from nobody
h on the night of the funeral, every mirror in the village is covered in red, except in {p}'s room
w The "ghost" came to save {p}; the one who wants {p} dead is {a}.
w Every message from nobody was sent by {p} from the next loop.
w The village rules were never meant to keep ghosts out; they were meant to keep {p} in.
@life
t The Mother-in-Law's Ledger|{p} Stops Being Nice|I Flipped the New Year's Table
t The Intern Owns the Company
g hold a crumbling family together|prove it all before probation ends
h at New Year's dinner, the mother of {a} pulls out a ledger and bills {p} for ten years of living
h on day one, intern {p} has a proposal stolen by manager {a} and gets yelled at in public
h a month before finals, {p} notices that deskmate {a} slips a note into {p}'s bag every day
w The ledger was never a debt; it tracked a secret nest egg saved for {p}.
w {p} had already altered the stolen proposal, so the pitch {a} reads to the board is a confession.
w The notes were written by {a}'s mother, saying goodbye to {p} the only way she could.
"""

_BLOCKS = {"zh": _parse(_ZH), "en": _parse(_EN)}

# The building blocks the outline kind's demo draws on too.
CJK = _CJK
NAMES = _NAMES
BLOCKS = _BLOCKS
FAMILY_OF = _FAMILY_OF
read_params = _extract_params
parse_blocks = _parse
