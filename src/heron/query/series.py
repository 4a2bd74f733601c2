"""Events over time from the hourly ``issue_counts`` rollup: an issue's chart (24 hours by
hour, 30 days by day) and the 24-hour sparklines of a page of issues, in one query each."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import select

from heron.query.errors import QueryError
from heron.query.models import MAX_BIG_ID, Bucket, Issue, Series
from heron.store import Database, tables

HOUR = 3600
DAY = 86400
# A chart period: (bucket size, number of buckets).
CHART_PERIODS = {"24h": (HOUR, 24), "30d": (DAY, 30)}

_c = tables.issue_counts


def issue_series(
    db: Database, issue: Issue, period: str = "24h", *, now: float | None = None
) -> Series:
    """The issue's events per bucket over ``period`` (``24h`` or ``30d``), the current
    (partial) bucket last; buckets without events count zero."""
    if period not in CHART_PERIODS:
        raise QueryError(f"invalid chart period {period!r}: use {' or '.join(CHART_PERIODS)}")
    size, count = CHART_PERIODS[period]
    last = _floor(now, size)
    first = last - (count - 1) * size
    stmt = select(_c.c.bucket, _c.c.count).where(_c.c.issue_id == issue.id, _c.c.bucket >= first)
    totals = dict.fromkeys(range(first, last + size, size), 0)
    with db.read() as conn:
        for bucket, number in conn.execute(stmt):
            start = int(bucket) - int(bucket) % size
            if start in totals:
                totals[start] += int(number)
    return Series(size, [Bucket(float(start), n) for start, n in totals.items()])


def sparklines(
    db: Database, issue_ids: Iterable[int], *, hours: int = 24, now: float | None = None
) -> dict[int, list[int]]:
    """Hourly event counts of each issue over the last ``hours`` hours (oldest first), for a
    whole page of issues in one query; every requested issue gets a list."""
    wanted = sorted({i for i in issue_ids if 0 < i <= MAX_BIG_ID})
    last = _floor(now, HOUR)
    first = last - (hours - 1) * HOUR
    lines = {i: [0] * hours for i in wanted}
    if not wanted:
        return lines
    stmt = select(_c.c.issue_id, _c.c.bucket, _c.c.count).where(
        _c.c.issue_id.in_(wanted), _c.c.bucket >= first, _c.c.bucket <= last
    )
    with db.read() as conn:
        for issue_id, bucket, number in conn.execute(stmt):
            slot = (int(bucket) - first) // HOUR
            lines[int(issue_id)][slot] += int(number)
    return lines


def _floor(now: float | None, size: int) -> int:
    moment = int(now if now is not None else time.time())
    return moment - moment % size
