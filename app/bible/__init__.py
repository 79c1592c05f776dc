"""Character bibles: the bible kind, written from an outline version's characters, edited
like an idea (versions), read by every episode script."""

from app.bible import api as _api  # noqa: F401 - registers the API routes
from app.bible.views import bp

__all__ = ["bp"]
