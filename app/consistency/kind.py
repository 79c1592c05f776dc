"""The consistency kind: the episodes it reads (exact versions, as input artifacts) and the
bible, given to the model as lines; one `consistency_report` artifact whose issues appear as
the model completes each."""

from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import Field, ValidationError

from app.i18n import N_
from app.inputs import Inputs, Text, Whole
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind
from app.jobs.recipes import stream_document
from app.outline.export import language_of
from app.scripts import prompts
from app.scripts.demo import demo_consistency

REPORT_TYPE = "consistency_report"
DOCUMENT_KEY = "report"
LINES_PER_EPISODE = 300


class Issue(Inputs):
    character: Text(200) = ""
    description: Text(2000, min_length=1)
    episodes: Annotated[list[Whole], Field(max_length=120)] = []
    quotes: Annotated[list[Text(2000)], Field(max_length=20)] = []


class CheckParams(Inputs):
    """A check is asked for nothing beyond what it reads (outline, bible, episodes)."""


def clean(name: str, value: Any) -> Any:
    if name != "issues" or not isinstance(value, dict):
        return None
    episodes = value.get("episodes")
    value = {
        **value,
        "episodes": sorted({n for n in episodes if type(n) is int and 0 < n < 10_000})
        if isinstance(episodes, list)
        else [],
        "quotes": [q for q in value.get("quotes") or [] if isinstance(q, str) and q.strip()]
        if isinstance(value.get("quotes"), list)
        else [],
    }
    try:
        return Issue.model_validate(value).model_dump(by_alias=True)
    except ValidationError:
        return None


def lines_of(episode: dict[str, Any]) -> list[dict[str, str]]:
    """An episode as the check reads it: every element's text, with its speaker if any."""
    return [
        {"character": element.get("character", ""), "text": element["text"]}
        for scene in episode.get("scenes", [])
        for element in scene.get("elements", [])
    ][:LINES_PER_EPISODE]


class Consistency(JobKind):
    """A consistency check of the episodes written from one outline version."""

    name = "consistency"
    params = CheckParams
    params_type = "consistency_params"
    inputs = ("outline", "bible", "episode")
    params_template = "consistency/_params.html"
    results_template = "consistency/_report.html"

    def label(self) -> str:
        return _("Consistency check")

    def results_label(self) -> str:
        return _("Consistency findings")

    def run(self, ctx: JobContext) -> str:
        outline = ctx.inputs["outline"][0]
        bible = (ctx.inputs.get("bible") or [None])[0]
        episodes = sorted(ctx.inputs.get("episode", []), key=lambda e: e["number"])
        call = {
            "call": "consistency",
            "language": language_of(outline),
            "title": outline.get("title", ""),
            "logline": outline.get("logline", ""),
            "characters": (bible or outline).get("characters", []),
            "episodes": [
                {"number": e["number"], "title": e.get("title", ""), "lines": lines_of(e)}
                for e in episodes
            ],
        }
        document: dict[str, Any] = {"issues": []}
        ctx.put(REPORT_TYPE, document, DOCUMENT_KEY)  # no issue found is a result too
        ctx.progress(0, None, N_("Reading %(n)d episodes…"), n=len(episodes))
        stream_document(
            ctx,
            prompts.messages(prompts.CONSISTENCY_PROMPT, "Check these episodes", call),
            document=document,
            type=REPORT_TYPE,
            key=DOCUMENT_KEY,
            clean=clean,
            lists=frozenset({"issues"}),
            empty_is_an_answer=True,
        )
        ctx.put(REPORT_TYPE, document, DOCUMENT_KEY, done=True)
        return N_("Done.")

    def demo(self, messages: list[dict[str, str]]) -> str:
        return demo_consistency(messages)


CONSISTENCY = Consistency()
