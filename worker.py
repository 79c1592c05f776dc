"""An RQ worker for transforms, with its sweeper beside it.

Never imports gevent; touches no database before RQ forks a work horse (the sweeper runs in
its own process for that reason: a thread would be copied mid-work into every fork).
"""

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from rq import Worker
from rq.serializers import JSONSerializer

from app import create_app
from app.jobs.queue import transforms_queue


class TransformWorker(Worker):
    """On SIGTERM (a deploy), tell the work horse too: it hands its job back at the next
    flush instead of being killed mid-stream when the platform loses patience."""

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.horse_pid:
            try:
                os.kill(self.horse_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        super().request_stop(signum, frame)


def run_sweeper() -> None:
    """Sweep every SWEEP_SECONDS until the worker that started us goes away."""
    from app.extensions import db
    from app.jobs.sweeper import sweep

    log = logging.getLogger("sweeper")
    parent = os.getppid()
    app = create_app()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with app.app_context():
        while os.getppid() == parent:
            try:
                sweep()
            except Exception:  # noqa: BLE001 - a failed pass is logged; the next one retries
                log.exception("sweep failed")
            try:
                db.session.remove()
            except Exception:  # noqa: BLE001
                # Ending the session can fail too (a connection the server killed may refuse
                # the rollback). Uncaught, that ended this process for good while the worker
                # went on without a sweeper, and lost jobs stayed "running": drop the session
                # so the next pass starts afresh.
                log.exception("could not end the sweep's session")
                db.session.registry.clear()
            time.sleep(app.config["SWEEP_SECONDS"])


def main() -> None:
    """Take transforms from the queue until stopped."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    if sys.argv[1:] == ["--sweeper"]:
        return run_sweeper()
    app = create_app()
    if not app.config.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is not set (python app.py starts workers with one)")
    sweeper = subprocess.Popen([sys.executable, __file__, "--sweeper"])
    try:
        # The context is inherited by each forked work horse, which opens its own connections.
        with app.app_context():
            queue = transforms_queue()
            worker = TransformWorker(
                [queue], connection=queue.connection, serializer=JSONSerializer
            )
            worker.work(with_scheduler=False, logging_level=os.environ.get("LOG_LEVEL", "INFO"))
    finally:
        sweeper.terminate()
        sweeper.wait(10)


if __name__ == "__main__":
    main()
