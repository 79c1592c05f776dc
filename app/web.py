"""Wiring: extensions, blueprints, error pages and response headers."""

from flask import Flask, Response, g, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import select_locale
from app.jobs.kinds import KINDS
from app.jobs.listing import active_count
from app.llm import is_demo

# htmx 4 runs without eval; everything is same-origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


def init_app(app: Flask) -> None:
    """Attach extensions and blueprints to the app."""
    from app import auth, brainstorm, cli, jobs, live, notifications, projects
    from app.api import api
    from app.notifications.views import unseen

    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a job page may stay open for days
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limits_storage(app.config.get("REDIS_URL")))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis trouble must not turn sign-ins and starts into errors.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    for module in (auth, projects, brainstorm, jobs, live, notifications):
        app.register_blueprint(module.bp)
    app.register_blueprint(api)
    cli.init_app(app)

    app.jinja_env.globals.update(
        _=_,
        current_locale=lambda: str(get_locale()),
        demo_model=lambda: is_demo(app.config),
        kind_label=lambda name: KINDS[name].label() if name in KINDS else name,
        results_label=lambda name: KINDS[name].results_label() if name in KINDS else name,
        active_jobs_count=lambda: active_count(current_user.id),
        unseen_notices=lambda: unseen(current_user.id),
        live_url=None,
    )
    app.jinja_env.filters["rawtext"] = rawtext
    app.after_request(_headers)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(PoolTimeout, _busy)


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
    """Security headers on every response; Vary where htmx gets a fragment."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("varies_on_htmx"):
        response.vary.add("HX-Request")
    return response


def _not_found(_error: Exception) -> tuple[object, int]:
    """A plain 404 (never says whether the object exists); JSON under /api/."""
    from flask import render_template

    if request.path.startswith("/api/"):
        return jsonify(error=_("Not found.")), 404
    return render_template("errors/404.html"), 404


def _busy(_error: Exception) -> Response:
    """Every database connection of this process is taken: ask the client to come back."""
    message = _("The server is busy; try again in a moment.")
    if request.path.startswith("/api/"):
        response = jsonify(error=message)
    else:
        from flask import render_template

        response = Response(render_template("errors/400.html", message=message))
    response.status_code = 503
    response.headers["Retry-After"] = "2"
    return response


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    """A clear message when a form's token is missing or stale."""
    from flask import render_template

    return render_template("errors/400.html", message=_(error.description)), 400
