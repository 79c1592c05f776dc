"""Brainstorming story ideas: the form, the job kind (app/kinds.py registers it) and the
ideation API."""

from app.brainstorm import api as _api  # noqa: F401 - registers the API routes
from app.brainstorm.views import bp

__all__ = ["bp"]
