"""An issue's activity log: what happened to it and who did what, newest first.

The kinds and their ``data`` are listed in :mod:`heron.store.activity`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Select, func, select

from heron.query.models import MAX_BIG_ID, Activity, Issue
from heron.store import Database, tables

_a = tables.activity
_u = tables.users


def list_activity(
    db: Database, issue: Issue, *, kinds: tuple[str, ...] | None = None, limit: int = 200
) -> list[Activity]:
    """The issue's newest ``limit`` activity entries (only ``kinds`` when given)."""
    stmt = _select().where(_a.c.issue_id == issue.id)
    if kinds is not None:
        stmt = stmt.where(_a.c.kind.in_(kinds))
    stmt = stmt.order_by(_a.c.created_at.desc(), _a.c.id.desc()).limit(limit)
    with db.read() as conn:
        return [_activity(r._mapping) for r in conn.execute(stmt)]


def get_activity(db: Database, issue: Issue, activity_id: int) -> Activity | None:
    """One entry of the issue's log, or None."""
    if not 0 < activity_id <= MAX_BIG_ID:
        return None
    stmt = _select().where(_a.c.issue_id == issue.id, _a.c.id == activity_id)
    with db.read() as conn:
        row = conn.execute(stmt).first()
    return _activity(row._mapping) if row else None


def comment_counts(db: Database, issue_ids: Iterable[int]) -> dict[int, int]:
    """How many comments each issue has (issues without any are left out), in one query."""
    wanted = sorted({i for i in issue_ids if 0 < i <= MAX_BIG_ID})
    if not wanted:
        return {}
    stmt = (
        select(_a.c.issue_id, func.count())
        .where(_a.c.issue_id.in_(wanted), _a.c.kind == "note")
        .group_by(_a.c.issue_id)
    )
    with db.read() as conn:
        return {int(i): int(n) for i, n in conn.execute(stmt)}


def _select() -> Select[Any]:
    return select(_a, _u.c.name.label("user_name"), _u.c.email.label("user_email")).outerjoin(
        _u, _u.c.id == _a.c.user_id
    )


def _activity(row: Any) -> Activity:
    try:
        data = orjson.loads(row["data"] or "{}")
    except orjson.JSONDecodeError:
        data = {}
    return Activity(
        id=int(row["id"]),
        issue_id=int(row["issue_id"]),
        kind=str(row["kind"]),
        data=data if isinstance(data, dict) else {},
        created_at=float(row["created_at"]),
        user_id=row["user_id"],
        user_name=str(row["user_name"] or ""),
        user_email=str(row["user_email"] or ""),
    )
