"""The research kind: a research-backed outline that first asks its writer a few questions,
then runs for many minutes in one of two provider modes.

- streaming: one chat completion, streamed and stored like every job's;
- background: one background response of the provider (with its web search), created once.
  Its id and the sequence number of the last event stored are the checkpoint, written with
  the text they belong to, so the next worker re-attaches to the same response: it streams
  again from that number while the response is young enough, else polls it, parked between
  polls. A create is never repeated within an attempt, so no token is billed twice.

The questions come first, in the same attempt (the checkpoint carries it across the wait for
answers). A background run keeps its phase, text length, tokens and citations in the
checkpoint; a streamed one keeps nothing there once it starts (a lost worker means a new
attempt), and its session reads its phase from its calls (app/research/sessions.py)."""

import json
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Literal

from flask import current_app
from flask_babel import gettext as _
from pydantic import field_validator
from sqlalchemy import select

from app import llm
from app.artifacts.models import Artifact
from app.clock import iso, utcnow
from app.extensions import db
from app.i18n import N_
from app.inputs import Inputs, Text, refuse
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind, OutputError
from app.jobs.outcomes import Permanent, Retryable
from app.llm.demo import demo_tokens
from app.research.demo import SEARCHING, DemoResponses
from app.research.demo_content import demo_questions, demo_research
from app.research.prompts import (
    QUESTIONS,
    language_of,
    links_in,
    questions_messages,
    read_questions,
    research_instructions,
    research_messages,
    title_of,
)
from app.research.provider import (
    ENDED,
    Background,
    Citation,
    Event,
    Handle,
    Marks,
    NoResponsesApi,
    OpenAIResponses,
    as_chat_stream,
    finished_stream,
    has_api,
)
from app.research.sources import context_text

RESULT_TYPE = "research_outline"
NO_API = "no_responses_api"  # the note of a background research that ran as a chat
INSTRUCTIONS_TYPE = "research_instructions"
PROMPT_MAX = 4000
ANSWER_MAX = 2000
RECONNECT_SECONDS = 1.0  # after a dropped stream, before re-attaching
PROGRESS_EVERY = 2.0  # seconds between two progress messages while the text streams
ESTIMATE_FROM = 20  # finished research runs an estimate is the median of


class ResearchParams(Inputs):
    """What research is asked for (its context artifact, if any, is an input)."""

    prompt: Text(PROMPT_MAX)
    mode: Literal["streaming", "background"] | None = None  # None: the RESEARCH_MODE setting

    @field_validator("prompt")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise refuse(_("Say what the research is for."))
        return value.strip()


def estimate_seconds(mode: str) -> float | None:
    """How long research usually takes here: the median of the last finished runs of the
    mode (the demo's own length offline), None before there are any."""
    if llm.is_demo(current_app.config):
        return float(current_app.config["DEMO_RESEARCH_SECONDS"])
    rows = db.session.scalars(
        select(Artifact.data)
        .where(Artifact.type == RESULT_TYPE)
        .order_by(Artifact.id.desc())
        .limit(ESTIMATE_FROM * 3)
    ).all()
    db.session.commit()  # a worker's read ends here: it holds no connection while it streams
    seconds = [d["seconds"] for d in rows if d.get("mode") == mode and d.get("seconds")]
    return statistics.median(seconds[:ESTIMATE_FROM]) if seconds else None


