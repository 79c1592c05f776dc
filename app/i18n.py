"""Interface languages: the locale of a request, the reader's choice of it, and marking text
translated when shown."""

from flask import Blueprint, abort, current_app, has_request_context, redirect, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from app.redirects import safe_next

LOCALES = ("zh", "en")
# The language tag of each locale, for <html lang> (Simplified Chinese as written in China).
HTML_LANG = {"zh": "zh-CN", "en": "en"}
COOKIE = "language"
COOKIE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie

bp = Blueprint("languages", __name__)


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred translation
    """Mark text stored in English (by workers) and translated where it is shown."""
    return message


def account_language() -> str | None:
    """The signed-in person's own setting, which comes before everything else: none yet (an
    account language, once accounts have one, is read here)."""
    return None


def select_locale() -> str:
    """The reader's choice (account, then the switch's cookie), else the browser's preference
    among ours, else English; English outside a request (workers, CLI)."""
    if not has_request_context():
        return "en"
    for chosen in (account_language(), request.cookies.get(COOKIE)):
        if chosen in LOCALES:
            return chosen
    return request.accept_languages.best_match(LOCALES) or "en"


def html_lang() -> str:
    """The page's language tag (`zh-CN`, `en`)."""
    return HTML_LANG.get(str(get_locale()), "en")


@bp.post("/language")
def choose() -> Response:
    """The language switch (a plain form): remember the choice, then back to the page."""
    language = request.form.get("language")
    if language not in LOCALES:
        abort(400)
    response = redirect(safe_next(request.form.get("next"), url_for("auth.home")), 303)
    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_SECONDS,
        secure=current_app.config["SECURE_COOKIES"],
        httponly=True,
        samesite="Lax",
    )
    return response
