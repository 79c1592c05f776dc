"""The building blocks of the script kinds' offline demo, one table per language, in the
brainstorm demo's block format: "@section" opens a section and "k a|b|c" adds items under
the one-letter code k.

No line here states an age or calls anyone by a kinship word: the episodes say such things
only as the bible gives them, so the demo's own series passes the demo's own check. What
lines say of a character is read here too, beside those tables: kinship words, stated ages
(in digits or Chinese numerals) and names one slip away from the bible's."""

import re

from app.brainstorm.demo import parse_blocks

# Profile codes of a role (lead, love, rival, friend, kin; used for the fields an outline
# leaves empty): n role, y age range, i personality, g goal, c contrast, k advantage, x its
# cost, L what the role is to the lead, P what the lead is to the role. look: f face, o clothes,
# d detail, t template. speech: s style, c catchphrase, t template. Episode blocks: place i
# interior / e exterior, time t; line p press / a answer / k lead-in to the cliffhanger / q
# parenthetical; beat x action; inner m monologue ({g} the goal) / v voice-over; caption c time
# / b flashback / i intro; cut t transition / r back from a flashback / w paywall; title t.
# issue: a age against the bible, A age between episodes (s one statement), n name drift, r
# relationship.
_ZH = """
@lead
n 主角
y 22-28
i 外冷内热，隐忍果断|嘴硬心软，有仇必报|看着温顺，骨子里倔强
g 查清当年的真相|夺回属于自己的一切
c 人人都以为好欺负，其实步步为营
k 过目不忘的记忆力
x 每一次回想都要重历一遍噩梦
@love
n 感情线
y 26-32
i 冷面毒舌，极其护短|温和克制，心思难猜
g 守住一个不能说的秘密|护主角周全
c 对谁都冷，唯独对主角破例
k 遍布全城的人脉
x 身份一旦曝光，处处受制
L 心上人|合作者
P 想保护的人
@rival
n 反派
y 28-45
i 笑里藏刀，心狠手辣|傲慢虚荣，极好面子
g 让真相永远埋在地下|把主角踩在脚下
c 人前是慈善家，人后是狠角色
k 家族势力和一张关系网
x 真相一出，满盘皆输
L 死对头
P 眼中钉
@friend
n 挚友
y 22-30
i 仗义，嘴快|大大咧咧，关键时刻最靠谱
g 帮主角讨回公道
c 看着不着调，其实最细心
k 消息灵通，认识三教九流
x 容易被反派拿来要挟主角
L 最信任的朋友
P 挚友
@kin
n 家人
y 48-60
i 固执守旧，爱在心口难开|刀子嘴豆腐心
g 守住这个家
c 嘴上最嫌弃主角，心里最惦记主角
k 知道当年真相的一部分
x 说出来会拖垮全家
@look
f 眉眼清冷，唇色很淡|一双笑眼，看谁都带着三分温柔|轮廓分明，不笑时有点凶|皮肤白，眼尾微微上挑
f 浓眉，眼神沉稳，站着就有压迫感|圆脸，看着比实际年纪小
o 常穿剪裁利落的深色西装|一身洗得发白的衬衫和牛仔裤|总是一件驼色大衣|偏爱黑色高领毛衣
o 永远一件熨得笔挺的白衬衫|穿着朴素，却收拾得一丝不苟
d 手腕上戴着一块旧手表|耳后有一道浅浅的疤|无名指上有一圈淡淡的戒痕|口袋里总揣着一支钢笔
d 颈间挂着一枚旧玉坠|左手虎口有一颗小痣
t {f}，{o}，{d}。
@speech
s 说话慢条斯理，越生气越客气|话少，句句带刺|语速快，爱反问|习惯先笑再开口，笑里藏刀
s 说话直来直去，从不绕弯子|声音不大，但每个字都咬得很清楚
c 我说过，别碰我的东西。|好戏才刚开始。|你最好想清楚再说。|这笔账，我记下了。
c 我从来不做亏本的买卖。|别急，慢慢来。|我的事，轮不到你管。|有意思。
t {s}；口头禅：“{c}”
@place
i 客厅|办公室|医院走廊|宴会厅|酒店套房|书房|会议室|车内|咖啡馆|病房
e 天台|停车场|街边|别墅门口|江边
@time
t 日|夜|晨|黄昏
@line
p 你到底还瞒着我什么？|今天你不把话说清楚，谁也别想走。|你以为这件事能一直瞒下去吗？
p 我再问你最后一遍。|证据就在这里，你还想怎么解释？|别装了，我什么都知道了。
p 你敢不敢当着所有人的面再说一遍？|这件事，是不是跟你有关？|你当初答应过我什么，忘了吗？
p 你看着我的眼睛说。|你就不怕报应吗？|这是你最后的机会。
p 那天晚上，你到底在哪儿？|你就这么急着撇清关系？|你敢发誓，这件事跟你没关系？
a 我说的每一个字都是真的。|你听谁胡说的？|有些事，你知道了反而更危险。|你想要的答案，我给不了。
a 你太天真了。|是又怎么样？你能拿我怎么样？|再给我一点时间，我会解释清楚。|不是你想的那样。
a 这一次，我不会再让步了。|晚了，一切都已经开始了。|你根本不知道自己在跟谁作对。|我没什么好解释的。
a 你要的真相，很快就会有人送到你面前。|我劝你，别再往下查了。|我忍了这么久，不是为了今天认输。
k 等等……这是怎么回事？|不可能……怎么会是你？|你说什么？再说一遍！|所有人都别动！
q 冷笑|压低声音|一字一顿|愣住|红着眼|不紧不慢|咬牙|轻笑
@beat
x {a}一把夺过文件，手指微微发抖。|{b}脸色骤变，下意识后退半步。|{a}把手机重重拍在桌上。
x {b}转身要走，被{a}一把拉住手腕。|{a}和{b}对视，空气仿佛凝固。|{a}深吸一口气，强迫自己冷静下来。
x {b}的目光落在{a}身上，久久没有移开。|门外传来脚步声，{a}和{b}同时噤声。
@inner
m 我只想{g}，谁也拦不住我。|{g}——这一次，我绝不回头。|再忍一忍，离{g}只差一步。
v 那天晚上，我还不知道，这只是开始。|后来我才明白，所有的巧合都是有人安排好的。
v 如果能重来一次，我会不会做出不同的选择？
@caption
c 当晚|次日|一小时后|同一时间|三天后
b 五年前|多年前|那年冬天|三年前
i {n}，{age}岁
@cut
t 切至：|叠化：|画面一转：
r 回到现实。
w ——画面定格，黑屏。
@title
t 第{n}集
@issue
a {c}的年龄对不上：人物小传写的是{bible}，第{eps}集却说是{said}岁。
A {c}的年龄前后矛盾：{said}。
s 第{eps}集说{age}岁
n 第{eps}集的说话人“{drift}”不在人物小传里，和“{c}”只差一个字，疑似笔误。
r 第{eps}集里{c}称{other}为“{word}”，但人物小传中两人的关系是：{bible}。
"""

