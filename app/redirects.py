"""Where to send a browser after a form: only to our own pages."""

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str) -> str:
    """A same-site path to go to after a form, else the default (no open redirects)."""
    if target and target.startswith("/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return default
