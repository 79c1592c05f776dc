"""Time as the database stores it: naive UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (SQLite keeps no zone; both dialects store the same)."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    """A stored naive-UTC time as ISO 8601 with an explicit Z."""
    return None if moment is None else moment.isoformat(timespec="milliseconds") + "Z"
