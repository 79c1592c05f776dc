"""The generic job API."""

from typing import Any

from app.api import api, api_user
from app.jobs.access import job_for
from app.jobs.state import load_state


@api.get("/jobs/<int:job_id>")
def job_state(job_id: int) -> dict[str, Any]:
    """A job's state, params, results and the current attempt's chunks."""
    state = load_state(job_for(api_user().id, job_id))
    return {
        **state.to_json(),
        "params": state.params,
        "results": state.results,
        "chunks": [{"seq": c.seq, "text": c.text} for c in state.chunks],
    }
