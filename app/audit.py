"""Security events as one log line each: `event=… key=value …`, never a secret.

The fields also travel as the record's `audit` attribute, so a JSON formatter can take the
lines over without parsing them."""

import logging
import re
from typing import Any

from flask import g, has_request_context, request

log = logging.getLogger("app.audit")
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"\\=\u2028\u2029]")


def _escape(value: Any) -> str:
    """A value on one line: control characters, spaces, quotes and = as escapes, length capped."""
    text = str(value)[:200]
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", text) or '""'


def record(event: str, **fields: Any) -> None:
    """Log a security event with who and where it came from."""
    if has_request_context():
        user = g.get("api_user")
        fields.setdefault("user", getattr(user, "id", None) or _session_user())
        fields.setdefault("ip", request.remote_addr)
        fields.setdefault("method", request.method)
        fields.setdefault("path", request.path)
    fields = {"event": event, **{k: v for k, v in fields.items() if v is not None}}
    line = " ".join(f"{key}={_escape(value)}" for key, value in fields.items())
    log.warning(line, extra={"audit": fields})


def _session_user() -> int | None:
    from flask_login import current_user

    return current_user.id if current_user and current_user.is_authenticated else None
