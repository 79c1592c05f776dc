"""Interface languages: the locale of a request, the reader's choice of it, and marking text
translated when shown."""

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, current_app, has_request_context, redirect, request, url_for
from flask_babel import format_datetime, format_timedelta, get_locale
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.redirects import safe_next

LOCALES = ("zh", "en")
# The language tag of each locale, for <html lang> (Simplified Chinese as written in China).
HTML_LANG = {"zh": "zh-CN", "en": "en"}
COOKIE = "language"
COOKIE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie
ZONE_COOKIE = "tz"  # the browser's time zone, as its JavaScript tells it

bp = Blueprint("languages", __name__)


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred translation
    """Mark text stored in English (by workers) and translated where it is shown."""
    return message


def _account() -> Any:
    """The signed-in person, if any (their settings come before everything else)."""
    from flask_login import current_user

    return current_user if current_user and current_user.is_authenticated else None


def account_language() -> str | None:
    account = _account()
    return account.language if account is not None else None


def known_zone(name: str | None) -> str | None:
    """The name if it is a time zone this machine knows (tzdata ships with the app)."""
    if not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def select_timezone() -> str:
    """The person's time zone: their account's, else the one their browser told us (a cookie
    set by static/timezone.js), else Asia/Shanghai for Chinese and UTC for English."""
    if not has_request_context():
        return "UTC"
    account = _account()
    told = unquote(request.cookies.get(ZONE_COOKIE) or "")  # "Asia%2FTokyo" from older pages
    for chosen in (account.time_zone if account else None, told):
        if known_zone(chosen):
            return str(chosen)
    return "Asia/Shanghai" if str(get_locale()) == "zh" else "UTC"


def ago(moment: datetime) -> str:
    """How long ago, the same for every reader (for blocks streamed to many at once)."""
    return format_timedelta(moment - utcnow(), add_direction=True, threshold=1.1)


def when(moment: datetime | None) -> Markup:
    """A moment as a reader reads it: "3 分钟前" within the day, else the date and time in
    their time zone; the exact time (ISO, UTC) in the element for machines and tooltips."""
    if moment is None:
        return Markup("")
    ago = utcnow() - moment
    full = format_datetime(moment, "yyyy-MM-dd HH:mm")
    shown = format_timedelta(-ago, add_direction=True, threshold=1.1)
    if not -timedelta(hours=1) <= ago < timedelta(days=1):  # soon or today: in words
        shown = full
    return Markup('<time datetime="{}Z" title="{}">{}</time>').format(
        moment.isoformat(timespec="seconds"), full, shown
    )


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
    account = _account()
    if account is not None:  # a signed-in choice follows the person to every device
        from app.extensions import begin_write, db

        begin_write()
        account.language = language
        db.session.commit()
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
