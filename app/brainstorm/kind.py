"""The brainstorm job kind: its params, its prompt, and ideas stored as the model writes them."""

import json
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

from app.brainstorm.catalog import english_path, writes_english
from app.brainstorm.demo import demo_reply
from app.brainstorm.ideas import (
    BODY_MAX,
    IDEA_TYPE,
    TITLE_MAX,
    library,
    recent_titles,
    reference_for,
)
from app.brainstorm.params import BrainstormParams
from app.brainstorm.writing import idea_being_written
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind
from app.jobs.recipes import stream_items
from app.jobs.starting import Started, start_job

SYSTEM_PROMPT = """You are a story developer for short vertical-video dramas (1-3 minute
episodes on platforms such as Douyin, Kuaishou and TikTok). You write original, concrete
story ideas with a strong hook in the first seconds, a clear protagonist and conflict,
and a reversal. Write in the language of the platform and genres you are given.
Answer with JSON only, no prose and no code fences, exactly in this shape:
{"ideas": [{"title": "...", "body": "..."}]}"""


def build_messages(
    params: dict[str, Any],
    kept: list[dict[str, Any]],
    earlier: Sequence[str] = (),
    reference: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    """The prompt: what to write, the titles not to repeat (what earlier attempts already
    wrote, and what the project's last brainstorms did), and the idea to vary from, if any."""
    request = {**params, "numIdeas": params["numIdeas"] - len(kept)}
    request.pop("referenceArtifactId", None)  # the model reads the idea itself
    if writes_english(params["platform"]):
        request["genrePaths"] = [english_path(path) for path in params["genrePaths"]]
    request["avoidTitles"] = list(dict.fromkeys([idea["title"] for idea in kept] + list(earlier)))
    vary = ""
    if reference is not None:
        request["reference"] = {
            "title": str(reference.get("title", "")),
            "body": str(reference.get("body", "")),
        }
        vary = (
            "; the writer wants more like the reference idea: keep what makes it appealing, "
            "but give each idea its own premise, characters and twist, never a retelling of it"
        )
    user = (
        f"Write {request['numIdeas']} story ideas for these parameters "
        f"(genre proportions are percentages of emphasis; do not repeat avoidTitles{vary}):\n"
        f"<params>{json.dumps(request, ensure_ascii=False)}</params>"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def clean(idea: Any) -> dict[str, str] | None:
    """An idea as stored: a title and a body, trimmed and capped; None if it is not one."""
    if not isinstance(idea, dict):
        return None
    title, body = idea.get("title"), idea.get("body")
    if not isinstance(title, str) or not isinstance(body, str) or not title.strip():
        return None
    return {"title": title.strip()[:TITLE_MAX], "body": body.strip()[:BODY_MAX]}


class Brainstorm(JobKind):
    """Story ideas for a platform and a mix of genres, written one by one."""

    name = "brainstorm"
    params = BrainstormParams
    params_type = "brainstorm_params"
    params_template = "brainstorm/_params.html"
    results_template = "brainstorm/_ideas.html"
    project_template = "brainstorm/_project.html"
    partial_template = "brainstorm/_writing.html"

    def label(self) -> str:
        return _("Brainstorm")

    def results_label(self) -> str:
        return _("Ideas")

    def partial(self, tail: str, *, whole: bool) -> dict[str, Any] | None:
        return idea_being_written(tail, whole)

    def run(self, ctx: JobContext) -> str:
        earlier = recent_titles(ctx.claim.project_id, ctx.id)
        reference = next(iter(ctx.inputs.get("reference", [])), None)
        return stream_items(
            ctx,
            build_messages(ctx.params, ctx.results, earlier, reference),
            item_type=IDEA_TYPE,
            target=ctx.params["numIdeas"],
            clean=clean,
        )

    def project_context(self, project_id: int) -> dict[str, Any]:
        return {"shelves": library(project_id)}

    def demo(self, messages: list[dict[str, str]]) -> str:
        return demo_reply(messages)


BRAINSTORM = Brainstorm()


def start_brainstorm(
    project_id: int, user_id: int, params: BrainstormParams, key: str | None
) -> Started:
    """Record a brainstorm job, reading its reference idea if it has one (422 naming the field
    if that is not an idea of the project); the caller commits, then launches."""
    inputs = {}
    if params.reference_artifact_id is not None:
        inputs["reference"] = reference_for(project_id, params.reference_artifact_id).id
    return start_job(BRAINSTORM, project_id, user_id, params, key, inputs=inputs)
