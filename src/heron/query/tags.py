"""Tag distributions of an issue: per key, how often each value was seen."""

from __future__ import annotations

from sqlalchemy import func, select

from heron.query.models import MAX_OFFSET, Issue, Page, TagSummary, TagValue
from heron.store import Database, tables

_t = tables.issue_tags


def tag_summaries(db: Database, issue: Issue, *, top: int = 10) -> list[TagSummary]:
    """Every tag key of the issue with its ``top`` most frequent values, keys sorted."""
    totals = (
        select(
            _t.c.key,
            func.sum(_t.c.times_seen).label("total"),
            func.count().label("distinct"),
        )
        .where(_t.c.issue_id == issue.id)
        .group_by(_t.c.key)
        .order_by(_t.c.key)
    )
    rank = (
        func.row_number()
        .over(partition_by=_t.c.key, order_by=(_t.c.times_seen.desc(), _t.c.value))
        .label("rank")
    )
    ranked = select(_t, rank).where(_t.c.issue_id == issue.id).subquery()
    tops = select(ranked).where(ranked.c.rank <= top).order_by(ranked.c.key, ranked.c.rank)
    with db.read() as conn:
        summaries = {
            r.key: TagSummary(r.key, int(r.total or 0), int(r.distinct), [])
            for r in conn.execute(totals)
        }
        for r in conn.execute(tops):
            summaries[r.key].top.append(
                TagValue(r.key, r.value, r.times_seen, r.first_seen, r.last_seen)
            )
    return list(summaries.values())


def tag_values(
    db: Database, issue: Issue, key: str, *, offset: int = 0, limit: int = 100
) -> Page[TagValue]:
    """The values of one tag key, most frequent first."""
    stmt = (
        select(_t)
        .where(_t.c.issue_id == issue.id, _t.c.key == key)
        .order_by(_t.c.times_seen.desc(), _t.c.value)
        .offset(min(offset, MAX_OFFSET))
        .limit(limit + 1)
    )
    with db.read() as conn:
        rows = list(conn.execute(stmt))
    items = [TagValue(r.key, r.value, r.times_seen, r.first_seen, r.last_seen) for r in rows]
    return Page(items[:limit], offset, limit, len(items) > limit)
