"""The brainstorm job kind: params, prompt and the ideas parsed out of the model's JSON."""

import json
from typing import Any

import jiter
from flask_babel import gettext as _

from app.brainstorm.catalog import english_path, writes_english
from app.brainstorm.params import BrainstormParams
from app.i18n import N_
from app.jobs.kinds import JobKind, OutputError, register

TITLE_MAX, BODY_MAX = 200, 5000

SYSTEM_PROMPT = """You are a story developer for short vertical-video dramas (1-3 minute
episodes on platforms such as Douyin, Kuaishou and TikTok). You write original, concrete
story ideas with a strong hook in the first seconds, a clear protagonist and conflict,
and a reversal. Write in the language of the platform and genres you are given.
Answer with JSON only, no prose and no code fences, exactly in this shape:
{"ideas": [{"title": "...", "body": "..."}]}"""


def build_messages(params: dict[str, Any], kept: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The prompt: what to write, and which ideas earlier attempts already wrote."""
    request = {**params, "numIdeas": params["numIdeas"] - len(kept)}
    if writes_english(params["platform"]):
        request["genrePaths"] = [english_path(path) for path in params["genrePaths"]]
    request["avoidTitles"] = [idea["title"] for idea in kept]
    user = (
        f"Write {request['numIdeas']} story ideas for these parameters "
        "(genre proportions are percentages of emphasis; do not repeat avoidTitles):\n"
        f"<params>{json.dumps(request, ensure_ascii=False)}</params>"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _document(raw: str) -> str:
    """The JSON part of an answer (models sometimes wrap it in prose or fences)."""
    start = raw.find("{")
    return raw[start:] if start >= 0 else ""


def _clean(idea: Any) -> dict[str, str] | None:
    if not isinstance(idea, dict):
        return None
    title, body = idea.get("title"), idea.get("body")
    if not isinstance(title, str) or not isinstance(body, str) or not title.strip():
        return None
    return {"title": title.strip()[:TITLE_MAX], "body": body.strip()[:BODY_MAX]}


def _closes(text: str) -> bool:
    """Whether the last idea object is complete (closing the document makes valid JSON)."""
    text = text.rstrip().rstrip(",")
    for suffix in ("", "}", "]}"):
        try:
            json.loads(text + suffix)
            return True
        except ValueError:
            continue
    return False


def parse(raw: str, final: bool) -> list[dict[str, Any]]:
    """The complete ideas in the answer so far (strictly, once it has ended)."""
    text = _document(raw)
    if final:
        end = text.rfind("}")
        try:
            doc = json.loads(text[: end + 1])
        except ValueError as error:
            raise OutputError(N_("The model's answer was not the JSON we asked for.")) from error
        ideas = doc.get("ideas") if isinstance(doc, dict) else None
        if not isinstance(ideas, list):
            raise OutputError(N_("The model's answer had no list of ideas."))
        return [idea for idea in map(_clean, ideas) if idea]
    try:
        doc = jiter.from_json(text.encode(), partial_mode="on")
    except ValueError:
        return []
    ideas = doc.get("ideas") if isinstance(doc, dict) else None
    if not isinstance(ideas, list) or not ideas:
        return []
    complete = ideas if _closes(text) else ideas[:-1]
    return [idea for idea in map(_clean, complete) if idea]


BRAINSTORM = register(
    JobKind(
        name="brainstorm",
        label=lambda: _("Brainstorm"),
        params_type="brainstorm_params",
        output_type="brainstorm_idea",
        params=BrainstormParams,
        build_messages=build_messages,
        parse=parse,
        target=lambda params: params["numIdeas"],
        results_label=lambda: _("Ideas"),
        params_template="brainstorm/_params.html",
        results_template="brainstorm/_ideas.html",
    )
)
