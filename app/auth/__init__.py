"""Sign-up, sign-in, sessions and API tokens."""

from app.auth.account import bp as account_bp
from app.auth.views import bp

__all__ = ["account_bp", "bp"]