_EN = """
@lead
n protagonist
y 22-28
i cool outside, warm underneath; patient and decisive|sharp-tongued but soft-hearted
i mild on the surface, stubborn to the bone
g uncover the truth about the past|win back everything that was taken
c looks like an easy target, but plans every move
k a perfect memory
x every memory means living the nightmare again
@love
n love interest
y 26-32
i cold, sharp-tongued and fiercely protective|gentle, restrained and hard to read
g keep a secret that cannot come out|keep the lead safe
c ice-cold to everyone but the lead
k friends in every corner of the city
x once the identity is out, every move is watched
L the one who makes the heart race|partner in crime
P the person worth protecting
@rival
n antagonist
y 28-45
i smiles while scheming, merciless|arrogant, vain and obsessed with face
g keep the truth buried for good|keep the lead down for good
c a philanthropist in public, ruthless behind closed doors
k family power and a web of connections
x the day the truth comes out, everything is lost
L archenemy
P thorn in the side
@friend
n best friend
y 22-30
i loyal and quick to speak|careless-looking, the most reliable when it matters
g help the lead get justice
c looks scatterbrained, notices everything
k hears every rumour in town
x an easy lever for the rival to pressure the lead
L most trusted friend
P best friend
@kin
n family
y 48-60
i stubborn and old-fashioned, loves without saying so|sharp-tongued, soft-hearted
g hold the family together
c complains about the lead the most, worries about the lead the most
k knows part of the old truth
x speaking up would drag the whole family down
@look
f cool eyes and pale lips|smiling eyes that make everyone feel welcome
f sharp features and a stern face when not smiling|fair skin and eyes that tilt up at the corners
f heavy brows and a steady, imposing gaze|a round face that looks younger than it is
o usually in a sharply tailored dark suit|in a faded shirt and jeans|always in a camel coat
o fond of black turtlenecks|always in a crisply ironed white shirt|plainly dressed but immaculate
d an old watch on the wrist|a faint scar behind one ear|a pale band where a ring used to be
d a fountain pen always in a pocket|an old jade pendant at the throat|a small mole on the left hand
t {f}, {o}; {d}.
@speech
s speaks slowly and gets more polite the angrier it gets|few words, every one of them sharp
s talks fast and answers questions with questions|smiles before speaking, and the smile is a warning
s blunt, never beats around the bush|soft-spoken, but every word lands
c I told you: don't touch what's mine.|The show has only just begun.
c Think carefully before you answer.|I'll remember this.|I never make a losing deal.
c Easy. One step at a time.|My business is none of yours.|Interesting.
t {s}; catchphrase: "{c}"
@place
i LIVING ROOM|OFFICE|HOSPITAL CORRIDOR|BANQUET HALL|HOTEL SUITE|STUDY|BOARDROOM|CAR|CAFÉ
i HOSPITAL ROOM
e ROOFTOP|PARKING LOT|STREET|MANSION GATE|RIVERSIDE
@time
t DAY|NIGHT|MORNING|DUSK
@line
p What else are you hiding from me?|Nobody leaves until you tell me the truth.
p Did you really think you could hide this forever?|I'm asking you one last time.
p The proof is right here. Explain it.|Stop pretending. I know everything.
p Say that again, in front of everyone.|Are you behind this?
p Have you forgotten what you promised me?|Look me in the eye and say it.
p Aren't you afraid of what's coming to you?|This is your last chance.
p Where were you that night?|Why are you in such a hurry to walk away?
p Swear to me you had nothing to do with this.
a Every word I said is true.|Who told you that?|Some things are more dangerous once you know them.
a I can't give you the answer you want.|You're so naive.
a So what if it is? What are you going to do about it?|Give me a little time. I'll explain.
a It's not what you think.|Not this time. I'm done backing down.|Too late. It has already started.
a You have no idea who you're up against.|I have nothing to explain.
a The truth will find you soon enough.|Stop digging. That's my advice.
a I didn't wait this long just to lose today.
k Wait... what is this?|No... it can't be you.|What did you say? Say it again!|Nobody move!
q quietly|slowly|through gritted teeth|stunned|eyes red|with a thin smile|evenly|sharply
@beat
x {a} snatches the file, fingers trembling.|{b} goes pale and takes half a step back.
x {a} slams the phone down on the table.|{b} turns to leave; {a} catches {b}'s wrist.
x {a} and {b} stare at each other. The air freezes.|{a} takes a deep breath and forces a calm face.
x {b}'s eyes stay on {a} for a long moment.|Footsteps outside. {a} and {b} fall silent at once.
@inner
m My only goal: {g}. Nobody is going to stop me.|Remember why you're here: {g}.
m One step closer now: {g}.
v That night, I had no idea it was only the beginning.
v Later I understood: every coincidence had been arranged.
v If I could do it all again, would I choose differently?
@caption
c That night|The next day|An hour later|Meanwhile|Three days later
b Five years earlier|Years ago|That winter|Three years earlier
i {n}, {age}
@cut
t CUT TO:|SMASH CUT TO:|DISSOLVE TO:
r BACK TO PRESENT.
w — Freeze frame. Cut to black.
@title
t Episode {n}
@issue
a {c}'s age does not match: the bible says {bible}, but episode {eps} says {said}.
A {c}'s age changes between episodes: {said}.
s {age} in episode {eps}
n Speaker "{drift}" in episode {eps} is not in the bible and is a typo away from "{c}".
r In episode {eps}, {c} calls {other} "{word}", but the bible gives their relationship as: {bible}.
"""

