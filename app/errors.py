"""Every refusal answered one way: JSON `{"error", "field"?, …}` under /api/, a page elsewhere."""

from collections.abc import Iterable
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect

from app import audit
from app.i18n import N_


class Refused(Exception):
    """A request answered with a status, a message and extra fields (e.g. the field at fault)."""

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


def fail(code: int, message: str, **extra: Any) -> NoReturn:
    """Stop the request: {"error": message, **extra} with the status code."""
    raise Refused(code, message, **extra)


def wants_json() -> bool:
    return request.path.startswith("/api/")


# What the default descriptions of HTTP errors say, in words a writer reads.
MESSAGES = {
    400: lambda: _("The request could not be read."),
    401: lambda: _("Sign in or send an API token."),
    403: lambda: _("You may not do that here."),
    404: lambda: _("Not found."),
    405: lambda: _("This address does not take that method."),
    413: lambda: _("The request is too large."),
    415: lambda: _("Send JSON with Content-Type: application/json."),
    429: lambda: _("Too many requests: wait a moment and try again."),
    500: lambda: _("Something went wrong on our side; it has been logged."),
}


# Flask-WTF's reasons for refusing a form (shown translated), named here for the catalog.
CSRF_REASONS = (
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
    N_("The referrer header is missing."),
    N_("The referrer does not match the host."),
)


def answer(
    code: int, message: str, headers: Iterable[tuple[str, str]] = (), **extra: Any
) -> Response:
    """The error response for this request (headers such as Allow or Retry-After kept)."""
    if wants_json():
        response = jsonify({**extra, "error": message})
    elif code == 404:
        response = Response(render_template("errors/404.html"))
    else:
        response = Response(render_template("errors/400.html", message=message, code=code))
    response.status_code = code
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _refused(error: Refused) -> Response:
    return answer(error.code, error.message, **error.extra)


def _http(error: HTTPException) -> Response:
    code = error.code or 500
    if code == 429:
        audit.record("rate_limited", limit=str(error.description))
    message = MESSAGES.get(code, lambda: error.name)()
    return answer(code, message, error.get_headers())


def _csrf(error: CSRFError) -> Response:
    audit.record("csrf_refused", reason=error.description)
    return answer(400, _(error.description))


def _busy(_error: Exception) -> Response:
    """Every database connection of this process is taken: ask the client to come back."""
    return answer(503, _("The server is busy; try again in a moment."), [("Retry-After", "2")])


def _unexpected(error: InternalServerError) -> Response:
    """A bug: logged by Flask with its traceback; the client gets the same shape as any error."""
    return answer(500, MESSAGES[500]())


def _api_redirect() -> Response | None:
    """Routing's own redirects ("/api/jobs//1" → "/api/jobs/1") answer JSON under /api/ too:
    Flask sends them as they are, past the error handlers."""
    moved = request.routing_exception
    if isinstance(moved, RequestRedirect) and wants_json():
        return answer(
            moved.code, _("This address moved: see Location."), [("Location", moved.new_url)]
        )
    return None


def init_app(app: Flask) -> None:
    app.before_request(_api_redirect)
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(PoolTimeout, _busy)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(HTTPException, _http)
