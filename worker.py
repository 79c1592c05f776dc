"""A worker process: takes attempts of jobs from the queues and runs many at once, in threads,
with the sweeper in a thread beside them (app/jobs/worker.py).

Never imports gevent. SIGTERM (a deploy) makes every running attempt hand its job back at its
next flush, without spending a retry; then the process exits.
"""

import gc
import signal

from app import create_app
from app.logs import configure


def main() -> None:
    """Run until SIGTERM or SIGINT."""
    configure()
    from app.jobs.runner import stopping
    from app.jobs.worker import Worker, pool_size
    from app.metrics import serve_worker_metrics

    app = create_app()
    if not app.config.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is not set (python app.py starts workers with one)")
    # Each running attempt, the sweeper and this loop hold a database connection at times.
    app = create_app({"DB_POOL_SIZE": pool_size(app.config)})
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    serve_worker_metrics(app.config["METRICS_PORT"], app.config["METRICS_TOKEN"])
    gc.collect()
    gc.freeze()  # what is loaded stays: full collections walk only what attempts make
    Worker(app).work()


if __name__ == "__main__":
    main()
