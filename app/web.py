"""Wiring: extensions, blueprints, error pages and response headers."""

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from app import errors
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import ago, html_lang, select_locale, select_timezone, when
from app.inputs import IdConverter
from app.jobs.kinds import KINDS, label_of
from app.jobs.listing import active_count
from app.jobs.state import error_text, progress_text, seconds_until, timing
from app.kinds import register_kinds
from app.llm import is_demo

# htmx 4 runs without eval; everything is same-origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


def init_app(app: Flask) -> None:
    """Attach extensions and blueprints to the app."""
    from app import (
        admin,
        auth,
        bible,  # noqa: F401 - registers the API routes
        brainstorm,
        cli,
        consistency,  # noqa: F401 - registers the API routes
        health,
        i18n,
        jobs,
        live,
        logs,
        metrics,
        notifications,
        outline,
        projects,
        research,
        versions,
    )
    from app.admin import api as _admin_api  # noqa: F401 - registers the API routes
    from app.api import api
    from app.notifications.views import unseen
    from app.scripts import api as _scripts_api  # noqa: F401 - registers the API routes
    from app.scripts import views as scripts

    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a job page may stay open for days
    # The catalogs sit beside the package (Flask-Babel looks in app/translations by default).
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(app.root_path).parent / "translations")
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limits_storage(app.config.get("REDIS_URL")))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis trouble must not turn sign-ins and starts into errors.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    register_kinds(app)
    logs.init_app(app)
    for module in (
        auth,
        projects,
        brainstorm,
        outline,
        research,
        scripts,
        versions,
        jobs,
        live,
        notifications,
        i18n,
        health,
        metrics,
        admin,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(auth.account_bp)
    app.register_blueprint(api)
    cli.init_app(app)

    app.jinja_env.globals.update(
        _=_,
        ngettext=ngettext,
        current_locale=lambda: str(get_locale()),
        html_lang=html_lang,
        demo_model=lambda: is_demo(app.config),
        kind_label=label_of,
        progress_text=progress_text,
        error_text=error_text,
        job_timing=timing,
        seconds_until=seconds_until,
        results_label=lambda name: KINDS[name].results_label() if name in KINDS else name,
        active_jobs_count=lambda: active_count(current_user.id),
        unseen_notices=lambda: unseen(current_user.id),
        live_url=None,
    )
    app.jinja_env.filters["rawtext"] = rawtext
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["ago"] = ago
    app.url_defaults(_static_version)
    app.after_request(_headers)
    errors.init_app(app)


def _limits_storage(redis_url: str | None) -> str:
    """Rate limits are counted in Redis (shared by all processes); `limits` names sockets so."""
    if not redis_url:
        return "memory://"
    return (
        "redis+unix://" + redis_url[len("unix://") :]
        if redis_url.startswith("unix://")
        else redis_url
    )


def rawtext(text: str) -> Markup:
    """Model text, escaped, with carriage returns kept as references (HTML would fold them)."""
    return Markup(str(escape(text)).replace("\r", "&#13;"))


def _headers(response: Response) -> Response:
    """Security headers on every response; no caching of anything but versioned static files
    (pages and API answers are a signed-in user's own); Vary where htmx gets a fragment."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint == "static":
        filename = (request.view_args or {}).get("filename", "")
        # Only a file that was served is hashed: a refused name ("..%2F..%2Fdev%2Fzero") is
        # neither read nor kept in the cache.
        served = response.status_code < 400
        if served and request.args.get("v") and request.args.get("v") == static_hash(filename):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SECURE_COOKIES"]:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("varies_on_htmx"):
        response.vary.add("HX-Request")
    return response


@cache
def static_hash(filename: str) -> str | None:
    """A short digest of a static file's content, so its URL changes when it does."""
    path = Path(current_app.static_folder or "") / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


def _static_version(endpoint: str, values: dict[str, Any]) -> None:
    """url_for('static', …) carries the file's digest: browsers keep it until it changes."""
    if endpoint == "static" and "filename" in values:
        digest = static_hash(values["filename"])
        if digest:
            values.setdefault("v", digest)
