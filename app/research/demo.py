"""The offline demo model playing a background response: a pure function of (response id,
creation time, the instructions), so any worker can poll it, or stream it from any sequence
number, after a crash. Its events follow a clock fixed at creation: some searches first, then
the text at an even pace, each citation where its link ends, and the end at DEMO_RESEARCH_SECONDS.
Nothing is billed, so a cancel has nothing to stop."""

import threading
import time
import uuid
from collections.abc import Iterator
from functools import lru_cache

from app.llm.demo import demo_tokens
from app.research.demo_content import demo_research
from app.research.provider import Citation, Event, Events, Handle, Snapshot

SEARCHES = 4
SEARCHING = 0.4  # the share of the run spent searching before the first word


def language_of(messages: list[dict[str, str]]) -> str:
    """The research's language, as the kind states it in its instructions."""
    text = messages[-1]["content"] if messages else ""
    return "zh" if "Write in Chinese" in text else "en"


@lru_cache(maxsize=32)
def timeline(instructions: str, language: str, seconds: float) -> tuple[tuple[float, Event], ...]:
    """Every event of the response, with the second (after creation) it happens at."""
    document = demo_research(instructions, language)
    tokens = demo_tokens(document.markdown)
    events: list[tuple[float, Event]] = [(0.0, Event(0, "life"))]  # in progress
    searching = seconds * SEARCHING
    for index in range(SEARCHES):
        events.append((searching * (index + 1) / (SEARCHES + 1), Event(0, "life")))
    writing = seconds - searching
    citations = list(document.citations)
    written = 0
    for index, token in enumerate(tokens):
        at = searching + writing * (index + 1) / (len(tokens) + 1)
        events.append((at, Event(0, "text", text=token)))
        written += len(token)
        while citations and citations[0].after <= written:
            cited = citations.pop(0)
            events.append((at, Event(0, "citation", citation=Citation(cited.title, cited.url))))
    usage = {
        "prompt_tokens": len(instructions) // 2,
        "completion_tokens": len(tokens),
        "total_tokens": len(instructions) // 2 + len(tokens),
    }
    events.append((seconds, Event(0, "done", status="completed", usage=usage)))
    # Sequence numbers as the provider gives them: 0 is the response's creation.
    return tuple(
        (at, Event(seq, e.kind, e.text, e.citation, status=e.status, usage=e.usage))
        for seq, (at, e) in enumerate(events, start=1)
    )


class DemoResponses:
    """The Background protocol, offline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def create(self, messages: list[dict[str, str]], model: str) -> Events:
        handle = Handle(f"resp_demo_{uuid.uuid4().hex[:24]}", time.time())
        created = Event(0, "created", response_id=handle.id, created_at=handle.created_at)
        return self._play(handle, messages, 0, first=created)

    def resume(self, handle: Handle, messages: list[dict[str, str]], after: int) -> Events:
        return self._play(handle, messages, after)

    def _play(
        self,
        handle: Handle,
        messages: list[dict[str, str]],
        after: int,
        first: Event | None = None,
    ) -> Events:
        """The events after a sequence number, each when its time comes (a close ends the
        wait at once)."""
        closed = threading.Event()

        def events() -> Iterator[Event]:
            if first is not None:
                yield first
            for at, event in self._events(messages):
                if event.seq <= after:
                    continue
                if closed.wait(max(0.0, handle.created_at + at - time.time())):
                    return
                yield event

        return Events(events(), closed.set)

    def retrieve(self, handle: Handle, messages: list[dict[str, str]]) -> Snapshot:
        events = self._events(messages)
        if time.time() < handle.created_at + self.seconds:
            return Snapshot(handle.id, "in_progress", "", (), {})
        text = "".join(e.text for _at, e in events)
        citations = tuple(e.citation for _at, e in events if e.citation is not None)
        return Snapshot(handle.id, "completed", text, citations, dict(events[-1][1].usage))

    def cancel(self, handle: Handle) -> None:
        """Nothing runs anywhere: nothing to stop."""

    def _events(self, messages: list[dict[str, str]]) -> tuple[tuple[float, Event], ...]:
        return timeline(messages[-1]["content"], language_of(messages), self.seconds)
