"""/metrics: jobs, queues and worker slots as the database and Redis hold them, read at
scrape time; what each process did (cancels, retries, first tokens, latencies, chunks and
tokens, open streams) counted where it happened — across gunicorn's processes through
PROMETHEUS_MULTIPROC_DIR, and on a worker's own METRICS_PORT."""

import json
import shutil
import sys
from pathlib import Path

import httpx2
import pytest
from cluster import make_account
from cluster import start_echo as cluster_echo
from conftest import free_port
from factories import BRAINSTORM_PARAMS, make_project, start_job
from prometheus_client.parser import text_string_to_metric_families
from support import Process, python, wait_for

from app.extensions import db
from app.jobs.control import cancel_job
from app.jobs.models import Transform

Figures = dict[tuple[str, frozenset[tuple[str, str]]], float]


def figures(text: str) -> Figures:
    """Every sample of a scrape by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Figures, name: str, **labels: str) -> float:
    """One sample's value; 0 when the scrape has none with these labels."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


def total(scraped: Figures, name: str) -> float:
    """A sample summed over its labels (e.g. over the processes of a multi-process scrape)."""
    return sum(v for (n, _labels), v in scraped.items() if n == name)


def test_jobs_by_kind_and_state_queue_depth_and_cancels(app, client, make_user):
    writer = make_user()
    before = figures(client.get("/metrics").get_data(as_text=True))
    waiting = start_job(
        app, "brainstorm", make_project(app, writer.id, "A"), writer.id, BRAINSTORM_PARAMS
    )
    cancelled = start_job(
        app, "brainstorm", make_project(app, writer.id, "B"), writer.id, BRAINSTORM_PARAMS
    )
    with app.app_context():
        assert cancel_job(db.session.get(Transform, cancelled))
        db.session.remove()

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    scraped = figures(response.get_data(as_text=True))
    assert value(scraped, "sw_jobs", kind="brainstorm", state="pending") == 1
    assert value(scraped, "sw_jobs", kind="brainstorm", state="cancelled") == 1
    # The cancelled job left the queue; the waiting one is still in it.
    assert value(scraped, "sw_queue_depth", queue="transforms") == 1
    assert value(scraped, "sw_queue_depth", queue="transforms-long") == 0
    cancels = value(scraped, "sw_cancels_total", kind="brainstorm")
    assert cancels == value(before, "sw_cancels_total", kind="brainstorm") + 1
    assert value(scraped, "sw_oldest_waiting_seconds") >= 0
    assert value(scraped, "sw_redis_up") == 1 and value(scraped, "sw_database_up") == 1
    assert waiting != cancelled


def test_what_is_unreachable_is_said_and_the_rest_still_counts(app, settings, tmp_path):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("redis_client", None)
    scraped = figures(app.test_client().get("/metrics").get_data(as_text=True))
    assert value(scraped, "sw_redis_up") == 0 and value(scraped, "sw_database_up") == 1
    assert "sw_queue_depth" not in {name for name, _labels in scraped}
    assert value(scraped, "sw_jobs", kind="brainstorm", state="pending") == 0

    from app import create_app

    gone = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/no/such.db"})
    answer = gone.test_client().get("/metrics")
    assert answer.status_code == 200  # the process's own figures are still there
    scraped = figures(answer.get_data(as_text=True))
    assert value(scraped, "sw_database_up") == 0 and value(scraped, "sw_redis_up") == 1
    assert ("sw_redis_listener_reconnects_total", frozenset()) in scraped


def test_a_metrics_token_keeps_the_figures_to_its_bearer(app, client):
    app.config["METRICS_TOKEN"] = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    lower = client.get("/metrics", headers={"Authorization": "bearer scrape-secret"})
    assert lower.status_code == 200  # the scheme is case-insensitive, as HTTP has it
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and "sw_jobs" not in wrong.get_data(as_text=True)
    right = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert right.status_code == 200 and "sw_jobs" in right.get_data(as_text=True)


