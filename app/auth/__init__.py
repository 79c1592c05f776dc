"""Sign-up, sign-in, sessions and API tokens."""

from app.auth.views import bp

__all__ = ["bp"]
