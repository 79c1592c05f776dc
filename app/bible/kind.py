"""The bible kind: one `character_bible` artifact `{"characters": [...]}` written from an
outline version's characters and story; each character appears as the model completes it."""

from typing import Any

from flask_babel import gettext as _

from app.i18n import N_
from app.inputs import Inputs, Text
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind
from app.jobs.recipes import stream_document
from app.outline.export import language_of
from app.outline.kind import clean as clean_outline
from app.scripts import prompts

BIBLE_TYPE = "character_bible"
DOCUMENT_KEY = "bible"
STORY_EPISODES = 12  # synopses the bible's writer reads beside the characters


class BibleParams(Inputs):
    """What a bible is asked for (the outline version is its input artifact)."""

    notes: Text(2000) = ""


def clean(name: str, value: Any) -> Any:
    """A character of the model's answer as the bible keeps it; None for anything else."""
    return clean_outline(name, value) if name == "characters" else None


def bible_call(outline: dict[str, Any], notes: str = "") -> dict[str, Any]:
    """What the model is given: the outline's characters and the start of its story."""
    return {
        "call": "bible",
        "language": language_of(outline),
        "title": outline.get("title", ""),
        "logline": outline.get("logline", ""),
        "genre": outline.get("genre", ""),
        "setting": outline.get("setting", ""),
        "characters": outline.get("characters", []),
        "episodes": [
            {"number": e["number"], "synopsis": e.get("synopsis", "")}
            for e in outline.get("episodes", [])[:STORY_EPISODES]
        ],
        "notes": notes,
    }


class Bible(JobKind):
    """A character bible for one version of an outline."""

    name = "bible"
    params = BibleParams
    params_type = "bible_params"
    inputs = ("outline",)
    params_template = "bible/_params.html"
    results_template = "bible/_bible.html"

    def label(self) -> str:
        return _("Character bible")

    def results_label(self) -> str:
        return _("Character profiles")

    def run(self, ctx: JobContext) -> str:
        outline = ctx.inputs["outline"][0]
        document: dict[str, Any] = {"characters": []}  # a retry writes the whole bible again
        ctx.progress(0, None, N_("Writing the character bible…"))
        stream_document(
            ctx,
            prompts.messages(
                prompts.BIBLE_PROMPT,
                "Write the character bible",
                bible_call(outline, ctx.params.get("notes", "")),
            ),
            document=document,
            type=BIBLE_TYPE,
            key=DOCUMENT_KEY,
            clean=clean,
            lists=frozenset({"characters"}),
            on_change=lambda: ctx.progress(
                len(document["characters"]), None, N_("Writing the character bible…")
            ),
        )
        ctx.put(BIBLE_TYPE, document, DOCUMENT_KEY, done=True)
        return N_("Done.")

    def demo(self, messages: list[dict[str, str]]) -> str:
        from app.scripts.demo import demo_bible

        return demo_bible(messages)


BIBLE = Bible()