@pytest.mark.slow
def test_workers_and_gunicorn_processes_count_what_they_do(
    cluster, store, provider, tmp_path: Path
):
    # A database and a Redis of their own: the session's live server has sweepers, which
    # would queue this test's retry where its own workers take it.
    env = {**cluster.env, "LOG_LEVEL": "WARNING"}
    worker_port, web_port = free_port(), free_port()
    worker_env = {**env, "METRICS_PORT": str(worker_port), "METRICS_TOKEN": "w-secret"}
    worker = Process(python("worker.py"), worker_env, "ready")
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{web_port}"]
    shared = tmp_path / "prometheus"
    shared.mkdir()
    web = Process(
        [*gunicorn, "app:create_app()"],
        {**env, "PROMETHEUS_MULTIPROC_DIR": str(shared)},
        "Booting worker",
        timeout=60,
    )
    account = make_account(store.app)
    base = f"http://127.0.0.1:{web_port}"
    http = httpx2.Client(base_url=base, headers=account.bearer, timeout=15)
    streams: list[httpx2.Response] = []
    lines = []
    try:
        items = json.dumps([{"text": f"item {n}"} for n in range(3)])
        # The first request fails (a provider's 500): one retry, then a paused stream.
        fault = {"kind": "status", "status": 500}
        script = {"token_chars": 3, "delay_ms": 10, "pause_at": 8}
        provider.script("counted", items, fault=fault, fault_on=[0], **script)
        job_id = cluster_echo(cluster, account, {"prompt": "[[script:counted]] Echo.", "count": 3})

        def scrape() -> Figures:
            return figures(http.get("/metrics").text)

        url = f"/api/streaming/transform/{job_id}"
        for _ in range(6):  # spread over both processes by the kernel
            streams.append(http.send(http.build_request("GET", url), stream=True))
            lines.append(streams[-1].iter_lines())
            next(lines[-1])
        # Whichever process answers the scrape, it has both processes' open streams, each
        # process its own series (pid).
        wait_for(lambda: total(scrape(), "sw_open_streams") == 6)
        series = {labels for (n, labels), _v in scrape().items() if n == "sw_open_streams"}
        assert len(series) == 2 and all(dict(labels).get("pid") for labels in series)
        # Its retry holds a slot once due (the first attempt's 500 freed it a moment).
        busy = {"class": "short", "state": "busy"}
        running = wait_for(lambda: (f := scrape()) and value(f, "sw_worker_slots", **busy) and f)
        assert value(running, "sw_worker_slots", **busy) == 1
        assert value(running, "sw_workers") == 1

        provider.release("counted")
        wait_for(lambda: value(scrape(), "sw_jobs", kind="echo", state="completed") == 1)
        for stream in lines:
            for _line in stream:  # to the stream's end ("done")
                pass
        wait_for(lambda: total(scrape(), "sw_open_streams") == 0)
        done = scrape()
        assert value(done, "sw_row_to_client_seconds_count") >= 6, "chunks reached 6 streams"
        assert value(done, "sw_worker_slots", **{"class": "short", "state": "busy"}) == 0
        free = value(done, "sw_worker_slots", **{"class": "short", "state": "free"})
        assert free == int(env.get("JOB_CONCURRENCY", 16))
        assert value(done, "sw_job_attempts", kind="echo") == 2

        worker_url = f"http://127.0.0.1:{worker_port}/"
        assert httpx2.get(worker_url).status_code == 401  # the same token as the web's
        own = figures(httpx2.get(worker_url, headers={"Authorization": "Bearer w-secret"}).text)
        chunks = value(own, "sw_chunks_written_total", kind="echo")
        assert chunks >= 2, "the paused stream was written in at least two chunks"
        assert value(own, "sw_tokens_written_total", kind="echo") >= chunks
        assert value(own, "sw_time_to_first_token_seconds_count", kind="echo") == 1
        assert value(own, "sw_token_to_row_seconds_count") == chunks
        retries = {labels: v for (n, labels), v in own.items() if n == "sw_retries_total"}
        assert list(retries.values()) == [1.0]
        assert dict(next(iter(retries))) == {"kind": "echo", "error": "server_error"}
        # The web's figures are not the worker's: nothing streams there.
        assert total(own, "sw_open_streams") == 0
    finally:
        for response in streams:
            response.close()
        http.close()
        web.stop()
        worker.stop()
        shutil.rmtree(shared, ignore_errors=True)


@pytest.mark.slow
def test_app_py_and_its_workers_share_their_figures(cluster, store, provider, tmp_path):
    """`python app.py` with PROMETHEUS_MULTIPROC_DIR (not there yet, then left from an earlier
    run): the web's /metrics adds up its own figures and its worker's."""
    shared = tmp_path / "figures"
    for _run in range(2):  # the second start finds the first one's files, and empties it
        port = free_port()
        env = {**cluster.env, "PORT": str(port)}
        env |= {"WORKERS": "1", "PROMETHEUS_MULTIPROC_DIR": str(shared), "METRICS_PORT": "1"}
        server = Process(python("app.py"), {**env, "LOG_LEVEL": "WARNING"}, "is running at")
        try:
            account = make_account(store.app, f"writer{_run}")
            provider.script(f"shared{_run}", json.dumps([{"text": "one"}]), token_chars=2)
            prompt = f"[[script:shared{_run}]] Echo."
            job_id = cluster_echo(cluster, account, {"prompt": prompt, "count": 1})
            http = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=15)
            url = f"/api/streaming/transform/{job_id}"
            with http.stream("GET", url, headers=account.bearer) as stream:
                for _line in stream.iter_lines():  # to the end of the job
                    pass
            scraped = figures(http.get("/metrics").text)
            # The worker's counts, once: it writes them to the shared directory and has no
            # port of its own (METRICS_PORT would have given it port 1).
            assert value(scraped, "sw_time_to_first_token_seconds_count", kind="echo") == 1
            assert value(scraped, "sw_chunks_written_total", kind="echo") >= 1
            assert value(scraped, "sw_row_to_client_seconds_count") >= 1  # the web's own
            with pytest.raises(httpx2.ConnectError):
                httpx2.get("http://127.0.0.1:1/", timeout=2)
            http.close()
        finally:
            server.stop()
