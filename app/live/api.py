"""The JSON stream of a job: named events chunk, status and done; it closes after done."""

import json
from typing import Any

from app.api import api, api_user
from app.extensions import db
from app.inputs import Inputs, accepts
from app.jobs.access import job_for
from app.jobs.models import FINAL
from app.jobs.state import job_json, load_state, progress_text
from app.live import cursor
from app.live.feed import Feed, Update
from app.live.streams import event_stream, follow, sse


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def render_json(update: Update) -> str:
    """The update as named JSON events, shared by every stream of the process."""
    return update.rendered(("json",), _events)


def _events(update: Update) -> str:
    out = []
    if update.reset:
        out.append(
            sse(
                _json({"reset": True, "attempt": update.cursor.attempt}),
                "status",
                str(update.cursor),
            )
        )
    for chunk in update.chunks:
        data = {"seq": chunk.seq, "attempt": chunk.attempt, "text": chunk.text}
        out.append(sse(_json(data), "chunk", chunk.cursor))
    if update.state is not None:
        t = update.state.transform
        # The job's one shape, with the event's own older fields beside it.
        status = {
            **job_json(t, update.state.project.name),
            "message": progress_text(t),
            "results": len(update.state.results),
        }
        out.append(sse(_json(status), "status", str(update.cursor)))
        if t.status in FINAL:
            out.append(sse(_json({"status": t.status}), "done", str(update.cursor)))
    return "".join(out)


def _finished(update: Update) -> bool:
    return update.state is not None and update.state.transform.status in FINAL


class JobStream(Inputs):
    after: cursor.After = None


@api.get("/streaming/transform/<id:transform_id>")
@accepts(query=JobStream)
def transform_stream(transform_id: int, query: JobStream) -> Any:
    """While the job runs, its SSE stream; once finished, its final JSON (a client resuming
    with a cursor still gets what it missed, then done)."""
    transform = job_for(api_user().id, transform_id)
    resuming = cursor.from_request(query.after) is not None
    if not transform.active and not resuming:
        state = load_state(transform, with_chunks=False)
        return {**state.to_json(), "results": state.results}
    feed, user_id = Feed(transform.id, cursor.from_request(query.after)), api_user().id
    db.session.close()
    return event_stream(follow(feed, user_id, render_json, _finished))
