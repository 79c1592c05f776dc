"""Character bibles: the bible kind, written from an outline version's characters, edited
like an outline (versions), read by every episode script. Its button is on the script page
(app/scripts/views.py)."""

from app.bible import api as _api  # noqa: F401 - registers the API routes
