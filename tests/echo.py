"""A job kind for the machinery's own tests, so they do not depend on brainstorm: it asks the
model for `count` items (the prompt carries a fake-provider script marker), and on request
first asks its writer a question or parks once. Registered through EXTRA_JOB_KINDS."""

import json
from datetime import timedelta
from typing import Any

from app.clock import utcnow
from app.extensions import get_redis
from app.inputs import Inputs, Text, Whole
from app.jobs.context import JobContext
from app.jobs.kinds import JobKind
from app.jobs.recipes import stream_items


class EchoParams(Inputs):
    prompt: Text(2000)
    count: Whole = 1
    ask: bool = False  # first ask the writer a question
    park_seconds: Whole = 0  # first park this long (once)
    checkpoint: bool = False  # keep a checkpoint while streaming: a takeover continues


def clean(item: Any) -> dict[str, Any] | None:
    return item if isinstance(item, dict) and isinstance(item.get("text"), str) else None


class Echo(JobKind):
    name = "echo"
    params = EchoParams
    params_type = "echo_params"
    params_template = "jobs/_params_json.html"
    results_template = "jobs/_results_json.html"

    def label(self) -> str:
        return "Echo"

    def results_label(self) -> str:
        return "Echoes"

    def run(self, ctx: JobContext) -> str:
        if ctx.params["ask"] and "answers" not in ctx.inputs:
            ctx.save(asked=True)
            ctx.ask([{"question": "Which one?"}])
        if ctx.params["parkSeconds"] and not ctx.checkpoint.get("parked"):
            ctx.save(parked=True)
            ctx.park(utcnow() + timedelta(seconds=ctx.params["parkSeconds"]))
        if ctx.params["checkpoint"]:
            ctx.save(calls=ctx.checkpoint.get("calls", 0) + 1)
        kept = [item["text"] for item in ctx.results]
        prompt = f"{ctx.params['prompt']}\nWrite {ctx.params['count'] - len(kept)} items."
        if kept:
            prompt += f" Not these again: {kept}"
        return stream_items(
            ctx,
            [{"role": "user", "content": prompt}],
            item_type="echo_item",
            target=ctx.params["count"],
            clean=clean,
        )

    def demo(self, messages: list[dict[str, str]]) -> str:
        return '[{"text": "demo"}]'

    def on_cancel(self, ctx: JobContext) -> None:
        """What a kind with provider state does (cancel a background response): here, leave
        a mark the tests can see."""
        get_redis().set(cancelled_key(ctx.id), json.dumps(ctx.checkpoint), ex=600)


def cancelled_key(job_id: int) -> str:
    return f"echo:cancelled:{job_id}"


class EchoLong(Echo):
    """The same, in the long class: it takes a worker's long slots."""

    name = "echo_long"
    queue = "long"


ECHO, ECHO_LONG = Echo(), EchoLong()
