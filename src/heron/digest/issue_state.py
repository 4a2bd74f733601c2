"""How a batch of events changes its issues: counters, what the issue looks like now, and
status transitions (regressions, ignores that run out), each with an activity row.

All in the batch's transaction, one statement per kind of change for the whole batch: the
counters UPDATE touches every issue the batch saw; the status UPDATE only the few that moved.
Ignores that run out by time with no new event are flipped by :func:`expire_ignores`, which
the digest worker runs once a minute.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, String, Text, bindparam, func, select, update

from heron.digest.rollups import short
from heron.store import (
    CLEARED_ON_REOPEN,
    Database,
    activity_row,
    record_activity,
    tables,
)

_i = tables.issues


@dataclass
class IssueDelta:
    """What one batch brings to one issue."""

    issue_id: int
    count: int = 0
    first_seen: float = float("inf")
    last_seen: float = float("-inf")
    latest: Mapping[str, Any] = field(default_factory=dict)
    first_received: float = float("inf")
    latest_received: float = 0.0
    first_release: str | None = None
    # Each release among the batch's events (None: events without one) → its latest arrival.
    releases: dict[str | None, float] = field(default_factory=dict)

    def saw(
        self, event: Mapping[str, Any], timestamp: float, received_at: float, release: str | None
    ) -> None:
        self.count += 1
        self.first_seen = min(self.first_seen, timestamp)
        if timestamp >= self.last_seen:
            self.last_seen = timestamp
            self.latest = event
        self.first_received = min(self.first_received, received_at)
        self.latest_received = max(self.latest_received, received_at)
        if self.first_release is None and release:
            self.first_release = release
        self.releases[release] = max(self.releases.get(release, received_at), received_at)


@dataclass(frozen=True)
class Transition:
    """A change back to unresolved the digest makes on its own, and the activity recording it."""

    substatus: str
    kind: str
    data: dict[str, Any]
    at: float


class IssueGone(Exception):
    """An issue this batch routes events to no longer exists (merged meanwhile)."""


def transition(
    issue: Any,
    delta: IssueDelta,
    *,
    user_count: int | None,
    release_first_seen: Mapping[str, float],
    now: float,
) -> Transition | None:
    """The status change ``delta`` causes on ``issue`` (a row as it was before the batch)."""
    if issue.status == "resolved":
        return _regression(issue, delta, release_first_seen)
    if issue.status == "ignored":
        times_seen = issue.times_seen + delta.count
        return _ignore_ended(issue, times_seen, user_count, now, delta.latest_received)
    return None


def _regression(
    issue: Any, delta: IssueDelta, release_first_seen: Mapping[str, float]
) -> Transition | None:
    resolved_at = issue.resolved_at if issue.resolved_at is not None else float("-inf")
    kept = issue.resolved_in_release
    if kept is None:
        regressing = {r: at for r, at in delta.releases.items() if at > resolved_at}
    else:
        # Resolved in the release after ``kept``: only a release Heron first saw after the
        # resolution is "next"; the old release (or any older one) is just counted.
        regressing = {
            r: at
            for r, at in delta.releases.items()
            if r is not None and r != kept and release_first_seen.get(r, resolved_at) > resolved_at
        }
    if not regressing:
        return None
    release = max(regressing, key=regressing.__getitem__)
    return Transition("regressed", "regression", {"release": release}, regressing[release])


def _ignore_ended(
    issue: Any, times_seen: int, user_count: int | None, now: float, received: float
) -> Transition | None:
    if issue.ignore_until_count is not None and times_seen >= issue.ignore_until_count:
        return Transition("escalating", "unignored", {"reason": "count"}, received)
    users = issue.ignore_until_users
    if users is not None and user_count is not None and user_count >= users:
        return Transition("escalating", "unignored", {"reason": "users"}, received)
    if issue.ignore_until is not None and issue.ignore_until <= now:
        return Transition("ongoing", "unignored", {"reason": "time"}, issue.ignore_until)
    return None


def update_issues(
    conn: Connection, project_id: int, deltas: dict[int, IssueDelta], created: Collection[int]
) -> None:
    """Fold the batch into its issues; needs the batch's users and releases already saved."""
    current = {
        r.id: r
        for r in conn.execute(
            select(
                _i.c.id,
                _i.c.status,
                _i.c.resolved_at,
                _i.c.resolved_in_release,
                _i.c.ignore_until,
                _i.c.ignore_until_count,
                _i.c.ignore_until_users,
                _i.c.times_seen,
                _i.c.first_seen,
                _i.c.last_seen,
                _i.c.first_release,
            )
            .where(_i.c.id.in_(list(deltas)))
            # Lock the issues (PostgreSQL); a merge that deleted one meanwhile makes this
            # batch fail and be retried with fresh hash lookups.
            .with_for_update()
        )
    }
    missing = set(deltas) - set(current)
    if missing:
        raise IssueGone(f"issues {sorted(missing)} were merged away during the batch")
    activity = [
        activity_row(i, project_id, "first_seen", created_at=deltas[i].first_received)
        for i in sorted(created)
    ]
    moved = _transitions(conn, project_id, current, deltas)
    _update_counters(conn, current, deltas)
    if moved:
        conn.execute(
            update(_i)
            .where(_i.c.id == bindparam("b_id"))
            .values(status="unresolved", substatus=bindparam("b_substatus"), **CLEARED_ON_REOPEN),
            [{"b_id": i, "b_substatus": t.substatus} for i, t in moved],
        )
        activity += [activity_row(i, project_id, t.kind, t.data, created_at=t.at) for i, t in moved]
    record_activity(conn, activity)


