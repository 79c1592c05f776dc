"""A stream client's position: a change of state that comes before (or instead of) the chunk it
points at makes the client read that chunk from the database, never skip it."""

from factories import make_project, start_job

from app.extensions import db
from app.jobs.models import Transform, TransformChunk
from app.live.cursor import Cursor
from app.live.feed import Feed
from app.live.hub import Delta


def test_a_state_delta_ahead_of_its_chunk_brings_the_chunk_and_the_chunk_is_not_repeated(
    app, make_user
):
    mei = make_user("mei")
    job_id = start_job(
        app, "echo", make_project(app, mei.id), mei.id, {"prompt": "p"}, launch=False
    )
    with app.app_context():
        job = db.session.get(Transform, job_id)
        job.status, job.attempt, job.last_seq = "running", 1, 4
        db.session.add_all(
            TransformChunk(transform_id=job_id, attempt=1, seq=n, text=t)
            for n, t in enumerate("abcd", 1)
        )
        db.session.commit()

        def delta(seq: int, text: str, state: bool) -> Delta:
            return Delta("c", job_id, 1, seq, text, state, "running")

        feed = Feed(job_id, Cursor(1, 3))  # this client has "abc"
        update = feed.apply(delta(4, "", True))  # e.g. the sweeper's, before the worker's chunk
        assert update is not None and [c.text for c in update.chunks] == ["d"]
        assert feed.cursor == Cursor(1, 4)
        late = feed.apply(delta(4, "d", False))  # the chunk's own delta, late: no repeat
        assert late is None or late.chunks == []
        assert feed.apply(delta(4, "", True)).chunks == []  # a state change at the same place
