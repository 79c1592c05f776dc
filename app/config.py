"""Every setting, read from the environment in one place."""

import os
import secrets
from pathlib import Path
from typing import Any

# Each setting: environment name, default, one-line meaning. README.md documents them all
# (a test checks), so add a line there when adding one here.
SETTINGS: dict[str, tuple[Any, str]] = {
    "INSTANCE_PATH": (None, "folder of the SQLite file, secret key and embedded Redis"),
    "SECRET_KEY": (None, "signs sessions and CSRF tokens; generated into instance/ if unset"),
    "DATABASE_URL": (None, "SQLAlchemy URL; default: SQLite file in instance/"),
    "DB_POOL_SIZE": (10, "database connections per process (streams hold none while waiting)"),
    "DB_POOL_TIMEOUT": (10.0, "seconds a request waits for a connection before a 503"),
    "REDIS_URL": (None, "Redis for the queue and live updates; default: embedded redis-server"),
    "HOST": ("127.0.0.1", "address the web server started by app.py listens on"),
    "PORT": (5000, "port of the web server started by app.py"),
    "WORKERS": (2, "worker processes app.py starts beside the web server"),
    "LLM_BASE_URL": (None, "OpenAI-compatible endpoint; default: the provider's own"),
    "LLM_API_KEY": (None, "API key; without one the offline demo model answers"),
    "LLM_MODEL": ("deepseek-chat", "model name sent to the endpoint"),
    "LLM_TIMEOUT": (60.0, "seconds to wait for the provider to answer or send a token"),
    "RESEARCH_MODEL": ("", "model of deep research; default: LLM_MODEL"),
    "RESEARCH_MODE": (
        "streaming",
        "how research runs: streaming (chat completions) or background (Responses API)",
    ),
    "RESEARCH_POLL_SECONDS": (15.0, "between two polls of a background research response"),
    "RESEARCH_STREAM_AGAIN_SECONDS": (
        270.0,
        "a background response younger than this is streamed again after a crash, else polled",
    ),
    "DEMO_RESEARCH_SECONDS": (120.0, "how long the demo model's research runs"),
    "STALL_SECONDS": (45.0, "a model silent this long mid-answer counts as a failed attempt"),
    "RETRY_BASE_SECONDS": (2.0, "first automatic retry waits about this long (doubling, jittered)"),
    "RETRY_MAX_SECONDS": (60.0, "longest wait between automatic retries"),
    "MAX_RETRIES": (
        "",
        "automatic retries of every kind (or MAX_RETRIES_<KIND>)",
    ),
    "SWEEP_SECONDS": (2.0, "how often the sweeper looks for due retries and lost jobs"),
    "COMPACT_AFTER_HOURS": (24.0, "finished jobs' chunks are folded into one text after this"),
    "DEMO_TOKEN_DELAY_MS": (25.0, "pace of the demo model, milliseconds per token"),
    "FLUSH_WINDOW_MS": (10.0, "how long a worker gathers tokens before one write"),
    "LEASE_SECONDS": (30, "how long a worker's claim on a job lasts without a heartbeat"),
    "JOB_CONCURRENCY": (16, "attempts of short kinds one worker process runs at once"),
    "LONG_JOB_CONCURRENCY": (4, "attempts of long kinds one worker process runs at once"),
    "EXTRA_JOB_KINDS": ("", "more job kinds to register, as module:ATTRIBUTE, comma-separated"),
    "STREAM_MAX_SECONDS": (
        600.0,
        "a live stream ends after this long and the browser reconnects (0: never); spreads"
        " streams over new web processes",
    ),
    "METRICS_TOKEN": ("", "if set, /metrics wants it as a bearer token"),
    "METRICS_PORT": (0, "a worker process serves its own /metrics on this port (0: none)"),
    "SECURE_COOKIES": (False, "send cookies only over HTTPS (set in production)"),
    "RATELIMIT_LOGIN": ("10 per minute", "sign-in attempts allowed per address"),
    "RATELIMIT_JOBS": ("30 per minute", "job starts allowed per user, by form or API"),
    "MAX_ACTIVE_JOBS_PER_USER": (10, "jobs a user may have pending, running or retrying"),
    "MAX_CONTENT_LENGTH": (1048576, "largest request body accepted, in bytes (larger: 413)"),
}


def prepare_metrics_directory() -> None:
    """With PROMETHEUS_MULTIPROC_DIR, a host's processes share their figures there: it must
    exist and hold nothing of an earlier run before the first of them counts (call it before
    anything imports app.metrics)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def instance_path() -> str | None:
    """Where instance files live, if not Flask's default `instance/` beside the package."""
    return os.environ.get("INSTANCE_PATH") or None


def _cast(default: Any, raw: str) -> Any:
    """Parse an environment string to the type of the default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def database_url(raw: str | None, instance_path: str) -> str:
    """Map the PaaS forms of a database URL to the driver this app uses."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'script_writer.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _secret_key(instance_path: str) -> str:
    """A stable secret for the embedded default, kept beside the SQLite file."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(instance_path: str) -> dict[str, Any]:
    """The app's configuration as read from the environment."""
    config: dict[str, Any] = {}
    for name, (default, _meaning) in SETTINGS.items():
        raw = os.environ.get(name)
        config[name] = default if raw in (None, "") else _cast(default, raw)
    for name, raw in os.environ.items():
        if name.startswith("MAX_RETRIES_") and raw.strip():
            config[name] = int(raw)  # per kind, e.g. MAX_RETRIES_BRAINSTORM
    config["SECRET_KEY"] = config["SECRET_KEY"] or _secret_key(instance_path)
    config["SQLALCHEMY_DATABASE_URI"] = database_url(config["DATABASE_URL"], instance_path)
    config.update(cookie_settings(config["SECURE_COOKIES"]))
    return config


def cookie_settings(secure: bool) -> dict[str, Any]:
    """Session cookies: HttpOnly and SameSite=Lax always; over HTTPS also Secure and the
    __Host- prefix (no Domain, Path=/, so no sibling host can set or read it)."""
    settings: dict[str, Any] = {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }
    if secure:
        settings.update(SESSION_COOKIE_NAME="__Host-session", SESSION_COOKIE_PATH="/")
    return settings