class Research(JobKind):
    """A research-backed outline for a project, from a prompt (and an artifact as context)."""

    name = "research"
    params = ResearchParams
    params_type = "research_params"
    inputs = ("context",)
    queue = "long"
    # A deep-research model may think or search for minutes before it writes.
    stall_seconds = 300.0
    first_token_seconds = 900.0
    params_template = "research/_params.html"
    results_template = "research/_results.html"
    project_template = "research/_project.html"
    actions_template = "research/_answers.html"

    def label(self) -> str:
        return _("Research")

    def results_label(self) -> str:
        return _("Research")

    def project_context(self, project_id: int) -> dict[str, Any]:
        """The project's finished research results, newest first."""
        from app.research.sessions import finished

        return {"done": finished(project_id)}

    def demo(self, messages: list[dict[str, str]]) -> str:
        """The demo model's questions (its research is played by the kind's own streams)."""
        request = messages[-1]["content"].split("<request>\n", 1)[-1].split("\n</request>")[0]
        return json.dumps({"questions": demo_questions(request)}, ensure_ascii=False)

    # ---- the run ------------------------------------------------------------------------------

    def run(self, ctx: JobContext) -> str:
        prompt = ctx.params["prompt"]
        context = context_text(ctx.inputs.get("context", []))
        answered = ctx.inputs.get("answers")
        if not answered:
            self._ask(ctx, prompt, context)
        sheet = answered[-1]
        instructions = research_instructions(
            prompt, context, sheet.get("questions", []), sheet.get("answers")
        )
        messages = research_messages(instructions)
        if ctx.checkpoint.get("response") or self._wants_background(ctx):
            self._say(ctx, instructions, "background", None)
            try:
                return self._background(ctx, messages, prompt)
            except NoResponsesApi:
                pass
        note = NO_API if self._requested(ctx) == "background" else None
        self._say(ctx, instructions, "streaming", note)
        # A chat completion cannot be re-attached: a lost worker means a new attempt (its text
        # starts afresh on every open page), so nothing is kept in the checkpoint from here.
        ctx.forget()
        return self._streaming(ctx, messages, prompt)

    def _say(self, ctx: JobContext, instructions: str, mode: str, note: str | None) -> None:
        """The research instructions as the session shows them, with the mode it runs in."""
        ctx.checkpoint.update(mode=mode, note=note)
        data = {"text": instructions, "mode": mode, "note": note}
        ctx.put(INSTRUCTIONS_TYPE, data, "instructions", done=True, role="instructions")

    def _ask(self, ctx: JobContext, prompt: str, context: str) -> None:
        ctx.save(phase="questions")
        ctx.progress(None, None, N_("Thinking of questions for you…"), percent=2)
        answer = ctx.stream(
            questions_messages(prompt, context), lambda _text: None, json_output=True
        )
        questions = read_questions(answer.text)
        if len(questions) < QUESTIONS[0]:
            raise OutputError(N_("The model did not ask usable questions."))
        ctx.ask([{"question": q} for q in questions])

    @staticmethod
    def _requested(ctx: JobContext) -> str:
        """The mode the job was started in (fixed at its start; older jobs: the setting)."""
        return str(ctx.params.get("mode") or ctx.config["RESEARCH_MODE"])

    def _wants_background(self, ctx: JobContext) -> bool:
        """Background, unless this provider showed it has no Responses API."""
        wanted = self._requested(ctx) == "background"
        return wanted and (llm.is_demo(ctx.config) or has_api(ctx.config))

    def _model(self, ctx: JobContext) -> str:
        return str(ctx.config["RESEARCH_MODEL"] or ctx.config["LLM_MODEL"])

    def _began(self, ctx: JobContext, keep: bool) -> None:
        """The research starts: kept in the checkpoint for a background response (the next
        worker goes on from it), only in memory for a chat completion."""
        if "began" not in ctx.checkpoint:
            # The research text starts with the next chunk (the questions came before it).
            state = {
                "began": time.time(),
                "phase": "researching",
                "chars": 0,
                "citations": [],
                "first_seq": ctx.seq + 1,
            }
            if keep:
                ctx.save(**state)
            else:
                ctx.checkpoint.update(state)
        ctx.progress(None, None, N_("Researching…"), percent=5)

    def _writer(self, ctx: JobContext, marks: Marks | None) -> Any:
        """What each flush of the research text does: the phase, tokens so far, and (in the
        background mode) the sequence number and citations its text reaches. Progress is
        said at most every PROGRESS_EVERY seconds (each change re-renders open pages)."""
        estimate = estimate_seconds(ctx.checkpoint.get("mode", "streaming"))
        before = ctx.checkpoint.get("tokens", 0)  # what earlier calls of this response wrote
        said = [0.0]

        def on_text(text: str) -> None:
            chars = ctx.checkpoint.get("chars", 0) + len(text)
            tokens = before + ctx.streamed_tokens
            state: dict[str, Any] = {"chars": chars, "tokens": tokens, "phase": "writing"}
            if marks is not None:
                seq, found = marks.take(chars)
                if seq is not None:
                    state["seq"] = seq
                if found:
                    state["citations"] = [
                        *ctx.checkpoint.get("citations", []),
                        *(c.to_json() for c in found),
                    ]
            if marks is not None:
                ctx.save(**state)
            else:
                ctx.checkpoint.update(state)
            now = time.monotonic()
            if now - said[0] < PROGRESS_EVERY:
                return
            said[0] = now
            elapsed = time.time() - ctx.checkpoint["began"]
            percent = int(100 * elapsed / estimate) if estimate else 50
            ctx.progress(
                None,
                None,
                N_("Writing the outline: about %(tokens)d tokens so far, %(minutes)d min in."),
                percent=max(10, percent),
                tokens=tokens,
                minutes=int(elapsed // 60),
            )

        return on_text

    def _streaming(self, ctx: JobContext, messages: list[dict[str, str]], prompt: str) -> str:
        self._began(ctx, keep=False)
        opener = None
        if llm.is_demo(ctx.config):
            seconds = ctx.config["DEMO_RESEARCH_SECONDS"]
            document = demo_research(messages[-1]["content"], language_of(prompt))
            delay = seconds * (1 - SEARCHING) / max(1, len(demo_tokens(document.markdown)))
            opener = lambda: llm.demo_stream(  # noqa: E731
                messages, document.markdown, delay, seconds * SEARCHING
            )
        answer = ctx.stream(
            messages,
            self._writer(ctx, None),
            temperature=0.7,
            model=self._model(ctx),
            opener=opener,
            parameters={"mode": "streaming"},
        )
        if answer.finish_reason == "length":
            raise Retryable(N_("The model's answer was cut off (length limit)."), "cut_off")
        return self._finish(ctx, answer.text, links_in(answer.text), "model", prompt)

    # ---- background ---------------------------------------------------------------------------

    def _api(self, ctx: JobContext) -> Background:
        if llm.is_demo(ctx.config):
            return DemoResponses(ctx.config["DEMO_RESEARCH_SECONDS"])
        return OpenAIResponses(ctx.config)

    def _background(self, ctx: JobContext, messages: list[dict[str, str]], prompt: str) -> str:
        api = self._api(ctx)
        model = self._model(ctx)
        if "response" not in ctx.checkpoint:
            if ctx.checkpoint.get("creating"):
                # A worker died between asking for a response and hearing its id: it may be
                # running, so another create could bill it twice. The writer decides.
                raise Permanent(
                    N_(
                        "The connection broke while the research was being started, so it "
                        "was not started again (that could bill it twice). Retry to start a "
                        "new one."
                    ),
                    "lost_response",
                )
            self._began(ctx, keep=True)
            ctx.save(mode="background", creating=True)
            events = api.create(messages, llm.model_name(ctx.config, model))
            created = next(events)
            ctx.save(
                response=created.response_id,
                created_at=created.created_at,
                seq=created.seq,
                creating=False,
            )
            ctx.progress(None, None, N_("Researching…"), percent=5)
            return self._follow(ctx, api, events, messages, prompt, "create")
        handle = Handle(ctx.checkpoint["response"], ctx.checkpoint["created_at"])
        age = time.time() - handle.created_at
        if age < ctx.config["RESEARCH_STREAM_AGAIN_SECONDS"]:
            try:
                events = api.resume(handle, messages, ctx.checkpoint.get("seq", 0))
            except llm.LlmError as error:
                if error.retryable:
                    return self._reconnect_later(ctx)
                events = None  # refused (too old to stream again): poll it
            if events is not None:
                return self._follow(ctx, api, events, messages, prompt, "resume")
        return self._poll(ctx, api, handle, messages, prompt)

    def _follow(
        self,
        ctx: JobContext,
        api: Background,
        events: Iterator[Event],
        messages: list[dict[str, str]],
        prompt: str,
        how: str,
    ) -> str:
        marks = Marks(ctx.checkpoint.get("chars", 0))
        model = self._model(ctx)
        parameters = {
            "mode": "background",
            "responseId": ctx.checkpoint["response"],
            how: True,
            "startingAfter": ctx.checkpoint.get("seq", 0),
        }
        try:
            ctx.stream(
                messages,
                self._writer(ctx, marks),
                model=model,
                opener=lambda: as_chat_stream(events, model, marks, ctx.checkpoint["response"]),
                parameters=parameters,
            )
        except llm.LlmError as error:
            if error.code.startswith("response_"):
                raise
            # The connection broke or went quiet; the response goes on at the provider.
            return self._reconnect_later(ctx)
        _seq, found = marks.take(marks.read_chars)
        cited = [Citation(**c) for c in ctx.checkpoint.get("citations", [])] + found
        # The whole text: what earlier workers stored of this response, then this one's.
        text = ctx.stored_text(after=ctx.checkpoint["first_seq"] - 1)
        return self._finish(ctx, text, cited, "search", prompt)

    def _reconnect_later(self, ctx: JobContext) -> str:
        until = utcnow() + timedelta(seconds=RECONNECT_SECONDS)
        ctx.park(until, N_("Reconnecting to the research…"))

    def _poll(
        self,
        ctx: JobContext,
        api: Background,
        handle: Handle,
        messages: list[dict[str, str]],
        prompt: str,
    ) -> str:
        polls = ctx.checkpoint.get("polls", 0) + 1
        ctx.save(polls=polls, polled_at=iso(utcnow()))
        try:
            snapshot = api.retrieve(handle, messages)
        except llm.LlmError as error:
            if not error.retryable:
                raise Permanent(
                    N_("The provider no longer knows this research."), "response_lost"
                ) from error
            snapshot = None
        if snapshot is None or snapshot.status not in ENDED:
            minutes = int((time.time() - handle.created_at) // 60)
            until = utcnow() + timedelta(seconds=ctx.config["RESEARCH_POLL_SECONDS"])
            ctx.park(
                until,
                N_("Still researching (%(minutes)d min so far); checked %(polls)d times."),
                minutes=minutes,
                polls=polls,
            )
        if snapshot.status != "completed":
            message = N_("The provider ended the research without an answer.")
            raise Retryable(message, f"response_{snapshot.status}")
        shown = ctx.checkpoint.get("chars", 0)
        model = self._model(ctx)
        ctx.stream(
            messages,
            self._writer(ctx, None),
            model=model,
            opener=lambda: finished_stream(snapshot.text[shown:], snapshot.usage, model, handle.id),
            parameters={"mode": "background", "responseId": handle.id, "retrieved": True},
        )
        return self._finish(ctx, snapshot.text, list(snapshot.citations), "search", prompt)

    def _finish(
        self, ctx: JobContext, markdown: str, cited: list[Citation], source: str, prompt: str
    ) -> str:
        if not markdown.strip():
            raise OutputError(N_("The model's answer contained no usable results."))
        if not cited:
            cited, source = links_in(markdown), "model"
        unique: dict[str, Citation] = {}
        for citation in cited:
            unique.setdefault(citation.url, citation)
        if llm.is_demo(ctx.config):
            source = "demo"
        checkpoint = ctx.checkpoint
        began = checkpoint.get("began")
        ctx.emit(
            RESULT_TYPE,
            {
                "title": title_of(markdown, prompt),
                "markdown": markdown,
                "citations": [c.to_json() for c in unique.values()],
                "citationsSource": source,
                "mode": checkpoint.get("mode", "streaming"),
                "note": checkpoint.get("note"),
                "responseId": checkpoint.get("response"),
                "polls": checkpoint.get("polls", 0),
                "polledAt": checkpoint.get("polled_at"),
                "seconds": round(time.time() - began, 1) if began else None,
            },
            "outline",
        )
        return N_("Done.")

    def on_cancel(self, ctx: JobContext) -> None:
        """A cancelled background response is cancelled at the provider: it stops billing."""
        response = ctx.checkpoint.get("response")
        if response:
            self._api(ctx).cancel(Handle(response, ctx.checkpoint.get("created_at", 0.0)))


RESEARCH = Research()