TABLES = {"zh": parse_blocks(_ZH), "en": parse_blocks(_EN)}

# Kinship words, "kind gender rank: word|word": the label says who the person named is to the
# speaker. Loose words (cousins, sworn siblings, in-laws) contradict nothing; they are listed
# so that 表哥 is read as one word and not as 哥.
KIN = """
sibling m older: 哥哥|大哥|兄长|哥|big brother|older brother|elder brother
sibling m younger: 弟弟|弟|little brother|younger brother
sibling m -: brother
sibling f older: 姐姐|大姐|姐|big sister|older sister|elder sister
sibling f younger: 妹妹|妹|little sister|younger sister
sibling f -: sister
parent f -: 妈妈|妈|母亲|娘|婆婆|岳母|养母|继母|mother|mom|mum|mother-in-law|stepmother
parent m -: 爸爸|爸|父亲|爹|公公|岳父|养父|继父|father|dad|father-in-law|stepfather
child f -: 女儿|养女|daughter|stepdaughter
child m -: 儿子|养子|son|stepson
spouse m -: 老公|丈夫|husband
spouse f -: 老婆|妻子|wife
engaged m -: 未婚夫|fiancé|fiance
engaged f -: 未婚妻|fiancée|fiancee
ex m -: 前夫|前未婚夫|ex-husband|ex-fiancé|ex-fiance
ex f -: 前妻|前未婚妻|ex-wife|ex-fiancée|ex-fiancee
loose - -: 表哥|表姐|表妹|表弟|堂哥|堂姐|堂妹|堂弟|师兄|师姐|师妹|师弟
loose - -: 学长|学姐|姐妹|兄弟|哥们|姐夫|嫂子
loose - -: cousin|brother-in-law|sister-in-law|stepbrother|stepsister|brothers|sisters
"""

