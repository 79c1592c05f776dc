"""Story projects."""

from app.projects import api as _api  # noqa: F401 - registers the API routes
from app.projects.views import bp

__all__ = ["bp"]
