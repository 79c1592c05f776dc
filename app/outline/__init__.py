"""Outlines for vertical short drama: the outline kind, its components, pages, API, exports."""

from app.outline import api as _api  # noqa: F401 - registers the API routes
from app.outline.views import bp

__all__ = ["bp"]
