"""Consistency checks: a job that reads a character bible and the written episodes of an
outline version and lists their contradictions, each with the episodes and lines involved.
Its button is on the script page (app/scripts/views.py)."""

from app.consistency import api as _api  # noqa: F401 - registers the API routes
