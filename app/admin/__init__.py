"""The operators' view: diagnostics of queues, workers, stuck and failing jobs, and retry or
cancel of anyone's job. Admins only (flask --app app users admin NAME); to everyone else
these pages and their API do not exist (404)."""

from app.admin.views import bp

__all__ = ["bp"]
