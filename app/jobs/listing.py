"""A user's jobs, filtered and paged by keyset (newest first): the Jobs page and its API."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlalchemy import func, select, true, tuple_

from app.extensions import db
from app.inputs import Filter, Id, Inputs, Whole, id_from, moment_from, one_of
from app.jobs.kinds import KINDS
from app.jobs.models import ACTIVE, FINAL, IS_JOB, Transform
from app.projects.models import Project, ProjectMember

# The Jobs page's status filters: what a writer thinks in, mapped to stored statuses.
GROUPS: dict[str, tuple[str, ...]] = {
    "running": ("running",),
    "waiting": ("pending", "retrying"),
    "needs_input": ("needs_input",),
    "completed": ("completed",),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
    "active": ACTIVE,
}
PAGE_SIZE = 25
MAX_PAGE = 100


def parse_cursor(raw: str) -> tuple[datetime, int] | None:
    """A page cursor "<iso time>_<id>" (the last row of the page before), or None."""
    moment, _sep, job_id = raw.rpartition("_")
    when, after = moment_from(moment), id_from(job_id)
    return (when, after) if when is not None and after is not None else None


def cursor_of(transform: Transform) -> str:
    return f"{transform.created_at.isoformat()}_{transform.id}"


class Filters(Inputs):
    """The Jobs page's filters (values that cannot be read are ignored, not errors)."""

    status: Filter(one_of(GROUPS)) = None
    kind: Filter(one_of(KINDS)) = None
    project_id: Filter(Id) = Field(None, alias="project")

    def query_args(self) -> dict[str, Any]:
        """These filters (not a page's cursor or size) as URL query arguments."""
        return self.model_dump(by_alias=True, exclude_none=True, include=set(Filters.model_fields))


PageCursor = Annotated[
    tuple[datetime, int],
    BeforeValidator(lambda v: (parse_cursor(v) or v) if isinstance(v, str) else v),
]


class JobsQuery(Filters):
    """A page of the Jobs list: its filters, the cursor of the page before, the page size."""

    before: Filter(PageCursor) = None
    limit: Filter(Whole) = None

    @property
    def page_size(self) -> int:
        return max(1, min(self.limit or PAGE_SIZE, MAX_PAGE))


@dataclass
class Page:
    rows: list[tuple[Transform, str]]  # each job with its project's name
    next_cursor: str | None


def with_projects(*where: Any, order_by: Any, limit: int) -> list[tuple[Transform, str]]:
    """Jobs matching the conditions, each with its project's name. Newest first, a page
    walks each project's jobs through ix_transforms_project_created (project_id,
    created_at, id) and stops after its rows."""
    rows = db.session.execute(
        select(Transform, Project.name)
        .join(Project, Project.id == Transform.project_id)
        .where(IS_JOB, *where)
        .order_by(*order_by)
        .limit(limit)
    )
    return [(transform, name) for transform, name in rows]


def list_jobs(
    user_id: int,
    filters: Filters,
    before: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of the jobs of the user's projects (whoever started them), newest first,
    after the cursor."""
    where = []
    if filters.status:
        where.append(Transform.status.in_(GROUPS[filters.status]))
    if filters.kind:
        where.append(Transform.kind == filters.kind)
    if filters.project_id:
        where.append(Transform.project_id == filters.project_id)
    if before is not None:
        # A row-value comparison, which both databases answer from the keyset's index.
        where.append(tuple_(Transform.created_at, Transform.id) < tuple_(*before))
    newest_first = (Transform.created_at.desc(), Transform.id.desc())
    rows = with_projects(
        in_members_projects(user_id, where, newest_first, limit + 1),
        *where,
        order_by=newest_first,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, cursor_of(rows[-1][0]) if more and rows else None)


def finished_since(user_id: int, since: datetime) -> list[tuple[Transform, str]]:
    """The jobs of the user's projects that ended after a moment, newest first."""
    return with_projects(
        Transform.project_id.in_(member_of(user_id)),
        Transform.status.in_(FINAL),
        Transform.finished_at > since,
        order_by=(Transform.finished_at.desc(),),
        limit=MAX_PAGE,
    )


def in_members_projects(user_id: int, where: list[Any], order_by: Any, limit: int) -> Any:
    """The condition "in one of the user's projects" for a page of `limit` jobs in this
    order. SQLite walks each project's jobs through ix_transforms_project_created and stops
    after the page; PostgreSQL would read every job of those projects and sort them, so it
    is given each project's first `limit` (a lateral join) and sorts only those."""
    if db.session.get_bind().dialect.name != "postgresql":
        return Transform.project_id.in_(member_of(user_id))
    projects = member_of(user_id).subquery()
    firsts = (
        select(Transform.id)
        .where(IS_JOB, Transform.project_id == projects.c.project_id, *where)
        .order_by(*order_by)
        .limit(limit)
        .lateral()
    )
    return Transform.id.in_(select(firsts.c.id).select_from(projects).join(firsts, true()))


def member_of(user_id: int) -> Any:
    """The ids of the projects the user is a member of (a subquery)."""
    return select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)


def active_count(user_id: int) -> int:
    """How many of the jobs the user started are running or waiting (the nav count)."""
    return (
        db.session.scalar(
            select(func.count(Transform.id)).where(
                IS_JOB, Transform.created_by == user_id, Transform.status.in_(ACTIVE)
            )
        )
        or 0
    )
