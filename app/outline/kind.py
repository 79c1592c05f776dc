"""The outline kind: an idea version becomes an outline for vertical short drama, written in
several model calls (the header, characters and stages first, then the episodes in batches,
each given the synopses before it) into one `outline` artifact whose sections appear one by
one. A retry or a takeover goes on from what the artifact already holds."""

import json
from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError, ValidationInfo, field_validator

from app.brainstorm.catalog import platform_label, writes_english
from app.i18n import N_
from app.inputs import Inputs, Text, Whole, refuse
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind
from app.jobs.recipes import stream_document
from app.language import mostly_cjk
from app.llm.reading import open_objects
from app.outline.components import LONG, SHORT, Character, Episode, Stage, empty
from app.outline.demo import demo_outline

OUTLINE_TYPE = "outline"
DOCUMENT_KEY = "outline"
BATCH = 15  # episodes per model call: real models cap an answer at a few thousand tokens
HEADER = ("title", "logline", "genre", "audience", "sellingPoints", "setting")
LISTS = frozenset({"characters", "stages", "episodes"})
NOTES_MAX = 2000

SYSTEM_PROMPT = """You are a head writer of vertical short dramas (竖屏短剧) for Douyin,
Kuaishou, YouTube Shorts and TikTok. You turn a story idea into a production outline: a hook
in the first seconds of every episode, a cliffhanger at the end of every episode, payoffs
(爽点: reversals, face-slaps, reveals) at a steady density, and the strongest cliffhanger on the
paywall episode. Write in the language given. Answer with JSON only, no prose, no code fences.
For a "header" call answer exactly:
{"title": "", "logline": "", "genre": "", "audience": "", "sellingPoints": [""], "setting": "",
 "characters": [{"name": "", "role": "", "age": "", "personality": "", "goal": "",
   "contrast": "", "advantage": "", "advantageCost": "",
   "relationships": [{"name": "", "relation": ""}]}],
 "stages": [{"stage": "opening|rising|climax|resolution", "fromEpisode": 1, "toEpisode": 1,
   "summary": ""}]}
For an "episodes" call answer exactly, for episodes fromEpisode to toEpisode:
{"episodes": [{"number": 1, "title": "", "synopsis": "", "hook": "", "cliffhanger": ""}]}"""


class OutlineParams(Inputs):
    """What an outline is asked for (the source idea version is its input artifact)."""

    platform: Text(40) = ""  # empty: the brainstorm's platform
    episode_count: Whole = 60
    episode_seconds: Whole = 90
    paywall_episode: Whole = 10
    notes: Text(NOTES_MAX) = ""

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if not value:
            return value
        label = platform_label(value)
        if label is None:
            raise refuse(_("Choose a platform from the list."))
        return label

    @field_validator("episode_count")
    @classmethod
    def _episodes(cls, value: int) -> int:
        if not 10 <= value <= 120:
            raise refuse(_("Ask for between 10 and 120 episodes."))
        return value

    @field_validator("episode_seconds")
    @classmethod
    def _seconds(cls, value: int) -> int:
        if not 30 <= value <= 300:
            raise refuse(_("An episode lasts between 30 and 300 seconds."))
        return value

    @field_validator("paywall_episode")
    @classmethod
    def _paywall(cls, value: int, info: ValidationInfo) -> int:
        count = info.data.get("episode_count", 10)
        if not 1 <= value <= count:
            raise refuse(_("The paywall episode is one of the episodes (1 to %(n)d).", n=count))
        return value


def language_of(idea: dict[str, Any], platform: str) -> str:
    """The outline's language: the idea's (Chinese if it is mostly CJK), else the platform's."""
    text = f"{idea.get('title', '')}{idea.get('body', '')}"
    if text.strip():
        return "zh" if mostly_cjk(text) else "en"
    return "en" if writes_english(platform) else "zh"


def _text(value: Any, cap: int) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value.strip()[:cap] if isinstance(value, str) else None


def _item(model: type[Inputs], value: Any) -> dict[str, Any] | None:
    """A list element read liberally: what fits the model, or nothing."""
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value).model_dump(by_alias=True)
    except ValidationError:
        return None


def clean(name: str, value: Any) -> Any:
    """A section of the model's answer as the outline keeps it; None if it is not one."""
    if name == "sellingPoints":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return None
        points = [p for p in (_text(v, LONG) for v in value[:20]) if p]
        return points or None
    if name in ("title", "genre", "audience"):
        return _text(value, SHORT) or None
    if name in ("logline", "setting"):
        return _text(value, LONG) or None
    models = {"characters": Character, "stages": Stage, "episodes": Episode}
    return _item(models[name], value) if name in models else None


