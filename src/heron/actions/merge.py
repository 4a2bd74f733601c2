"""Merging issues into one, and splitting a grouping hash back out into an issue of its own.

Both run in one write transaction. A merge moves rows (hashes, events, tag counters, users,
hourly counts, activity, bookmarks) and sums the issues' counters, so it never reads event
payloads. An unmerge has to know which tags and users the moved events carried, so it
recounts both issues from their stored events: that scans every event of the original issue
(fine for now; a per-event tag table would make it a query). Hourly counts move by the
moved events' timestamps. Both write an activity row on each issue they change.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, select, update

from heron.actions.errors import ActionError, NotFoundError
from heron.digest import hour_bucket
from heron.normalize import event_tags
from heron.query import base36
from heron.store import (
    Database,
    activity_row,
    allocate_short_id,
    record_activity,
    tables,
    unpack,
    upsert,
)

_TAG_MAX = 200  # as the digest truncates tag keys and values
_CHUNK = 500
_MAX_ISSUE_ID = 2**63 - 1  # what the id column holds; PostgreSQL rejects larger

_i = tables.issues
_h = tables.issue_hashes
_e = tables.events
_t = tables.issue_tags
_u = tables.issue_users
_c = tables.issue_counts
_a = tables.activity
_b = tables.bookmarks


def merge_issues(
    db: Database, project_id: int, issue_ids: Iterable[int], *, user_id: int | None = None
) -> int:
    """Fold the issues into the one with the most events; return that (surviving) issue's id.

    The children's hashes move to the parent, so their future events land there too; so do
    their hourly counts, activity and bookmarks. Their assignments go with them (they live on
    the deleted rows). ``user_id`` is who asked, for the parent's "merge" activity.
    """
    wanted = sorted(set(issue_ids))
    if len(wanted) < 2:
        raise ActionError("merging needs at least two issues")
    if any(not 0 < i <= _MAX_ISSUE_ID for i in wanted):
        raise NotFoundError("some of these issues do not exist in this project")
    with db.write() as conn:
        # Row locks (PostgreSQL) order this against a digest batch touching the same issues:
        # the digest locks them too before it commits, and retries if one has gone.
        rows = list(
            conn.execute(
                select(_i)
                .where(_i.c.id.in_(wanted), _i.c.project_id == project_id)
                .order_by(_i.c.id)
                .with_for_update()
            )
        )
        if len(rows) != len(wanted):
            raise NotFoundError("some of these issues do not exist in this project")
        # Most events wins; on a tie the oldest issue (smallest id), as a stable choice.
        parent = min(rows, key=lambda r: (-r.times_seen, r.id))
        children = sorted(r.id for r in rows if r.id != parent.id)
        conn.execute(update(_h).where(_h.c.issue_id.in_(children)).values(issue_id=parent.id))
        conn.execute(update(_e).where(_e.c.issue_id.in_(children)).values(issue_id=parent.id))
        _move_tags(conn, children, parent.id)
        _move_users(conn, children, parent.id)
        _fold_counts(conn, children, parent.id)
        _move_bookmarks(conn, children, parent.id)
        conn.execute(update(_a).where(_a.c.issue_id.in_(children)).values(issue_id=parent.id))
        conn.execute(update(_i).where(_i.c.id == parent.id).values(**_merged_totals(rows)))
        _refresh_user_count(conn, parent.id)
        conn.execute(delete(_i).where(_i.c.id.in_(children)))
        slug = _project_slug(conn, project_id)
        merged = [f"{slug}-{base36(r.short_id)}" for r in rows if r.id != parent.id]
        record_activity(
            conn,
            [activity_row(parent.id, project_id, "merge", {"issues": merged}, user_id=user_id)],
        )
    return int(parent.id)


def unmerge_hash(db: Database, issue_id: int, hash_: str, *, user_id: int | None = None) -> int:
    """Move one hash of the issue, and the events it routed, to a new issue; return its id.

    ``user_id`` is who asked, for the original issue's "unmerge" activity.
    """
    with db.write() as conn:
        issue = conn.execute(select(_i).where(_i.c.id == issue_id).with_for_update()).first()
        if issue is None:
            raise NotFoundError(f"issue {issue_id} does not exist")
        owned = list(conn.execute(select(_h).where(_h.c.issue_id == issue_id).order_by(_h.c.hash)))
        row = next((h for h in owned if h.hash == hash_), None)
        if row is None:
            raise NotFoundError(f"hash {hash_!r} does not belong to issue {issue_id}")
        if len(owned) < 2:
            raise ActionError("this is the issue's only hash: there is nothing to split off")
        routed = (_e.c.issue_id == issue_id, _e.c.hash == hash_)
        seen = conn.execute(select(_e.c.timestamp, _e.c.received_at).where(*routed)).all()
        moved = len(seen)
        newest = conn.execute(
            select(_e.c.data)
            .where(*routed)
            .order_by(_e.c.timestamp.desc(), _e.c.id.desc())
            .limit(1)
        ).scalar()
        new_id = _new_issue(conn, issue, row.strategy, unpack(newest) if newest else None)
        conn.execute(
            update(_h)
            .where(_h.c.project_id == row.project_id, _h.c.hash == hash_)
            .values(issue_id=new_id)
        )
        conn.execute(update(_e).where(*routed).values(issue_id=new_id))
        for target in (issue_id, new_id):
            _recount_tags_and_users(conn, target)
        # The original keeps the events it counted but no longer stores (if any).
        _refresh_from_events(conn, issue_id, times_seen=max(issue.times_seen - moved, 0))
        _refresh_from_events(conn, new_id, times_seen=moved)
        _split_counts(conn, issue_id, new_id, Counter(hour_bucket(r.timestamp) for r in seen))
        first = min((r.received_at for r in seen), default=time.time())
        record_activity(
            conn,
            [
                activity_row(
                    issue_id, issue.project_id, "unmerge", {"issue_id": new_id}, user_id=user_id
                ),
                activity_row(new_id, issue.project_id, "first_seen", created_at=first),
            ],
        )
    return new_id


def _merged_totals(rows: list[Any]) -> dict[str, Any]:
    by_first = sorted(rows, key=lambda r: r.first_seen)
    by_last = sorted(rows, key=lambda r: r.last_seen, reverse=True)
    return {
        "times_seen": sum(r.times_seen for r in rows),
        "first_seen": by_first[0].first_seen,
        "last_seen": by_last[0].last_seen,
        "first_release": next((r.first_release for r in by_first if r.first_release), None),
        "last_release": next((r.last_release for r in by_last if r.last_release), None),
    }


def _move_tags(conn: Connection, children: list[int], parent_id: int) -> None:
    rows = [
        {
            "issue_id": parent_id,
            "key": r.key,
            "value": r.value,
            "times_seen": r.times_seen,
            "first_seen": r.first_seen,
            "last_seen": r.last_seen,
        }
        for r in conn.execute(select(_t).where(_t.c.issue_id.in_(children)))
    ]
    # Several children may carry the same tag: fold them here, one row per key and value.
    folded: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        slot = folded.setdefault((r["key"], r["value"]), dict(r, times_seen=0))
        slot["times_seen"] += r["times_seen"]
        slot["first_seen"] = min(slot["first_seen"], r["first_seen"])
        slot["last_seen"] = max(slot["last_seen"], r["last_seen"])
    items = [folded[k] for k in sorted(folded)]
    for start in range(0, len(items), _CHUNK):
        upsert(
            conn,
            _t,
            items[start : start + _CHUNK],
            keys=("issue_id", "key", "value"),
            add=("times_seen",),
            set_min=("first_seen",),
            set_max=("last_seen",),
        )
    conn.execute(delete(_t).where(_t.c.issue_id.in_(children)))


def _move_users(conn: Connection, children: list[int], parent_id: int) -> None:
    keys = sorted(
        set(conn.execute(select(_u.c.user_key).where(_u.c.issue_id.in_(children))).scalars())
    )
    items = [{"issue_id": parent_id, "user_key": k} for k in keys]
    for start in range(0, len(items), _CHUNK):
        upsert(conn, _u, items[start : start + _CHUNK], keys=("issue_id", "user_key"))
    conn.execute(delete(_u).where(_u.c.issue_id.in_(children)))


def _fold_counts(conn: Connection, children: list[int], parent_id: int) -> None:
    """The children's events per hour, summed into the parent's."""
    rows = conn.execute(
        select(_c.c.bucket, func.sum(_c.c.count))
        .where(_c.c.issue_id.in_(children))
        .group_by(_c.c.bucket)
        .order_by(_c.c.bucket)
    )
    items = [{"issue_id": parent_id, "bucket": r[0], "count": int(r[1])} for r in rows]
    for start in range(0, len(items), _CHUNK):
        upsert(conn, _c, items[start : start + _CHUNK], keys=("issue_id", "bucket"), add=("count",))
    conn.execute(delete(_c).where(_c.c.issue_id.in_(children)))


def _move_bookmarks(conn: Connection, children: list[int], parent_id: int) -> None:
    """Whoever bookmarked a child has the parent bookmarked (since their first bookmark)."""
    rows = conn.execute(
        select(_b.c.user_id, func.min(_b.c.created_at))
        .where(_b.c.issue_id.in_(children))
        .group_by(_b.c.user_id)
        .order_by(_b.c.user_id)
    )
    items = [{"user_id": r[0], "issue_id": parent_id, "created_at": r[1]} for r in rows]
    for start in range(0, len(items), _CHUNK):
        upsert(
            conn,
            _b,
            items[start : start + _CHUNK],
            keys=("user_id", "issue_id"),
            set_min=("created_at",),
        )
    conn.execute(delete(_b).where(_b.c.issue_id.in_(children)))


def _split_counts(conn: Connection, source_id: int, new_id: int, moved: Counter[int]) -> None:
    """Move the moved events' hours from the source's counts to the new issue's."""
    buckets = sorted(moved)
    if not buckets:
        return
    conn.execute(
        update(_c)
        .where(_c.c.issue_id == source_id, _c.c.bucket == bindparam("b_bucket"))
        .values(count=_c.c.count - bindparam("b_count")),
        [{"b_bucket": b, "b_count": moved[b]} for b in buckets],
    )
    conn.execute(delete(_c).where(_c.c.issue_id == source_id, _c.c.count <= 0))
    for start in range(0, len(buckets), _CHUNK):
        conn.execute(
            _c.insert(),
            [
                {"issue_id": new_id, "bucket": b, "count": moved[b]}
                for b in buckets[start : start + _CHUNK]
            ],
        )


