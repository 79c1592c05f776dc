"""Script Writer on one machine: web server, embedded Redis and workers, all supervised.

`python app.py` (what `make run` calls). gunicorn loads `app:create_app()` instead, from
the `app/` package that shadows this script for imports.
"""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from app import create_app  # noqa: E402
from app.config import instance_path, prepare_metrics_directory  # noqa: E402

prepare_metrics_directory()  # before app.metrics is imported (below) and counts anything
from app.embedded import EmbeddedRedis  # noqa: E402
from app.live.hub import shutdown_all  # noqa: E402
from app.llm import is_demo  # noqa: E402
from app.logs import configure  # noqa: E402

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("script_writer")


class Server(WSGIServer):
    """gevent's server with Nagle off: it writes headers and body separately, and Nagle
    would hold the body ~40 ms for the client's delayed ACK on every kept-alive request
    (gunicorn sets this itself)."""

    def handle(self, sock: socket.socket, address: tuple[str, int]) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


class Supervisor:
    """Keeps the embedded Redis and the worker processes running while the server runs."""

    def __init__(self, workers: int, redis: EmbeddedRedis | None, metrics_port: int) -> None:
        self.count, self.redis, self.metrics_port = workers, redis, metrics_port
        self.workers: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def _spawn_worker(self, index: int) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.pop("METRICS_PORT", None)
        # Each worker serves its figures on a port of its own, unless they go to the web's
        # /metrics through the shared PROMETHEUS_MULTIPROC_DIR (not both: counted twice).
        if self.metrics_port and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            env["METRICS_PORT"] = str(self.metrics_port + index)
        return subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=env)

    def start(self) -> None:
        self.workers = [self._spawn_worker(index) for index in range(self.count)]
        gevent.spawn(self._watch)

    def _watch(self) -> None:
        while not self.stopping:
            gevent.sleep(1)
            if self.redis is not None and not self.redis.alive() and not self.stopping:
                log.warning("embedded Redis stopped; restarting it")
                self.redis.start()
            for index, process in enumerate(self.workers):
                if process.poll() is not None and not self.stopping:
                    log.warning(
                        "worker %s exited with %s; restarting", process.pid, process.returncode
                    )
                    self.workers[index] = self._spawn_worker(index)

    def stop(self) -> None:
        self.stopping = True
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.workers:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.redis is not None:
            self.redis.stop()


def main() -> None:
    """Migrate, start Redis (if not given) and the workers, then serve until stopped."""
    configure()
    embedded = None
    if not os.environ.get("REDIS_URL"):
        embedded = EmbeddedRedis(Path(instance_path() or ROOT / "instance") / "redis")
        os.environ["REDIS_URL"] = embedded.start()  # the workers inherit it
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    supervisor = Supervisor(app.config["WORKERS"], embedded, app.config["METRICS_PORT"])
    supervisor.start()
    server = Server((app.config["HOST"], app.config["PORT"]), app, log=None)

    def shutdown(*_args: object) -> None:
        shutdown_all()  # open streams end with a retry hint; clients reconnect elsewhere
        gevent.spawn_later(0.2, server.stop, timeout=3)

    gevent.signal_handler(signal.SIGTERM, shutdown)
    gevent.signal_handler(signal.SIGINT, shutdown)
    gc.collect()
    gc.freeze()  # what is loaded stays: full collections walk only what serving makes
    server.start()  # listening before it says so
    model = "offline demo model" if is_demo(app.config) else app.config["LLM_MODEL"]
    print(
        f"Script Writer is running at http://{app.config['HOST']}:{app.config['PORT']}/ "
        f"({app.config['WORKERS']} workers, {model})",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        supervisor.stop()


if __name__ == "__main__":
    main()