EPISODE_TEXT = ("title", "synopsis", "hook", "cliffhanger")


def episode_being_written(tail: str, whole: bool) -> dict[str, str] | None:
    """The episode the model has not finished (the innermost open element of a list that is
    not a character or a stage), once its title or synopsis has begun; else None."""
    for found in reversed(open_objects(tail, whole)):
        if not found.in_list:
            continue
        members = found.members
        if {"name", "stage", "relation"} & members.keys():
            return None
        episode = {
            key: members[key].strip()[: SHORT if key == "title" else LONG]
            if isinstance(members.get(key), str)
            else ""
            for key in EPISODE_TEXT
        }
        return episode if episode["title"] or episode["synopsis"] else None
    return None


class Outline(JobKind):
    """An outline for vertical short drama from one version of an idea."""

    name = "outline"
    params = OutlineParams
    params_type = "outline_params"
    inputs = ("source",)
    params_template = "outline/_params.html"
    results_template = "outline/_outline.html"
    project_template = None  # outlines show under their idea in the library
    partial_template = "outline/_writing.html"

    def label(self) -> str:
        return _("Outline")

    def results_label(self) -> str:
        return _("Outline")

    def partial(self, tail: str, *, whole: bool) -> dict[str, Any] | None:
        return episode_being_written(tail, whole)

    def run(self, ctx: JobContext) -> str:
        source = ctx.inputs["source"][0]
        # An idea, or a research result (its Markdown is the body).
        body = source.get("body") or source.get("markdown", "")
        idea = {"title": source.get("title", ""), "body": body}
        document = dict(ctx.results[0]) if ctx.results else empty()
        if not document.get("episodes"):
            # The header call is whole once an episode follows it: until then, write it again.
            document = empty()
        asked = {
            **ctx.params,
            "idea": idea,
            "language": language_of(idea, ctx.params["platform"]),
        }
        total = ctx.params["episodeCount"]
        if not document["episodes"]:  # the header, characters and stages
            ctx.progress(0, total, N_("Writing the title, characters and stages…"))
            for name in LISTS:
                document[name] = []
            stream_document(
                ctx,
                _messages({**asked, "call": "header"}),
                document=document,
                type=OUTLINE_TYPE,
                key=DOCUMENT_KEY,
                clean=clean,
                lists=frozenset({"characters", "stages"}),
            )
        while len(document["episodes"]) < total:
            first = len(document["episodes"]) + 1
            last = min(total, first + BATCH - 1)
            written = len(document["episodes"])

            def keep_in_order(first: int = first, last: int = last, written: int = written) -> None:
                # What the model numbered wrongly or repeated is renumbered or dropped.
                episodes = document["episodes"]
                fresh = episodes[written:]
                del episodes[written:]
                for number, episode in zip(range(first, last + 1), fresh, strict=False):
                    episodes.append({**episode, "number": number})
                ctx.progress(len(episodes), total, N_("Writing episodes…"))

            call = {
                **asked,
                "call": "episodes",
                "title": document.get("title", ""),
                "characters": [
                    {"name": c["name"], "role": c["role"]} for c in document["characters"]
                ],
                "stages": document["stages"],
                "fromEpisode": first,
                "toEpisode": last,
                "previous": [
                    {"number": e["number"], "synopsis": e["synopsis"]} for e in document["episodes"]
                ],
            }
            stream_document(
                ctx,
                _messages(call),
                document=document,
                type=OUTLINE_TYPE,
                key=DOCUMENT_KEY,
                clean=clean,
                lists=frozenset({"episodes"}),
                on_change=keep_in_order,
            )
            if len(document["episodes"]) == written:
                return N_("Done: the model wrote fewer episodes than asked.")
        ctx.put(OUTLINE_TYPE, document, DOCUMENT_KEY, done=True)
        return N_("Done.")

    def demo(self, messages: list[dict[str, str]]) -> str:
        return demo_outline(messages)


def _messages(call: dict[str, Any]) -> list[dict[str, str]]:
    what = (
        "Write the outline's header, characters and stages"
        if call["call"] == "header"
        else f"Write episodes {call['fromEpisode']} to {call['toEpisode']}"
    )
    user = f"{what} for these parameters:\n<params>{json.dumps(call, ensure_ascii=False)}</params>"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


OUTLINE = Outline()
