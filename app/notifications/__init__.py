"""Notifications: finished jobs a user has not looked at yet."""

from app.notifications.views import bp

__all__ = ["bp"]
