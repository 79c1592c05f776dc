"""The job machinery's own tests, on the test-only `echo` kind (tests/echo.py), so that they do
not depend on brainstorm: claim and flush, liberal reading, JSON mode, the record of every
model call, fencing, retries, ask, park, the sweeper, compaction and the queue classes.

Jobs are started the real way (tests/factories.py) and run by the live server's real worker
processes against the fake provider: an echo prompt carries `[[script:NAME]]` and asks for a
JSON list of {"text": …} items. What is checked is what a user or the API would notice: the
job through `GET /api/jobs/<id>`, its rows in the database, its SSE stream."""

import json
import re
import signal
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cluster import Store, StreamClient
from conftest import Server
from factories import answer_job, start_echo
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, update
from support import (
    ROOT,
    Account,
    Process,
    Provider,
    busy_slots,
    create_account,
    python,
    queue_of_its_own,
    slots_by_class,
    wait_for,
    workers_reporting,
)

from app import create_app
from app.artifacts.models import Artifact, TransformOutput
from app.clock import utcnow
from app.extensions import db, get_redis
from app.jobs import lifecycle, sweeper
from app.jobs.models import LlmPrompt, LlmTransform, Transform, TransformChunk
from app.jobs.queue import QUEUE_NAMES, queued

ITEMS = ["one", "two", "three"]
BARE = json.dumps([{"text": text} for text in ITEMS])  # [{"text": "one"}, {"text": "two"}, …]
FINAL = ("completed", "failed", "cancelled")
FENCED = "Stopped: the job was cancelled or taken over."
TWO_ITEMS = BARE.index('"two"}') + len('"two"}, ')  # where a stream of BARE has two items whole
OpenStream = Callable[[int], StreamClient]


class Records(Store):
    """The job's rows, read in a fresh session each time (no stale reads)."""

    def calls(self, job_id: int) -> list[dict[str, Any]]:
        table = LlmTransform.__table__
        return self._read(
            select(table)
            .where(table.c.transform_id == job_id)
            .order_by(table.c.attempt, table.c.call)
        )

    def prompts(self, job_id: int) -> list[dict[str, Any]]:
        table = LlmPrompt.__table__
        return self._read(
            select(table)
            .where(table.c.transform_id == job_id)
            .order_by(table.c.attempt, table.c.call)
        )

    def outputs(self, job_id: int, role: str) -> list[dict[str, Any]]:
        return self._read(
            select(Artifact.type, Artifact.data, TransformOutput.attempt, TransformOutput.position)
            .join(TransformOutput, TransformOutput.artifact_id == Artifact.id)
            .where(TransformOutput.transform_id == job_id, TransformOutput.role == role)
            .order_by(TransformOutput.position)
        )

    def artifacts(self, project_id: int, type_: str) -> list[dict[str, Any]]:
        return self._read(
            select(Artifact.data).where(Artifact.project_id == project_id, Artifact.type == type_)
        )

    def all_chunks(self, job_id: int) -> list[dict[str, Any]]:
        table = TransformChunk.__table__
        return self._read(select(table).where(table.c.transform_id == job_id))


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def store(app: Flask) -> Records:
    return Records(app)


@pytest.fixture
def writer(make_user: Callable[..., Account]) -> Account:
    return make_user()


@pytest.fixture
def http(app: Flask, api: Callable[[Account], httpx2.Client], writer: Account) -> httpx2.Client:
    """The writer's JSON API client, against the live server, once its workers take jobs."""
    wait_for(lambda: workers_reporting(app) >= 2, timeout=90)
    return api(writer)


@pytest.fixture
def streams(server: Server, writer: Account) -> Iterator[OpenStream]:
    """Open the writer's JSON stream of a job (/api/streaming/transform/<id>), on a thread."""
    clients: list[StreamClient] = []

    def open_stream(job_id: int) -> StreamClient:
        clients.append(StreamClient(server.url, writer.bearer, job_id))
        return clients[-1]

    yield open_stream
    for client in clients:
        client.close()


# ----------------------------------------------------------------------------- reading


