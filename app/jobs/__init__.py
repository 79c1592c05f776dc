"""Durable jobs: transforms recorded at once, run by workers, shown live."""

from app.jobs import api as _api  # noqa: F401 - registers the API routes
from app.jobs.views import bp

__all__ = ["bp"]
