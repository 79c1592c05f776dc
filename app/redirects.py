"""Where to send a browser after a form: only to our own pages."""

import re

# A path of this site: one slash, then no second slash or backslash (browsers read "//x" and
# "/\x" as another host), and no control characters or spaces (browsers drop tabs and
# newlines, so "/\t/x" would become "//x").
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")


def safe_next(target: str | None, default: str) -> str:
    """A same-site path to go to after a form, else the default (no open redirects)."""
    if target and len(target) <= 2000 and _LOCAL_PATH.fullmatch(target):
        return target
    return default
