"""The JSON API blueprint: bearer tokens or the session, JSON errors everywhere."""

from datetime import timedelta
from typing import Any, NoReturn

from flask import Blueprint, abort, g, jsonify, make_response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.auth.models import ApiToken, User
from app.clock import utcnow
from app.extensions import begin_write, csrf, db

TOKEN_TOUCH = timedelta(minutes=5)  # how stale a token's last use may be shown
api = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(api)


class ApiError(Exception):
    """An error answered as JSON with a status and extra fields."""

    def __init__(self, code: int, message: str, extra: dict[str, Any]) -> None:
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


def fail(code: int, message: str, **extra: Any) -> NoReturn:
    """Stop the request with a JSON error: {"error": message, **extra}."""
    raise ApiError(code, message, extra)


@api.before_request
def authenticate() -> None:
    """A bearer token, or a signed-in session (which then needs the CSRF header to write)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        digest = ApiToken.digest(header[7:].strip())
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if token is None:
            fail(401, _("Invalid API token."))
        g.api_user = db.session.get(User, token.user_id)
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH:
            begin_write()  # re-reads the token in a writing transaction
            token.last_used_at = now
            db.session.commit()
        return
    if not current_user.is_authenticated:
        fail(401, _("Sign in or send an API token."))
    g.api_user = current_user._get_current_object()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def api_user() -> User:
    """The user this API request acts for."""
    return g.api_user


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what is wrong."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        fail(400, _("Send a JSON object with Content-Type: application/json."))
    return body


@api.errorhandler(ApiError)
def _api_error(error: ApiError) -> Any:
    return make_response(jsonify({**error.extra, "error": error.message}), error.code)


@api.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    return make_response(jsonify(error=error.description or error.name), error.code or 500)


def not_found() -> NoReturn:
    """The same 404 for a missing object and for one the user may not see."""
    abort(404, _("Not found."))
