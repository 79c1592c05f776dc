"""Versions of what writers edit (ideas, outlines): edit, compare, revert, star."""

from app.versions import api as _api  # noqa: F401 - registers the API routes
from app.versions.views import bp

__all__ = ["bp"]
