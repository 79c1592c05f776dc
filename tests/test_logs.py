"""Logs: one line per request (method, the route's template, status, duration — never the
query string), JSON with LOG_FORMAT=json, and every record carrying its request or its job."""

import io
import json
import logging

import pytest

from app.logs import configure, job_context


@pytest.fixture
def captured(monkeypatch):
    """The process's logging configured as the servers do, into a buffer; restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()

    def start(format_: str = "json") -> io.StringIO:
        monkeypatch.setenv("LOG_FORMAT", format_)
        configure("INFO", stream=buffer)
        return buffer

    yield start
    root.handlers[:], level = saved
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line]


def test_each_request_is_one_json_line_with_its_route_and_never_its_query(
    client, auth, make_user, captured
):
    mei = make_user("mei")
    auth.login(mei)
    buffer = captured("json")
    answer = client.get("/projects/?secret=hunter2")
    assert answer.status_code == 200
    found = [line for line in lines(buffer) if line["logger"] == "app.requests"]
    assert len(found) == 1
    line = found[0]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/projects/", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["time"]
    assert line["request_id"] == answer.headers["X-Request-ID"] and line["user_id"] == mei.id
    assert "hunter2" not in buffer.getvalue()

    client.get(f"/projects/{10**6}", headers={"X-Request-ID": "lb-1234"})  # a 404: a template
    last = lines(buffer)[-1]
    assert (last["path"], last["status"], last["request_id"]) == (
        "/projects/<id:project_id>",
        404,
        "lb-1234",
    )
    bad = client.get("/healthz", headers={"X-Request-ID": "a b\u00e9"}).headers["X-Request-ID"]
    assert bad != "a b\u00e9" and len(bad) == 32


def test_a_jobs_records_say_which_job_and_attempt(captured):
    buffer = captured("json")
    with job_context(7, 2, "scripts"):
        logging.getLogger("app.jobs.runner").warning("the model stalled")
    logging.getLogger("app.jobs.runner").warning("between jobs")
    inside, outside = lines(buffer)
    assert (inside["job_id"], inside["attempt"], inside["kind"]) == (7, 2, "scripts")
    assert inside["message"] == "the model stalled"
    assert outside["job_id"] is None and outside["request_id"] is None


def test_text_is_the_default_format(client, captured):
    buffer = captured("")
    client.get("/healthz")
    assert buffer.getvalue().startswith("INFO app.requests: GET /healthz 200 ")
