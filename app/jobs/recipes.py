"""Loops the kinds share, written against the job context.

- `stream_items`: the model writes a JSON list of similar items (ideas, questions …); each is
  stored as it completes, a repeat is skipped, a retry asks only for the rest.
- `stream_document`: the model writes one JSON object of typed sections (an outline) into one
  document artifact; each section appears as it completes, each element of a list too.

Both read the answer liberally (a bare array, an object around it, a ``` fence, prose) and
incrementally (a flush costs the same at the end of a long answer as at its start)."""

import hashlib
import json
from collections.abc import Callable
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
    document: dict[str, Any],
    type: str,  # noqa: A002
    key: str,
    clean: Callable[[str, Any], Any],
    lists: frozenset[str] = frozenset(),
    on_change: Callable[[], None] = lambda: None,
    temperature: float = 0.7,
    empty_is_an_answer: bool = False,
) -> None:
    """Stream one JSON object into `document` (one artifact, put under `key`): each top-level
    member as it completes, and each element of the members named in `lists` as it
    completes (appended), so sections appear one by one. `clean(name, value)` gives what is
    kept (None: nothing). A bare array answers the one list asked for. An answer that gives
    nothing is an error, unless `empty_is_an_answer` and it is JSON (`{"issues": []}`)."""
    scanner = JsonScanner()
    changed = answered = False

    def take(text: str) -> None:
        nonlocal changed, answered
        grew = False
        for path, value in scanner.feed(text):
            if path == ():  # the whole answer: is it one of the object (or list) asked for?
                answered = answered or isinstance(value, list) or bool(lists & set(value or ()))
            name = _section(path, lists)
            if name is None:
                continue
            cleaned = clean(name, value)
            if cleaned is None:
                continue
            if len(path) == 1 and name not in lists:
                document[name] = cleaned
            elif len(path) > 1 or not isinstance(path[0], str):
                document.setdefault(name, []).append(cleaned)
            else:
                continue  # a whole list: its elements were taken one by one
            grew = True
        if grew:
            changed = True
            ctx.put(type, document, key)
            on_change()

    answer = ctx.stream(messages, take, temperature=temperature, json_output=True)
    if answer.finish_reason == "length":
        raise Retryable(N_("The model's answer was cut off (length limit)."), "cut_off")
    if not changed and not (empty_is_an_answer and answered):
        raise OutputError(N_("The model's answer contained no usable results."))


def _section(path: Path, lists: frozenset[str]) -> str | None:
    """The section a scanned value belongs to: a top-level member, an element of a list
    member, or (a bare array) an element of the only list asked for."""
    if len(path) == 1 and isinstance(path[0], str):
        return path[0]
    if len(path) == 2 and isinstance(path[0], str) and isinstance(path[1], int):
        return path[0] if path[0] in lists else None
    if len(path) == 1 and isinstance(path[0], int) and len(lists) == 1:
        return next(iter(lists))
    return None
