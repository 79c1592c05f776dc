"""Brainstorming story ideas: the form, the job kind and the ideation API."""

from app.brainstorm import api as _api  # noqa: F401 - registers the API routes
from app.brainstorm import kind as _kind  # noqa: F401 - registers the job kind
from app.brainstorm.views import bp

__all__ = ["bp"]
