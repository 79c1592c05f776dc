"""Deep research: a research-backed outline that first asks its writer questions, then runs
for many minutes (streamed, or as a provider's background response), with citations."""

from app.research import api as _api  # noqa: F401 - registers the API routes
from app.research.views import bp

__all__ = ["bp"]
