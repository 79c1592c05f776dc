"""Live updates: one Redis listener per process, the page stream and the JSON stream."""

from app.live import api as _api  # noqa: F401 - registers the JSON stream
from app.live.views import bp

__all__ = ["bp"]
