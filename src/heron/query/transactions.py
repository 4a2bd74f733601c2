"""Single transactions: lists (slowest, latest), their profiles, and the issues seen in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, desc, func, select
from sqlalchemy.sql.elements import ColumnElement

from heron.query.errors import QueryError
from heron.query.issues import issues_for_transaction
from heron.query.models import Issue, Viewer
from heron.query.performance import PerfScope
from heron.store import Database, tables

_t = tables.transactions


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    """One stored transaction (a row of ``transactions``)."""

    project_id: int
    event_id: str
    trace_id: str
    span_id: str
    name: str
    op: str
    status: str
    environment: str
    release: str
    timestamp: float
    duration_ms: float
    is_failure: bool
    user_key: str | None
    http_status: int | None
    span_count: int
    has_profile: bool


EVENT_SORTS = {
    "timestamp": _t.c.timestamp,
    "duration": _t.c.duration_ms,
}


def _event_where(scope: PerfScope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        _t.c.project_id.in_(scope.project_ids),
        _t.c.timestamp >= scope.start,
        _t.c.timestamp < scope.end,
    ]
    if scope.transaction is not None:
        where.append(_t.c.name == scope.transaction)
    if scope.environment is not None:
        where.append(_t.c.environment == scope.environment)
    if scope.release is not None:
        where.append(_t.c.release == scope.release)
    return where


def list_transaction_events(
    db: Database, scope: PerfScope, *, sort: str = "-timestamp", limit: int = 50, offset: int = 0
) -> list[TransactionEvent]:
    """Stored transactions in the scope: ``sort`` is timestamp or duration, "-" descending."""
    key, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if key not in EVENT_SORTS:
        raise QueryError(f"invalid sort {sort!r}: use one of {', '.join(EVENT_SORTS)}")
    if not scope.project_ids:
        return []
    column = EVENT_SORTS[key]
    order = desc(column) if descending else column
    stmt = (
        select(_t)
        .where(*_event_where(scope))
        .order_by(order, _t.c.id)
        .limit(max(1, min(limit, 1000)))
        .offset(max(0, offset))
    )
    with db.read() as conn:
        rows = list(conn.execute(stmt))
        profiled = profiled_events(conn, [(int(r.project_id), r.event_id) for r in rows])
    return [
        transaction_event_from_row(r, (int(r.project_id), r.event_id) in profiled) for r in rows
    ]


def slowest_transactions(
    db: Database, scope: PerfScope, *, limit: int = 10
) -> list[TransactionEvent]:
    """The slowest transactions in the scope, slowest first."""
    return list_transaction_events(db, scope, sort="-duration", limit=limit)


def count_transaction_events(db: Database, scope: PerfScope) -> int:
    if not scope.project_ids:
        return 0
    stmt = select(func.count()).select_from(_t).where(*_event_where(scope))
    with db.read() as conn:
        return int(conn.execute(stmt).scalar_one())


def profiled_events(conn: Connection, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these transactions have a profile (stored under the same event id)."""
    if not keys:
        return set()
    s = tables.stored_items
    stmt = select(s.c.project_id, s.c.event_id).where(
        s.c.type == "profile", s.c.event_id.in_(sorted({e for _p, e in keys}))
    )
    found = {(int(p), e) for p, e in conn.execute(stmt)}
    return found & set(keys)


def transaction_event_from_row(row: Any, has_profile: bool) -> TransactionEvent:
    return TransactionEvent(
        project_id=int(row.project_id),
        event_id=row.event_id,
        trace_id=row.trace_id,
        span_id=row.span_id,
        name=row.name,
        op=row.op,
        status=row.status,
        environment=row.environment,
        release=row.release,
        timestamp=float(row.timestamp),
        duration_ms=float(row.duration_ms),
        is_failure=bool(row.is_failure),
        user_key=row.user_key,
        http_status=int(row.http_status) if row.http_status is not None else None,
        span_count=int(row.span_count),
        has_profile=has_profile,
    )


def related_issues(
    db: Database, scope: PerfScope, *, viewer: Viewer | None = None, limit: int = 10
) -> list[Issue]:
    """Issues seen in the scope's transaction since the scope's start, latest first."""
    if scope.transaction is None:
        return []
    return issues_for_transaction(
        db, scope.project_ids, scope.transaction, since=scope.start, viewer=viewer, limit=limit
    )
