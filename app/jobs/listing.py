"""A user's jobs, filtered and paged by keyset (newest first): the Jobs page and its API."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, tuple_

from app.clock import iso, utcnow
from app.extensions import db
from app.jobs.kinds import KINDS
from app.jobs.models import ACTIVE, FINAL, Transform
from app.projects.models import Project

# The Jobs page's status filters: what a writer thinks in, mapped to stored statuses.
GROUPS: dict[str, tuple[str, ...]] = {
    "running": ("running",),
    "waiting": ("pending", "retrying", "needs_input"),
    "completed": ("completed",),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
    "active": ACTIVE,
}
PAGE_SIZE = 25
MAX_PAGE = 100


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    project_id: int | None = None

    @classmethod
    def parse(cls, args: Any) -> "Filters":
        """Filters from query arguments; unknown values are ignored, not errors."""
        status = args.get("status") if args.get("status") in GROUPS else None
        kind = args.get("kind") if args.get("kind") in KINDS else None
        project = args.get("project", type=int)
        return cls(status, kind, project)

    def query_args(self) -> dict[str, Any]:
        """These filters as URL query arguments."""
        pairs = {"status": self.status, "kind": self.kind, "project": self.project_id}
        return {k: v for k, v in pairs.items() if v is not None}


def parse_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """A page cursor "<iso time>_<id>" (the last row of the page before), or None."""
    if not raw or "_" not in raw:
        return None
    moment, _sep, job_id = raw.rpartition("_")
    try:
        return datetime.fromisoformat(moment), int(job_id)
    except ValueError:
        return None


def cursor_of(transform: Transform) -> str:
    return f"{transform.created_at.isoformat()}_{transform.id}"


@dataclass
class Page:
    rows: list[tuple[Transform, str]]  # each job with its project's name
    next_cursor: str | None


def with_projects(*where: Any, order_by: Any, limit: int) -> list[tuple[Transform, str]]:
    """Jobs matching the conditions, each with its project's name."""
    rows = db.session.execute(
        select(Transform, Project.name)
        .join(Project, Project.id == Transform.project_id)
        .where(*where)
        .order_by(*order_by)
        .limit(limit)
    )
    return [(transform, name) for transform, name in rows]


def list_jobs(
    user_id: int, filters: Filters, before: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """One page of the user's jobs, newest first, after the cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    where = [Transform.created_by == user_id]
    if filters.status:
        where.append(Transform.status.in_(GROUPS[filters.status]))
    if filters.kind:
        where.append(Transform.kind == filters.kind)
    if filters.project_id:
        where.append(Transform.project_id == filters.project_id)
    if cursor := parse_cursor(before):
        # A row-value comparison, which both databases answer from the keyset's index.
        where.append(tuple_(Transform.created_at, Transform.id) < tuple_(*cursor))
    newest_first = (Transform.created_at.desc(), Transform.id.desc())
    rows = with_projects(*where, order_by=newest_first, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, cursor_of(rows[-1][0]) if more and rows else None)


def parse_since(raw: str | None) -> datetime:
    """An ISO 8601 time as naive UTC (the default: a day ago); ValueError if unreadable."""
    if not raw:
        return utcnow() - timedelta(days=1)
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def finished_since(user_id: int, since: datetime) -> list[tuple[Transform, str]]:
    """The user's jobs that ended after a moment, newest first."""
    return with_projects(
        Transform.created_by == user_id,
        Transform.status.in_(FINAL),
        Transform.finished_at > since,
        order_by=(Transform.finished_at.desc(),),
        limit=MAX_PAGE,
    )


def active_count(user_id: int) -> int:
    """How many of the user's jobs are running or waiting."""
    return (
        db.session.scalar(
            select(func.count(Transform.id)).where(
                Transform.created_by == user_id, Transform.status.in_(ACTIVE)
            )
        )
        or 0
    )


def job_summary(transform: Transform, project_name: str) -> dict[str, Any]:
    """A job as the listing APIs show it."""
    return {
        "id": transform.id,
        "kind": transform.kind,
        "projectId": transform.project_id,
        "projectName": project_name,
        "status": transform.status,
        "progress": transform.progress,
        "progressMessage": transform.progress_message,
        "error": transform.error,
        "attempt": transform.attempt,
        "nextAttemptAt": iso(transform.next_attempt_at),
        "createdAt": iso(transform.created_at),
        "startedAt": iso(transform.started_at),
        "finishedAt": iso(transform.finished_at),
        "seen": transform.seen_at is not None,
        "url": f"/jobs/{transform.id}",
    }
