"""Merging and unmerging keep the triage bookkeeping right: hourly counts, activity, bookmarks."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sqlalchemy import select

from heron import actions
from heron.digest import hour_bucket
from heron.store import Database, tables
from tests.store.triage_helpers import activity, counts, event, issue, issues, project, send

HOUR = 3600
BASE = (time.time() // HOUR - 10) * HOUR


def _bookmark(db: Database, user_id: int, issue_id: int, at: float) -> None:
    with db.write() as conn:
        conn.execute(
            tables.bookmarks.insert().values(user_id=user_id, issue_id=issue_id, created_at=at)
        )


def _bookmarks(db: Database) -> set[tuple[int, int, float]]:
    b = tables.bookmarks
    with db.read() as conn:
        return {(r.user_id, r.issue_id, r.created_at) for r in conn.execute(select(b))}


def _all_counts(db: Database) -> dict[int, dict[int, int]]:
    with db.read() as conn:
        rows = list(conn.execute(select(tables.issue_counts)))
    out: dict[int, dict[int, int]] = {}
    for r in rows:
        out.setdefault(int(r.issue_id), {})[int(r.bucket)] = int(r.count)
    return out


def _three_issues(db: Database) -> tuple[int, list[Any]]:
    """ "a" (3 events), "b" (2) and "c" (1), in overlapping hours."""
    pid = project(db)
    send(
        db,
        pid,
        event("a", ts=BASE + 10),
        event("a", ts=BASE + 20),
        event("a", ts=BASE + HOUR + 5),
        event("b", ts=BASE + 30),
        event("b", ts=BASE + 2 * HOUR),
        event("c", ts=BASE + HOUR + 50),
    )
    return pid, issues(db)


def test_merge_folds_counts_moves_activity_and_bookmarks(db: Database) -> None:
    pid, (a, b, c) = _three_issues(db)
    _bookmark(db, 7, a.id, 100.0)
    _bookmark(db, 7, b.id, 50.0)  # the same person had the child bookmarked earlier
    _bookmark(db, 8, c.id, 70.0)
    with db.write() as conn:
        conn.execute(tables.issues.update().values(assignee_user_id=7))

    parent = actions.merge_issues(db, pid, [c.id, b.id, a.id], user_id=7)

    assert parent == a.id
    base = int(BASE)
    assert _all_counts(db) == {a.id: {base: 3, base + HOUR: 2, base + 2 * HOUR: 1}}
    assert sum(counts(db, a.id).values()) == issue(db, a.id).times_seen == 6
    # The children's first sightings moved with them; the merge is the parent's latest entry.
    kinds = [kind for kind, _ in activity(db, a.id)]
    assert kinds == ["first_seen", "first_seen", "first_seen", "merge"]
    assert activity(db, a.id)[-1] == ("merge", {"issues": ["WEB-2", "WEB-3"]})
    with db.read() as conn:
        who = conn.execute(
            select(tables.activity.c.user_id).where(tables.activity.c.kind == "merge")
        ).scalar_one()
        orphans = conn.execute(
            select(tables.activity.c.id).where(tables.activity.c.issue_id.in_([b.id, c.id]))
        ).all()
    assert (who, orphans) == (7, [])
    assert _bookmarks(db) == {(7, a.id, 50.0), (8, a.id, 70.0)}
    # Only the parent is left to carry an assignment.
    with db.read() as conn:
        assigned = conn.execute(
            select(tables.issues.c.id).where(tables.issues.c.assignee_user_id.is_not(None))
        ).all()
    assert [r.id for r in assigned] == [a.id]


def test_events_after_a_merge_count_into_the_parent(db: Database) -> None:
    pid, (a, b, _c) = _three_issues(db)
    parent = actions.merge_issues(db, pid, [a.id, b.id])
    send(db, pid, event("b", ts=BASE + 40))
    assert counts(db, parent)[int(BASE)] == 4
    assert b.id not in _all_counts(db)


def test_unmerge_splits_counts_by_the_moved_events(db: Database) -> None:
    pid, (a, b, c) = _three_issues(db)
    parent = actions.merge_issues(db, pid, [a.id, b.id])
    before = Counter(counts(db, parent))
    with db.read() as conn:
        b_hash = conn.execute(
            select(tables.events.c.hash).where(tables.events.c.title.contains("in b")).limit(1)
        ).scalar_one()

    new_id = actions.unmerge_hash(db, parent, b_hash, user_id=9)

    base = int(BASE)
    assert counts(db, new_id) == {base: 1, base + 2 * HOUR: 1}
    assert counts(db, parent) == {base: 2, base + HOUR: 1}  # the emptied hour is gone
    assert Counter(counts(db, parent)) + Counter(counts(db, new_id)) == before
    with db.read() as conn:
        stamps = conn.execute(
            select(tables.events.c.timestamp).where(tables.events.c.issue_id == new_id)
        ).scalars()
        expected = Counter(hour_bucket(t) for t in stamps)
    assert Counter(counts(db, new_id)) == expected
    assert issue(db, new_id).times_seen == sum(expected.values())
    assert activity(db, parent)[-1] == ("unmerge", {"issue_id": new_id})
    assert activity(db, new_id) == [("first_seen", {})]
    assert counts(db, c.id) == {base + HOUR: 1}  # an issue not involved is untouched
