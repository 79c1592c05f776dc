"""Loops the kinds share, written against the job context.

- `stream_items`: the model writes a JSON list of similar items (ideas, questions …); each is
  stored as it completes, a repeat is skipped, a retry asks only for the rest.
- `stream_document`: the model writes one JSON object of typed sections (an outline); each
  section is stored as it completes, and each element of its list members too.

Both read the answer liberally (a bare array, an object around it, a ``` fence, prose) and
incrementally (a flush costs the same at the end of a long answer as at its start)."""

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from app.i18n import N_
from app.jobs.context import JobContext
from app.jobs.kinds import OutputError
from app.jobs.outcomes import Retryable
from app.llm.reading import JsonScanner, Path, items_of

Clean = Callable[[Any], dict[str, Any] | None]


def item_key(item: dict[str, Any]) -> str:
    """The same item written twice (by a retry, a takeover) has the same key."""
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False)
    return "item:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def stream_items(
    ctx: JobContext,
    messages: list[dict[str, str]],
    *,
    item_type: str,
    target: int,
    clean: Clean,
    temperature: float = 0.9,
) -> str:
    """Stream a list of `target` items; the final message key. What earlier attempts stored
    counts: the caller's prompt asks only for the rest (`ctx.results`)."""
    if len(ctx.results) >= target:  # an earlier attempt wrote everything
        return N_("Done.")
    scanner = JsonScanner()

    def take(text: str) -> None:
        added = False
        for path, value in scanner.feed(text):
            item = clean(value) if items_of(path, value) else None
            if item is None or item in ctx.results or len(ctx.results) >= target:
                continue
            added = ctx.emit(item_type, item, item_key(item)) or added
        if added:
            ctx.progress(len(ctx.results), target)

    answer = ctx.stream(messages, take, temperature=temperature, json_output=True)
    if answer.finish_reason == "length" and len(ctx.results) < target:
        # What was complete is kept; the next attempt asks for the rest.
        raise Retryable(N_("The model's answer was cut off (length limit)."), "cut_off")
    if not ctx.results:
        raise OutputError(N_("The model's answer contained no usable results."))
    if len(ctx.results) < target:
        return N_("Done: the model wrote fewer than asked.")
    return N_("Done.")


def stream_document(
    ctx: JobContext,
    messages: list[dict[str, str]],
    *,
    sections: Mapping[str, str],
    lists: Mapping[str, str] = {},  # noqa: B006 - read only
    counted: str | None = None,
    total: int | None = None,
    clean: Callable[[str, Any], Any] = lambda _name, value: value,
    temperature: float = 0.7,
) -> dict[str, Any]:
    """Stream one JSON object. Each top-level member named in `sections` is stored (as that
    artifact type) when it completes; each element of a member named in `lists` is stored (as
    that type) when it completes. Progress counts the elements of the `counted` list against
    `total`. Returns the document's sections as they were read."""
    scanner = JsonScanner()
    document: dict[str, Any] = {}
    counts: dict[str, int] = {}

    def take(text: str) -> None:
        for path, value in scanner.feed(text):
            _store(ctx, path, value, sections, lists, clean, document, counts)
        if counted and counted in counts:
            ctx.progress(counts[counted], total)

    answer = ctx.stream(messages, take, temperature=temperature, json_output=True)
    if answer.finish_reason == "length":
        raise Retryable(N_("The model's answer was cut off (length limit)."), "cut_off")
    if not document:
        raise OutputError(N_("The model's answer contained no usable results."))
    return document


def _store(
    ctx: JobContext,
    path: Path,
    value: Any,
    sections: Mapping[str, str],
    lists: Mapping[str, str],
    clean: Callable[[str, Any], Any],
    document: dict[str, Any],
    counts: dict[str, int],
) -> None:
    if len(path) == 1 and path[0] in sections:
        name = str(path[0])
        cleaned = clean(name, value)
        if cleaned is not None:
            document[name] = cleaned
            ctx.emit(sections[name], {"section": name, "value": cleaned}, f"section:{name}")
    elif len(path) == 2 and path[0] in lists and isinstance(path[1], int):
        name = str(path[0])
        cleaned = clean(name, value)
        if cleaned is not None:
            counts[name] = counts.get(name, 0) + 1
            ctx.emit(lists[name], cleaned, f"{name}:{path[1]}")