# How a speaker calls the person of a label, where a language calls people so.
VOCATIVES = {
    "zh": {
        "sibling m older": "哥哥",
        "sibling f older": "姐姐",
        "parent f -": "妈",
        "parent m -": "爸",
        "spouse m -": "老公",
        "spouse f -": "老婆",
    },
    "en": {"parent f -": "Mom", "parent m -": "Dad"},
}

# ---- reading kinship words, stated ages and names ---------------------------------------

_LABEL = {  # kinship word → "kind gender rank", what the person called so is to the speaker
    word: label.strip()
    for row in KIN.strip().splitlines()
    for label, words in [row.split(":", 1)]
    for word in words.strip().split("|")
}
KIN_WORDS = "|".join(
    rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w)
    for w in sorted(_LABEL, key=len, reverse=True)
)
_KIN_WORD = re.compile(KIN_WORDS, re.I)
_CONVERSE = {"parent": "child", "child": "parent"}  # the other kinds are their own converse
_FLIP = {"older": "younger", "younger": "older", "-": "-"}
_NUMBER = r"([0-9０-９]{1,3}|[零〇一二两三四五六七八九十百]{1,6})"
_FUZZY = re.compile(r"约|左右|出头|多|几|about|around|early|late|mid|\+|0s\b", re.I)
# How a line states an age ({age}) or calls someone ({name}) by a kinship word ({kin}): about
# the speaker (我 / I), about a character named, or to the one spoken to.
_AGES = {
    "zh": (
        r"我{so_far}{age}{now}",
        r"{name}(?:{so_far}|[，,、 ]\s*){age}{now}",
        r"{age}岁的{name}",
    ),
    "en": (r"\bI(?:'m|’m|\s+am)\s+{age}", r"\b{name}(?:'s|’s|\s+is|,)\s+{age}"),
}
_AGE = {
    "zh": _NUMBER.replace("(", "(?P<age>", 1),
    "en": r"(?P<age>[0-9]{1,3})(?=\s+years?\s+old\b|\s*[.,!?;:]|\s*$)",
}
_KINS = {
    "zh": (
        r"{name}是我的?{kin}",
        r"我的?{kin}{name}",
        r"你就?是我的?{kin}",
        r"^{name}?{kin}[，,！!。？?]",
    ),
    "en": (
        r"\b{name} is my {kin}",
        r"\bmy {kin},? {name}\b",
        r"\byou(?:'re|’re| are) my {kin}",
        r"^{kin}\s*[,!]",
    ),
}
_TITLE = re.compile(r".(?:母|父|妈|爸|哥|姐|弟|妹|叔|姨|伯|婶|嫂|总|董|少)|[小老阿].")  # 林母, 小林
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def kin_labels(relation: str) -> list[str]:
    """The kinship labels a relation's wording holds ("契约丈夫" holds "spouse m -")."""
    return [_LABEL.get(w) or _LABEL[w.casefold()] for w in _KIN_WORD.findall(relation)]