def _transitions(
    conn: Connection, project_id: int, current: Mapping[int, Any], deltas: dict[int, IssueDelta]
) -> list[tuple[int, Transition]]:
    """Issues that change status, with why. Reads the little extra it needs (user counts of
    issues ignored until a number of users, first sightings of releases of issues resolved
    in a release) only when the batch touches such issues."""
    waiting = [r for r in current.values() if r.status in ("resolved", "ignored")]
    if not waiting:
        return []
    users = _user_counts(conn, [r.id for r in waiting if r.ignore_until_users is not None])
    versions = {
        v for r in waiting if r.resolved_in_release is not None for v in deltas[r.id].releases if v
    }
    first_seen = _release_first_seen(conn, project_id, versions)
    now = time.time()
    moved = []
    for row in sorted(waiting, key=lambda r: int(r.id)):
        change = transition(
            row,
            deltas[row.id],
            user_count=users.get(row.id),
            release_first_seen=first_seen,
            now=now,
        )
        if change is not None:
            moved.append((int(row.id), change))
    return moved


def _user_counts(conn: Connection, issue_ids: list[int]) -> dict[int, int]:
    if not issue_ids:
        return {}
    u = tables.issue_users
    rows = conn.execute(
        select(u.c.issue_id, func.count()).where(u.c.issue_id.in_(issue_ids)).group_by(u.c.issue_id)
    )
    return {int(r[0]): int(r[1]) for r in rows}


def _release_first_seen(conn: Connection, project_id: int, versions: set[str]) -> dict[str, float]:
    if not versions:
        return {}
    r = tables.releases
    rows = conn.execute(
        select(r.c.version, r.c.first_seen).where(
            r.c.project_id == project_id, r.c.version.in_(sorted(versions))
        )
    )
    return {str(row[0]): float(row[1]) for row in rows}


def _update_counters(
    conn: Connection, current: Mapping[int, Any], deltas: dict[int, IssueDelta]
) -> None:
    users = tables.issue_users
    user_count = (
        select(func.count()).select_from(users).where(users.c.issue_id == _i.c.id).scalar_subquery()
    )
    params = []
    for issue_id, d in sorted(deltas.items()):
        row = current[issue_id]
        latest = d.latest
        newer = d.last_seen >= row.last_seen
        params.append(
            {
                "b_id": issue_id,
                "b_count": d.count,
                "b_first": min(row.first_seen, d.first_seen),
                "b_last": max(row.last_seen, d.last_seen),
                "b_first_release": row.first_release or d.first_release,
                "b_level": str(latest.get("level") or "error") if newer else None,
                "b_title": str(latest.get("title") or "") if newer else None,
                "b_culprit": str(latest.get("culprit") or "") if newer else None,
                "b_release": short(latest.get("release"), 250) if newer else None,
                "b_metadata": orjson.dumps(latest.get("metadata") or {}).decode()
                if newer
                else None,
            }
        )
    stmt = (
        update(_i)
        .where(_i.c.id == bindparam("b_id"))
        .values(
            times_seen=_i.c.times_seen + bindparam("b_count"),
            first_seen=bindparam("b_first"),
            last_seen=bindparam("b_last"),
            first_release=bindparam("b_first_release"),
            level=func.coalesce(bindparam("b_level", type_=String()), _i.c.level),
            title=func.coalesce(bindparam("b_title", type_=Text()), _i.c.title),
            culprit=func.coalesce(bindparam("b_culprit", type_=Text()), _i.c.culprit),
            last_release=func.coalesce(bindparam("b_release", type_=String()), _i.c.last_release),
            metadata=func.coalesce(bindparam("b_metadata", type_=Text()), _i.c.metadata),
            user_count=user_count,
        )
    )
    conn.execute(stmt, params)


def expire_ignores(conn: Connection, now: float | None = None) -> int:
    """Unignore issues whose ignore-until time has passed (no event needed); return how many.

    Uses the partial index on ``ignore_until``, so it reads only issues ignored for a time.
    """
    now = time.time() if now is None else now
    rows = conn.execute(
        select(_i.c.id, _i.c.project_id, _i.c.ignore_until)
        .where(_i.c.ignore_until <= now, _i.c.status == "ignored")
        .order_by(_i.c.id)
        .with_for_update()
    ).all()
    if not rows:
        return 0
    conn.execute(
        update(_i)
        .where(_i.c.id.in_([r.id for r in rows]))
        .values(status="unresolved", substatus="ongoing", **CLEARED_ON_REOPEN)
    )
    record_activity(
        conn,
        [
            activity_row(
                r.id, r.project_id, "unignored", {"reason": "time"}, created_at=r.ignore_until
            )
            for r in rows
        ],
    )
    return len(rows)


def sweep_ignores(db: Database, now: float | None = None) -> int:
    """:func:`expire_ignores` in a transaction of its own (the worker's timer)."""
    with db.write() as conn:
        return expire_ignores(conn, now)