def state(http: httpx2.Client, job_id: int) -> dict[str, Any]:
    response = http.get(f"/api/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()


def final(http: httpx2.Client, job_id: int, timeout: float = 30) -> dict[str, Any]:
    return wait_for(lambda: (job := state(http, job_id))["status"] in FINAL and job, timeout)


def outcome(job: dict[str, Any]) -> tuple[str, int, int]:
    """How a job ended: its status, the attempt it ended on, the retries it spent."""
    return job["status"], job["attempt"], job["retryCount"]


def texts(job: dict[str, Any]) -> list[str]:
    return [result["text"] for result in job["results"]]


def raw(job: dict[str, Any]) -> str:
    """The current attempt's streamed text, as the API shows it."""
    return "".join(chunk["text"] for chunk in job["chunks"])


def saw_status(stream: StreamClient, status: str) -> bool:
    return any(r.event == "status" and r.data.get("status") == status for r in stream.received)


# ----------------------------------------------------------------------------- claim and flush


def test_a_job_streams_in_flushes_and_completes_with_its_items_in_order(
    app: Flask,
    http: httpx2.Client,
    writer: Account,
    provider: Provider,
    store: Records,
    streams: OpenStream,
) -> None:
    provider.script("flush", BARE, token_chars=3, delay_ms=5, pause_at=0)
    job_id = start_echo(app, writer.id, "flush", count=3)
    store.wait_status(job_id, "running")  # claimed, waiting for the model's first token
    stream = streams(job_id)
    provider.release("flush")

    assert stream.wait_done() == {"status": "completed"}
    job = state(http, job_id)
    assert outcome(job) == ("completed", 1, 0) and job["error"] is None
    assert texts(job) == ITEMS
    row = store.job(job_id)
    assert (row["progress_done"], row["progress_total"], row["progress"]) == (3, 3, 100)
    assert row["error_code"] is None and row["lease_owner"] is None and row["lease_epoch"] == 1
    # Each flush is one chunk row, numbered from 1; together they are the call's raw response.
    chunks = store.chunks(job_id, 1)
    assert len(chunks) > 1 and [c["seq"] for c in chunks] == list(range(1, len(chunks) + 1))
    assert row["last_seq"] == len(chunks)
    (call,) = store.calls(job_id)
    assert "".join(c["text"] for c in chunks) == call["raw_response"] == raw(job) == BARE
    # A client of the stream saw the same text, in order, without a gap or a repeat.
    assert stream.text == BARE and stream.anomalies == []
    assert [r["position"] for r in store.outputs(job_id, "result")] == [0, 1, 2]


# ----------------------------------------------------------------------------- reading liberally

FENCE_SPLIT = [
    "Here they are:\n`",
    "``js",
    'on\n[{"text": "o',
    'ne"}, {"te',
    'xt": "two"}, {"text": "thr',
    'ee"}]\n`',
    "``\n",
]
ANSWERS: dict[str, dict[str, Any]] = {
    "a bare array": {"content": BARE},
    "an object around the list": {"content": json.dumps({"items": json.loads(BARE)}, indent=2)},
    "a fence": {"content": f"```json\n{BARE}\n```"},
    "prose before and after": {
        "content": f"Sure! Three items (as asked):\n\n{BARE}\n\nWant [more]? Just ask.",
        "token_chars": 1,
    },
    "a fence split across stream chunks": {"content": "", "tokens": FENCE_SPLIT, "delay_ms": 20},
}


def test_the_answer_is_read_liberally(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider
) -> None:
    """Each form of answer, through the real openai client, gives the same items (the jobs
    run side by side)."""
    scripts = {f"liberal{n}": form for n, form in enumerate(ANSWERS)}
    tokens = {name: provider.script(name, **ANSWERS[form]) for name, form in scripts.items()}
    jobs = {name: start_echo(app, writer.id, name, count=3) for name in scripts}
    for name, form in scripts.items():
        job = final(http, jobs[name])
        assert (job["status"], job["attempt"], texts(job)) == ("completed", 1, ITEMS), form
        assert raw(job) == "".join(tokens[name]), form  # kept as the model wrote it
        # One SSE event per token from the provider: the split fence reached the worker split.
        assert [s["token"] for s in provider.sent(name)] == tokens[name], form


def test_what_no_database_stores_is_read_as_a_replacement_character(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    """A NUL or a lone surrogate from the model, raw in its text or escaped in its JSON, fails
    neither the job nor the jobs whose flushes share its transaction: it is stored as U+FFFD."""
    # Escaped in its JSON: json.dumps writes "o\\u0000ne" and "t\\ud800wo".
    hostile = json.dumps([{"text": "o\x00ne"}, {"text": "t\ud800wo"}, {"text": "three"}])
    content = "\x00" + hostile + "\ud83d"  # raw: a NUL before, a lone surrogate after
    provider.script("hostile", content, token_chars=4, delay_ms=5)
    provider.script("neighbour", BARE, token_chars=4, delay_ms=5)
    jobs = [start_echo(app, writer.id, name, count=3) for name in ("hostile", "neighbour")]
    hostile_job, neighbour = (final(http, job_id) for job_id in jobs)
    assert neighbour["status"] == "completed" and texts(neighbour) == ITEMS
    assert hostile_job["status"] == "completed", hostile_job["error"]
    assert texts(hostile_job) == ["o\ufffdne", "t\ufffdwo", "three"]
    assert raw(hostile_job) == "\ufffd" + hostile + "\ufffd"
    (call,) = store.calls(jobs[0])
    assert call["raw_response"] == raw(hostile_job)


# ----------------------------------------------------------------------------- JSON mode


def test_the_model_is_asked_for_json(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider
) -> None:
    provider.script("jsonmode", BARE)
    job = final(http, start_echo(app, writer.id, "jsonmode"))
    assert job["status"] == "completed"
    (request,) = provider.requests("jsonmode")
    body = request["body"]
    assert body["response_format"] == {"type": "json_object"}
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["model"] == "fake-model"


@pytest.fixture
def own_queue(app: Flask, settings: dict[str, str]) -> Iterator[Flask]:
    """The app, queueing on a Redis database that none of the live server's workers reads."""
    own = create_app({"TESTING": True, "REDIS_URL": queue_of_its_own(settings["REDIS_URL"])})

    def clear_queues() -> None:
        with own.app_context():
            get_redis().delete(*(f"rq:queue:{name}" for name in QUEUE_NAMES.values()))

    clear_queues()
    yield own
    clear_queues()
    with own.app_context():
        db.engine.dispose()


@pytest.fixture
def own_worker(own_queue: Flask, settings: dict[str, str], provider: Provider) -> Iterator[Flask]:
    """A worker process of this test's own, taking what `own_queue` queues: what a worker
    process learns about the endpoint ("it has no JSON mode") it keeps for its life, so it
    must not be one of the live server's."""
    provider.reset()
    env = {**settings, "REDIS_URL": own_queue.config["REDIS_URL"]}
    worker = Process(python("worker.py"), env, " ready: ", timeout=60)
    yield own_queue
    worker.stop(signal.SIGKILL)  # its job has ended: nothing to hand back


def test_without_json_mode_the_model_is_asked_again_without_it(
    own_worker: Flask, writer: Account, provider: Provider, store: Records
) -> None:
    provider.script("nojson", BARE, refuse_json_mode=True)
    job_id = start_echo(own_worker, writer.id, "nojson")
    job = store.wait_status(job_id, *FINAL)
    assert (job["status"], job["attempt"], job["retry_count"]) == ("completed", 1, 0)
    assert [r["text"] for r in store.results(job_id)] == ITEMS
    refused, accepted = provider.requests("nojson")
    assert refused["body"]["response_format"] == {"type": "json_object"}
    assert "response_format" not in accepted["body"]
    assert accepted["body"]["messages"] == refused["body"]["messages"]
    (call,) = store.calls(job_id)  # one model call of the job, whatever it took to make it
    assert call["error"] is None and call["raw_response"] == BARE


# ----------------------------------------------------------------------------- the record


def test_every_model_call_is_recorded(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    provider.script("record", BARE, usage={"prompt_tokens": 21, "completion_tokens": 9})
    job_id = start_echo(app, writer.id, "record")
    assert final(http, job_id)["status"] == "completed"
    (request,) = provider.requests("record")
    (prompt,) = store.prompts(job_id)
    (call,) = store.calls(job_id)
    assert (prompt["attempt"], prompt["call"]) == (call["attempt"], call["call"]) == (1, 1)
    assert prompt["messages"] == request["body"]["messages"]
    assert "[[script:record]]" in prompt["messages"][-1]["content"]
    assert call["model"] == "fake-model"
    assert call["parameters"] == {"temperature": 0.9, "json_output": True}
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", call["response_id"])  # the provider's id
    assert call["started_at"] <= call["first_token_at"] <= call["finished_at"]
    usage = (call["prompt_tokens"], call["completion_tokens"], call["total_tokens"])
    assert usage == (21, 9, 30)
    assert (call["finish_reason"], call["error"], call["first_seq"]) == ("stop", None, 1)


# ----------------------------------------------------------------------------- fencing


def test_after_a_cancel_the_attempt_writes_nothing_more(
    app: Flask,
    http: httpx2.Client,
    writer: Account,
    provider: Provider,
    store: Records,
    streams: OpenStream,
) -> None:
    tokens = provider.script("fence", BARE, token_chars=4, pause_at=6)
    job_id = start_echo(app, writer.id, "fence")
    written = "".join(tokens[:6])  # '[{"text": "one"}, {"text"': one item whole
    wait_for(lambda: raw(state(http, job_id)) == written)
    stream = streams(job_id)
    response = http.post(f"/api/jobs/{job_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    provider.release("fence")  # the model goes on: what it sends now is no longer the job's

    (call,) = wait_for(lambda: (c := store.calls(job_id)) and c[0]["finished_at"] and c)
    wait_for(lambda: busy_slots(app) == 0)
    assert call["error"] == FENCED
    job = state(http, job_id)
    assert job["status"] == "cancelled" and raw(job) == written == call["raw_response"]
    assert texts(job) == ["one"] and store.job(job_id)["last_seq"] == len(store.chunks(job_id, 1))
    assert stream.wait_done() == {"status": "cancelled"} and stream.text == written


# ----------------------------------------------------------------------------- retries


def test_a_server_error_is_retried_as_a_new_attempt(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    provider.script("e500", BARE, fault={"kind": "status", "status": 500}, times=1)
    job_id = start_echo(app, writer.id, "e500")
    # The retry is due within a fraction of a second in the tests: look often.
    retrying = wait_for(lambda: (j := store.job(job_id))["status"] == "retrying" and j, every=0.01)
    assert (retrying["error_code"], retrying["retry_count"]) == ("server_error", 1)
    # The job keeps a message key and its parameters; the attempt's record, the English text.
    assert retrying["error"] % retrying["error_params"] == "The model's server failed (HTTP 500)."
    assert retrying["next_attempt_at"] is not None

    job = final(http, job_id)
    assert outcome(job) == ("completed", 2, 1) and job["error"] is None
    assert store.job(job_id)["error_code"] is None and texts(job) == ITEMS
    first, second = store.calls(job_id)
    assert [(c["attempt"], c["call"]) for c in (first, second)] == [(1, 1), (2, 1)]
    assert "HTTP 500" in first["error"] and first["first_token_at"] is None
    assert second["error"] is None and second["raw_response"] == raw(job) == BARE
    # Nothing was stored by attempt 1, so attempt 2 asks for everything again.
    asked = [r["body"]["messages"][-1]["content"] for r in provider.requests("e500")]
    assert len(asked) == 2 and all(a.endswith("Write 3 items.") for a in asked)


def dropped_then_completed(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, name: str
) -> int:
    """An echo job whose first stream breaks off after two whole items; retried, it completes."""
    fault = {"kind": "drop", "after": TWO_ITEMS}
    provider.script(name, BARE, token_chars=1, fault=fault, times=1)
    job_id = start_echo(app, writer.id, name, count=3)
    job = final(http, job_id)
    assert outcome(job) == ("completed", 2, 1)
    return job_id


def test_a_retry_asks_only_for_the_missing_items_and_stores_none_twice(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    job_id = dropped_then_completed(app, http, writer, provider, "drop")
    first, second = [r["body"]["messages"][-1]["content"] for r in provider.requests("drop")]
    assert first.endswith("Write 3 items.")
    assert second.endswith("Write 1 items. Not these again: ['one', 'two']")
    # The model wrote all three again; the two it repeated were skipped.
    assert texts(state(http, job_id)) == ITEMS
    outputs = store.outputs(job_id, "result")
    assert [(o["data"]["text"], o["attempt"]) for o in outputs] == [
        ("one", 1),
        ("two", 1),
        ("three", 2),
    ]
    stored = store.artifacts(store.job(job_id)["project_id"], "echo_item")
    assert sorted(a["data"]["text"] for a in stored) == sorted(ITEMS)
    calls = store.calls(job_id)
    assert "broke off" in calls[0]["error"] and calls[0]["raw_response"] == BARE[:TWO_ITEMS]


def test_a_permanent_error_fails_the_job_after_one_request(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    provider.script("e401", BARE, fault={"kind": "status", "status": 401})
    job = final(http, start_echo(app, writer.id, "e401"))
    assert outcome(job) == ("failed", 1, 0)
    assert "LLM_API_KEY" in job["error"] and job["results"] == []
    assert store.job(job["id"])["error_code"] == "auth"
    assert len(provider.requests("e401")) == 1


# ----------------------------------------------------------------------------- ask and park


def test_a_job_that_asks_waits_without_a_slot_then_continues_its_attempt(
    app: Flask,
    http: httpx2.Client,
    writer: Account,
    provider: Provider,
    store: Records,
    streams: OpenStream,
) -> None:
    provider.script("ask", BARE, token_chars=4)
    job_id = start_echo(app, writer.id, "ask", count=3, ask=True)
    stream = streams(job_id)
    wait_for(lambda: saw_status(stream, "needs_input"))
    resets = stream.resets  # the stream stays open while the job waits

    wait_for(lambda: busy_slots(app) == 0)  # it holds no worker slot
    waiting = store.job(job_id)
    assert (waiting["status"], waiting["attempt"]) == ("needs_input", 1)
    assert waiting["lease_owner"] is None and waiting["checkpoint"] == {"asked": True}
    (questions,) = store.outputs(job_id, "questions")
    assert questions["type"] == "questions"
    assert questions["data"] == {"questions": [{"question": "Which one?"}]}
    assert provider.requests("ask") == [] and store.calls(job_id) == []

    assert answer_job(app, job_id, {"answers": ["This one."]})
    assert stream.wait_done() == {"status": "completed"}
    job = state(http, job_id)
    # The same attempt (it had a checkpoint), its text starting where it was: no reset.
    assert outcome(job) == ("completed", 1, 0)
    assert texts(job) == ITEMS and raw(job) == BARE
    chunks = store.chunks(job_id, 1)
    assert [c["seq"] for c in chunks] == list(range(1, len(chunks) + 1))
    assert stream.resets == resets and stream.anomalies == [] and stream.text == BARE
    assert not answer_job(app, job_id, {"answers": ["Again."]})  # it waits for nothing now


def test_a_parked_job_holds_no_slot_and_wakes_without_spending_a_retry(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    provider.script("park", BARE)
    job_id = start_echo(app, writer.id, "park", park_seconds=2)
    parked = wait_for(
        lambda: (j := store.job(job_id))["attempt"] == 1 and j["status"] == "pending" and j
    )
    # Due when it parked itself, two seconds on; nothing queued for it meanwhile.
    assert parked["next_attempt_at"] - parked["updated_at"] > timedelta(seconds=1)
    assert parked["lease_owner"] is None and parked["checkpoint"] == {"parked": True}
    with app.app_context():
        assert not queued(db.session.get(Transform, job_id))
        db.session.remove()
    wait_for(lambda: busy_slots(app) == 0)
    assert provider.requests("park") == []

    job = final(http, job_id)  # the sweeper queued it when due
    assert outcome(job) == ("completed", 1, 0)
    assert texts(job) == ITEMS and len(provider.requests("park")) == 1


@pytest.fixture
def own_database(
    app: Flask, settings: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app on a database and a Redis database of this test's own: no live worker or
    sweeper sees its jobs, so they stay as the test leaves them."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'own.db'}")
    monkeypatch.setenv("REDIS_URL", queue_of_its_own(settings["REDIS_URL"]))
    own = create_app({"TESTING": True})
    with own.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        get_redis().flushdb()  # queues and job entries of earlier runs
    yield own
    with own.app_context():
        get_redis().flushdb()
        db.engine.dispose()


def test_the_sweeper_queues_a_parked_job_as_soon_as_it_is_due(own_database: Flask) -> None:
    account = create_account(own_database, "parker")
    job_id = start_echo(own_database, account.id, "due", park_seconds=2, launch=False)
    with own_database.app_context():
        now = utcnow()
        # What an attempt that parked itself for 2 s, 2.1 s ago, left (lifecycle.parked and its
        # checkpoint, in its last fenced write): it is due now.
        parked_at = now - timedelta(seconds=2.1)
        values = lifecycle.parked(parked_at + timedelta(seconds=2), "Waiting…", None)
        db.session.execute(
            update(Transform)
            .where(Transform.id == job_id)
            .values(attempt=1, lease_epoch=1, checkpoint={"parked": True}, updated_at=parked_at)
            .values(**values)
        )
        db.session.commit()
        assert sweeper.enqueue_waiting() == 1
        assert queued(db.session.get(Transform, job_id))
        db.session.remove()


# ----------------------------------------------------------------------------- the sweeper


def test_the_sweeper_queues_a_pending_job_whose_queue_entry_was_lost(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider
) -> None:
    provider.script("lost", BARE)
    # Recorded and committed, never queued: what a crash between the commit and the enqueue,
    # or a Redis that lost its queue, leaves.
    job_id = start_echo(app, writer.id, "lost", launch=False)
    with app.app_context():
        assert not queued(db.session.get(Transform, job_id))
        # The sweeper leaves a new job to the web process for a few seconds (ENQUEUE_GRACE).
        db.session.execute(
            update(Transform)
            .where(Transform.id == job_id)
            .values(updated_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        db.session.remove()
    job = final(http, job_id)
    assert outcome(job) == ("completed", 1, 0)
    assert texts(job) == ITEMS


def test_compaction_folds_each_calls_chunks_and_the_job_reads_the_same(
    app: Flask, http: httpx2.Client, writer: Account, provider: Provider, store: Records
) -> None:
    job_id = dropped_then_completed(app, http, writer, provider, "compact")
    before = state(http, job_id)
    texts_by_attempt = ["".join(c["text"] for c in store.chunks(job_id, a)) for a in (1, 2)]
    assert texts_by_attempt[1] == BARE and BARE.startswith(texts_by_attempt[0])
    # A worker that died mid-call never recorded its raw response: compaction must fold it.
    with app.app_context():
        db.session.execute(
            update(LlmTransform)
            .where(LlmTransform.transform_id == job_id)
            .values(raw_response=None)
        )
        db.session.commit()
        db.session.remove()

    result = app.test_cli_runner().invoke(args=["jobs", "compact", "--hours", "0"])
    assert result.exit_code == 0 and "compacted 1 jobs" in result.output, result.output
    assert store.all_chunks(job_id) == []
    assert [c["raw_response"] for c in store.calls(job_id)] == texts_by_attempt
    after = state(http, job_id)
    assert raw(after) == raw(before) == BARE
    assert after["results"] == before["results"] and after["cursor"] == before["cursor"]


# ----------------------------------------------------------------------------- queue classes


def test_a_short_job_runs_while_every_long_slot_is_taken(
    app: Flask,
    http: httpx2.Client,
    writer: Account,
    provider: Provider,
    store: Records,
) -> None:
    long_slots = app.config["LONG_JOB_CONCURRENCY"] * 2  # the live server runs 2 workers
    # Long jobs that keep streaming slowly hold their slots for as long as the test needs (a
    # paused stream would count as stalled after STALL_SECONDS).
    provider.script("slow", BARE, token_chars=1, delay_ms=500)
    provider.script("quick", BARE)
    long_jobs = [
        start_echo(app, writer.id, "slow", kind="echo_long", project=f"Long {n}")
        for n in range(long_slots + 1)
    ]

    def statuses() -> list[str]:
        return sorted(store.job(job_id)["status"] for job_id in long_jobs)

    try:
        wait_for(lambda: statuses() == ["pending"] + ["running"] * long_slots)
        wait_for(lambda: slots_by_class(app)["long"] == long_slots)

        short = final(http, start_echo(app, writer.id, "quick"))
        assert (short["status"], texts(short)) == ("completed", ITEMS)
        assert statuses() == ["pending"] + ["running"] * long_slots
        (waiting,) = [store.job(j) for j in long_jobs if store.job(j)["status"] == "pending"]
        assert waiting["attempt"] == 0  # never claimed: it waits for a long slot
    finally:
        for job_id in long_jobs:
            http.post(f"/api/jobs/{job_id}/cancel")
