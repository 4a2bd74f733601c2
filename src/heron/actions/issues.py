"""Changing an issue's status (resolve, resolve in the next release, ignore, unresolve) and
deleting issues. Each change writes its activity row in the same transaction."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, select, update

from heron.actions.errors import ActionError
from heron.actions.issue_access import ADMIN_ONLY, issue_for_actor
from heron.store import (
    CLEARED_ON_REOPEN,
    Database,
    activity_row,
    record_activity,
    tables,
)

STATUSES = ("resolved", "resolved_next_release", "unresolved", "ignored")
# Upper bounds that keep the stored numbers sane (a year; a billion events or users).
MAX_IGNORE_MINUTES = 366 * 24 * 60
MAX_IGNORE_COUNT = 10**9

_i = tables.issues
# A repeated resolve keeps its first time; unresolving an unresolved issue keeps its substatus.
_NOT_COMPARED = frozenset({"resolved_at", "substatus"})


def set_issue_status(
    db: Database,
    issue_id: int,
    status: str,
    *,
    actor_id: int | None = None,
    ignore_minutes: int | None = None,
    ignore_count: int | None = None,
    ignore_users: int | None = None,
    now: float | None = None,
) -> None:
    """Set ``status`` (one of :data:`STATUSES`) as ``actor_id`` (None: Heron itself).

    ``resolved_next_release`` resolves the issue "in the release after its last release":
    events of that release do not regress it. ``ignored`` may be limited: for
    ``ignore_minutes``, until ``ignore_count`` more events or ``ignore_users`` more users.
    Asking for the state an issue is already in changes nothing and logs nothing.
    """
    if status not in STATUSES:
        raise ActionError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    limits = {
        "minutes": _limit(ignore_minutes, "ignore_minutes", MAX_IGNORE_MINUTES),
        "count": _limit(ignore_count, "ignore_count", MAX_IGNORE_COUNT),
        "users": _limit(ignore_users, "ignore_users", MAX_IGNORE_COUNT),
    }
    if status != "ignored" and any(v is not None for v in limits.values()):
        raise ActionError("ignore conditions only apply to the ignored status")
    moment = now if now is not None else time.time()
    with db.write() as conn:
        issue = issue_for_actor(conn, issue_id, actor_id)
        values, kind, data = _change(issue, status, limits, moment)
        if all(issue._mapping[k] == v for k, v in values.items() if k not in _NOT_COMPARED):
            return
        conn.execute(update(_i).where(_i.c.id == issue_id).values(**values))
        row = activity_row(
            issue_id, issue.project_id, kind, data, user_id=actor_id, created_at=moment
        )
        record_activity(conn, [row])


def _change(
    issue: Any, status: str, limits: dict[str, int | None], now: float
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The column values, activity kind and activity data of a status change."""
    if status == "resolved":
        return {**CLEARED_ON_REOPEN, "status": "resolved", "resolved_at": now}, "set_resolved", {}
    if status == "resolved_next_release":
        if not issue.last_release:
            raise ActionError("this issue has no release to resolve it after")
        values = {
            **CLEARED_ON_REOPEN,
            "status": "resolved",
            "resolved_at": now,
            "resolved_in_release": issue.last_release,
        }
        return values, "set_resolved_in_release", {"release": issue.last_release}
    if status == "unresolved":
        values = {**CLEARED_ON_REOPEN, "status": "unresolved", "substatus": "ongoing"}
        return values, "set_unresolved", {}
    minutes, count, users = limits["minutes"], limits["count"], limits["users"]
    values = {
        **CLEARED_ON_REOPEN,
        "status": "ignored",
        "ignore_until": now + minutes * 60 if minutes else None,
        "ignore_until_count": issue.times_seen + count if count else None,
        "ignore_until_users": issue.user_count + users if users else None,
    }
    data: dict[str, Any] = {}
    if minutes:
        data.update(until=values["ignore_until"], minutes=minutes)
    if count:
        data["count"] = count
    if users:
        data["users"] = users
    return values, "set_ignored", data


def _limit(value: int | None, name: str, highest: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= highest:
        raise ActionError(f"{name} must be a whole number from 1 to {highest}")
    return value


def delete_issues(db: Database, issue_ids: Iterable[int], *, actor_id: int | None = None) -> int:
    """Delete the issues with their events, hashes, counters and activity (admins only);
    returns how many were deleted. New events with the same grouping start a new issue."""
    wanted = sorted(set(issue_ids))
    with db.write() as conn:
        rows = [
            issue_for_actor(conn, i, actor_id, least="admin", refusal=ADMIN_ONLY) for i in wanted
        ]
        for row in rows:
            _delete_issue(conn, row.id, row.project_id)
    return len(rows)


def _delete_issue(conn: Connection, issue_id: int, project_id: int) -> None:
    e, a = tables.events, tables.attachments
    event_ids = select(e.c.event_id).where(e.c.issue_id == issue_id)
    conn.execute(delete(a).where(a.c.project_id == project_id, a.c.event_id.in_(event_ids)))
    for table in (tables.events, tables.issue_hashes):
        conn.execute(delete(table).where(table.c.issue_id == issue_id))
    for table in (
        tables.issue_tags,
        tables.issue_users,
        tables.issue_counts,
        tables.activity,
        tables.bookmarks,
    ):
        conn.execute(delete(table).where(table.c.issue_id == issue_id))
    conn.execute(delete(_i).where(_i.c.id == issue_id))