def _project_slug(conn: Connection, project_id: int) -> str:
    p = tables.projects
    return str(conn.execute(select(p.c.slug).where(p.c.id == project_id)).scalar_one()).upper()


def _refresh_user_count(conn: Connection, issue_id: int) -> None:
    count = conn.execute(
        select(func.count()).select_from(_u).where(_u.c.issue_id == issue_id)
    ).scalar_one()
    conn.execute(update(_i).where(_i.c.id == issue_id).values(user_count=int(count)))


def _issue_type(event: dict[str, Any]) -> str:
    """A performance event's issue type is in its problem; an error's is its event type."""
    problem = event.get("perf_problem")
    kind = problem.get("issue_type") if isinstance(problem, dict) else None
    if isinstance(kind, str) and kind.startswith("performance_"):
        return kind[:64]
    return str(event.get("type") or "error")


def _new_issue(conn: Connection, issue: Any, strategy: str, newest: Any) -> int:
    """An issue described by the newest moved event (or like ``issue`` when none moved)."""
    short_id = allocate_short_id(conn, issue.project_id)
    event: dict[str, Any] = newest if isinstance(newest, dict) else {}
    described = bool(event)
    result = conn.execute(
        _i.insert().values(
            project_id=issue.project_id,
            short_id=short_id,
            strategy=strategy,
            type=_issue_type(event) if described else issue.type,
            title=str(event.get("title") or "<unlabeled event>") if described else issue.title,
            culprit=str(event.get("culprit") or "") if described else issue.culprit,
            level=str(event.get("level") or "error") if described else issue.level,
            platform=str(event.get("platform") or "other") if described else issue.platform,
            logger=event.get("logger") if described else issue.logger,
            status="unresolved",
            substatus="new",
            first_seen=issue.first_seen,
            last_seen=issue.last_seen,
            times_seen=0,
            user_count=0,
            metadata=orjson.dumps(event.get("metadata") or {}).decode()
            if described
            else issue.metadata,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _recount_tags_and_users(conn: Connection, issue_id: int) -> None:
    """Rebuild the issue's tag counters and users from its stored events."""
    counts: dict[tuple[str, str], list[float]] = {}
    users: set[str] = set()
    rows = conn.execute(
        select(_e.c.timestamp, _e.c.user_key, _e.c.data).where(_e.c.issue_id == issue_id)
    )
    for r in rows:
        if r.user_key:
            users.add(r.user_key)
        data = unpack(r.data)
        for key, value in event_tags(data) if isinstance(data, dict) else []:
            slot = counts.setdefault(
                (key[:_TAG_MAX], value[:_TAG_MAX]), [0, r.timestamp, r.timestamp]
            )
            slot[0] += 1
            slot[1] = min(slot[1], r.timestamp)
            slot[2] = max(slot[2], r.timestamp)
    conn.execute(delete(_t).where(_t.c.issue_id == issue_id))
    conn.execute(delete(_u).where(_u.c.issue_id == issue_id))
    tag_rows = [
        {
            "issue_id": issue_id,
            "key": k,
            "value": v,
            "times_seen": int(c[0]),
            "first_seen": c[1],
            "last_seen": c[2],
        }
        for (k, v), c in sorted(counts.items())
    ]
    user_rows = [{"issue_id": issue_id, "user_key": u} for u in sorted(users)]
    for start in range(0, len(tag_rows), _CHUNK):
        conn.execute(_t.insert(), tag_rows[start : start + _CHUNK])
    for start in range(0, len(user_rows), _CHUNK):
        conn.execute(_u.insert(), user_rows[start : start + _CHUNK])


def _refresh_from_events(conn: Connection, issue_id: int, *, times_seen: int) -> None:
    """Seen times and releases from the issue's stored events; user count from its users."""
    span = conn.execute(
        select(func.min(_e.c.timestamp), func.max(_e.c.timestamp)).where(_e.c.issue_id == issue_id)
    ).one()
    values: dict[str, Any] = {"times_seen": times_seen}
    if span[0] is not None:
        values.update(first_seen=span[0], last_seen=span[1])
        with_release = select(_e.c.release).where(
            _e.c.issue_id == issue_id, _e.c.release.is_not(None)
        )
        values["first_release"] = conn.execute(
            with_release.order_by(_e.c.timestamp, _e.c.id).limit(1)
        ).scalar()
        values["last_release"] = conn.execute(
            with_release.order_by(_e.c.timestamp.desc(), _e.c.id.desc()).limit(1)
        ).scalar()
    conn.execute(update(_i).where(_i.c.id == issue_id).values(**values))
    _refresh_user_count(conn, issue_id)
