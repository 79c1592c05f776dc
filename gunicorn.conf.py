"""gunicorn settings read by the Procfile's web process (gunicorn loads this file itself)."""

worker_class = "gevent"
graceful_timeout = 20
accesslog = None  # the app logs each request itself (app/logs.py), without query strings
# gunicorn's runtime control socket defaults to one path per machine user, which several
# gunicorns on one machine would share; nothing here uses it.
control_socket_disable = True


def on_starting(server: object) -> None:
    """The app's logging (text, or JSON with LOG_FORMAT=json), inherited by every worker;
    the shared figures' directory made empty (PROMETHEUS_MULTIPROC_DIR)."""
    from app.config import prepare_metrics_directory
    from app.logs import configure

    configure()
    prepare_metrics_directory()


def post_worker_init(worker: object) -> None:
    """Once the app is loaded, its modules, templates and caches are set aside from the
    garbage collector: a full collection then walks only what requests and streams made
    (with a thousand streams open, pauses of about 100 ms became a few ms — bench/fanout.py).
    When a worker is told to stop, end its open streams with a reconnect hint at once
    (rather than after graceful_timeout), so browsers resume on another process."""
    import gc

    import gevent

    gc.collect()
    gc.freeze()

    def watch() -> None:
        while worker.alive:  # type: ignore[attr-defined]
            gevent.sleep(0.5)
        from app.live.hub import shutdown_all

        shutdown_all()

    gevent.spawn(watch)


def child_exit(server: object, worker: object) -> None:
    """With PROMETHEUS_MULTIPROC_DIR: a stopped process's open streams stop counting."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
