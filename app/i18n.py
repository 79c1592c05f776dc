"""Interface languages: the locale of a request, and marking text translated when shown."""

from flask import has_request_context, request

LOCALES = ("zh", "en")


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred translation
    """Mark text stored in English (by workers) and translated where it is shown."""
    return message


def select_locale() -> str:
    """The browser's preference among ours; English outside a request (workers, CLI)."""
    if not has_request_context():
        return "en"
    return request.accept_languages.best_match(LOCALES) or "en"
