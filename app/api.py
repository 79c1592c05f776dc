"""The JSON API blueprint: bearer tokens or the session (errors are JSON: app/errors.py)."""

from datetime import timedelta

from flask import Blueprint, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import audit
from app.auth.models import ApiToken, User
from app.clock import utcnow
from app.errors import fail
from app.extensions import begin_write, csrf, db

TOKEN_TOUCH = timedelta(minutes=5)  # how stale a token's last use may be shown
api = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(api)


@api.before_request
def authenticate() -> None:
    """A bearer token, or a signed-in session (which then needs the CSRF header to write)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        digest = ApiToken.digest(header[7:].strip())
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if token is None:
            audit.record("api_token_refused")
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