def agrees(called: str, label: str) -> bool:
    """Whether two labels can name one tie (an unknown gender or rank fits either)."""
    return all(a == b or "-" in (a, b) for a, b in zip(called.split(), label.split(), strict=True))


def converse(label: str) -> str:
    """What the other one is, when this one is the label: an older sister's is a younger sibling."""
    kind, _gender, rank = label.split()
    return f"{_CONVERSE.get(kind, kind)} - {_FLIP[rank]}"


def read_number(text: str) -> int:
    """A number in digits or Chinese numerals (二十五, 十八, 一百零二)."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    total = current = 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:  # 十 or 百
            total, current = total + (current or 1) * (10 if ch == "十" else 100), 0
    return total + current


def age_range(text: str) -> tuple[int, int] | None:
    """The ages a bible's wording allows ("25岁", "二十五", "25-28"); None when it is vague."""
    numbers = [read_number(n) for n in re.findall(_NUMBER, text)]
    if not numbers or len(numbers) > 2 or _FUZZY.search(text):
        return None
    return min(numbers), max(numbers)


def exact_age(text: str) -> int | None:
    """The age a bible's wording gives, when it is one number."""
    ages = age_range(text)
    return ages[0] if ages and ages[0] == ages[1] else None


def vocative(language: str, relation: str) -> str:
    """How one calls the person of a relation ("契约丈夫" → 老公), where the language does."""
    words = [VOCATIVES[language].get(label, "") for label in kin_labels(relation)]
    return next(filter(None, words), "")


def distance(a: str, b: str) -> int:
    """The edit distance between two names."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def near_name(written: str, name: str) -> bool:
    """One character off a Chinese name (but 林母 is Lin's mother, not a slip for 林晚); one or
    two letters off an English one (one under six letters, where two would make Ivy of Ava)."""
    if _CJK.search(name):
        title = _TITLE.fullmatch(written)
        return len(name) >= 2 and not title and distance(written, name) == 1
    return 0 < distance(written.casefold(), name.casefold()) <= min(2, len(name) // 3)


def statements(language: str, names: list[str]) -> tuple[list[re.Pattern], list[re.Pattern]]:
    """The patterns of the lines that state an age, and of those that use a kinship word, with
    the named characters written as given (any case)."""
    names = sorted(names, key=len, reverse=True)
    fill = {
        "{name}": f"(?P<name>{'|'.join(map(re.escape, names)) or '(?!)'})",
        "{kin}": f"(?P<kin>{KIN_WORDS})",
        "{age}": _AGE[language],
        "{so_far}": "(?:今年|已经|都|才|也|刚)*",
        "{now}": "岁(?!那|的时候|时|以前|之前|起|开始|生日)",  # not 十八岁那年
    }

    def compiled(pattern: str) -> re.Pattern:
        for key, value in fill.items():
            pattern = pattern.replace(key, value)
        return re.compile(pattern, re.I)

    return [compiled(p) for p in _AGES[language]], [compiled(p) for p in _KINS[language]]
