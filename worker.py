"""An RQ worker for transforms. Never imports gevent; touches no database before RQ forks."""

import logging
import os

from rq import Worker
from rq.serializers import JSONSerializer

from app import create_app
from app.jobs.queue import transforms_queue


def main() -> None:
    """Take transforms from the queue until stopped."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    app = create_app()
    if not app.config.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is not set (python app.py starts workers with one)")
    # The context is inherited by each forked work horse, which then opens its own connections.
    with app.app_context():
        queue = transforms_queue()
        worker = Worker([queue], connection=queue.connection, serializer=JSONSerializer)
        worker.work(with_scheduler=False, logging_level=os.environ.get("LOG_LEVEL", "INFO"))


if __name__ == "__main__":
    main()
