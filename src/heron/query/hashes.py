"""The grouping hashes of an issue: each with the newest event it routed to the issue."""

from __future__ import annotations

from sqlalchemy import func, select

from heron.query.events import event_from_row
from heron.query.models import MAX_OFFSET, Issue, IssueHash, Page
from heron.store import Database, tables

_h = tables.issue_hashes
_e = tables.events


def list_hashes(
    db: Database, issue: Issue, *, offset: int = 0, limit: int = 100
) -> Page[IssueHash]:
    """The issue's hashes in hash order (stable across pages)."""
    stmt = (
        select(_h.c.hash, _h.c.strategy)
        .where(_h.c.issue_id == issue.id)
        .order_by(_h.c.hash)
        .offset(min(offset, MAX_OFFSET))
        .limit(limit + 1)
    )
    items: list[IssueHash] = []
    with db.read() as conn:
        rows = list(conn.execute(stmt))
        for row in rows[:limit]:
            # One small query per hash (a page holds at most ``limit``), served by the
            # (project_id, hash) index.
            latest = conn.execute(
                select(_e)
                .where(
                    _e.c.project_id == issue.project.id,
                    _e.c.hash == row.hash,
                    _e.c.issue_id == issue.id,
                )
                .order_by(_e.c.timestamp.desc(), _e.c.id.desc())
                .limit(1)
            ).first()
            event = event_from_row(latest._mapping) if latest is not None else None
            items.append(IssueHash(row.hash, row.strategy, event))
    return Page(items, offset, limit, len(rows) > limit)


def count_hashes(db: Database, issue: Issue) -> int:
    """How many hashes route to the issue (the page offers unmerge only when ≥ 2)."""
    with db.read() as conn:
        stmt = select(func.count()).select_from(_h).where(_h.c.issue_id == issue.id)
        return int(conn.execute(stmt).scalar_one())
