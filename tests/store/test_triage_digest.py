"""The digest side of triage, on both backends: hourly counts, releases and environments,
activity, and the status changes events cause (regressions, ignores that run out)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from heron.digest import hour_bucket, run_in_thread, sweep_ignores
from heron.settings import load
from heron.store import Database, tables
from tests.store.triage_helpers import (
    activity,
    counts,
    event,
    issue,
    issues,
    project,
    send,
    set_issue,
)

HOUR = 3600
NOW = time.time()


def test_hourly_counts_match_the_events_sent(db: Database) -> None:
    pid = project(db)
    base = (NOW // HOUR - 5) * HOUR  # the start of an hour, five hours ago
    first = [event("a", ts=base + 10), event("a", ts=base + 3599), event("b", ts=base + 20)]
    second = [event("a", ts=base + 3600), event("a", ts=base + 30), event("b", ts=base + 7300)]
    send(db, pid, *first)
    send(db, pid, *second)  # the same hours again: the upsert adds
    a, b = issues(db)
    assert counts(db, a.id) == {int(base): 3, int(base) + HOUR: 1}
    assert counts(db, b.id) == {int(base): 1, int(base) + 2 * HOUR: 1}
    expected = Counter(hour_bucket(e["timestamp"]) for e in first + second)
    assert sum(expected.values()) == a.times_seen + b.times_seen
    assert Counter(counts(db, a.id)) + Counter(counts(db, b.id)) == expected


def test_releases_and_environments_are_recorded_by_arrival(db: Database) -> None:
    pid = project(db)
    # The event's own clock is a day old; "first seen" is when Heron received it.
    send(db, pid, event(release="1.0", ts=NOW - 86400), at=NOW - 50)
    send(db, pid, event(release="1.0", environment="staging"), event(release="2.0"), at=NOW - 10)
    send(db, pid, event(release="1.0", environment=None), at=NOW - 100)  # a late straggler
    send(db, pid, event(release=None, environment="production"), at=NOW)
    with db.read() as conn:
        releases = {
            r.version: (r.first_seen, r.last_seen)
            for r in conn.execute(
                select(tables.releases).where(tables.releases.c.project_id == pid)
            )
        }
        environments = set(
            conn.execute(
                select(tables.environments.c.name).where(tables.environments.c.project_id == pid)
            ).scalars()
        )
    assert releases == {"1.0": (NOW - 100, NOW - 10), "2.0": (NOW - 10, NOW - 10)}
    assert environments == {"production", "staging"}


def test_a_new_issue_gets_one_first_seen_activity(db: Database) -> None:
    pid = project(db)
    send(db, pid, event("a"), event("a"), event("b"), at=NOW - 5)
    send(db, pid, event("a"))
    a, b = issues(db)
    assert activity(db, a.id) == [("first_seen", {})]
    assert activity(db, b.id) == [("first_seen", {})]
    with db.read() as conn:
        created = conn.execute(select(tables.activity.c.created_at).limit(1)).scalar_one()
    assert created == NOW - 5


def test_an_event_after_a_plain_resolve_regresses(db: Database) -> None:
    pid = project(db)
    send(db, pid, event(), at=NOW - 100)
    [i] = issues(db)
    set_issue(db, i.id, status="resolved", resolved_at=NOW - 50)
    send(db, pid, event(release="0.9"), at=NOW - 60)  # sent before the resolve, digested late
    assert issue(db, i.id).status == "resolved"
    send(db, pid, event(release="1.1"), at=NOW - 10)
    after = issue(db, i.id)
    assert (after.status, after.substatus, after.resolved_at) == ("unresolved", "regressed", None)
    assert after.times_seen == 3
    assert activity(db, i.id)[-1] == ("regression", {"release": "1.1"})


def test_resolved_in_next_release_ignores_old_releases_and_regresses_on_a_new_one(
    db: Database,
) -> None:
    pid = project(db)
    send(db, pid, event(release="1.0"), at=NOW - 300)
    send(db, pid, event("other", release="1.0-hotfix"), at=NOW - 250)  # seen before the resolve
    [i, _other] = issues(db)
    set_issue(db, i.id, status="resolved", resolved_at=NOW - 200, resolved_in_release="1.0")

    send(db, pid, event(release="1.0"), at=NOW - 100)  # the old release keeps failing
    send(db, pid, event(release="1.0-hotfix"), at=NOW - 90)  # an older release than the fix
    send(db, pid, event(release=None), at=NOW - 80)  # no release: cannot say it is newer
    still = issue(db, i.id)
    assert (still.status, still.resolved_in_release, still.times_seen) == ("resolved", "1.0", 4)
    assert [kind for kind, _ in activity(db, i.id)] == ["first_seen"]

    send(db, pid, event(release="1.0"), event(release="1.1"), at=NOW - 10)
    after = issue(db, i.id)
    assert (after.status, after.substatus) == ("unresolved", "regressed")
    assert (after.resolved_at, after.resolved_in_release, after.times_seen) == (None, None, 6)
    assert activity(db, i.id)[-1] == ("regression", {"release": "1.1"})


def test_the_release_named_in_the_resolution_never_regresses_it(db: Database) -> None:
    """Resolved in 1.0 before 1.0 ever reported: its first events are not "a newer release"."""
    pid = project(db)
    send(db, pid, event(release="0.9"), at=NOW - 300)
    [i] = issues(db)
    set_issue(db, i.id, status="resolved", resolved_at=NOW - 200, resolved_in_release="1.0")
    send(db, pid, event(release="1.0"), at=NOW - 100)
    assert issue(db, i.id).status == "resolved"
    send(db, pid, event(release="1.0.1"), at=NOW - 50)
    assert issue(db, i.id).status == "unresolved"


def test_ignored_until_a_count_comes_back_escalating(db: Database) -> None:
    pid = project(db)
    send(db, pid, event())
    [i] = issues(db)
    set_issue(db, i.id, status="ignored", substatus="archived", ignore_until_count=4)
    send(db, pid, event(), event())
    assert (issue(db, i.id).status, issue(db, i.id).times_seen) == ("ignored", 3)
    send(db, pid, event())  # reaching the target is enough
    after = issue(db, i.id)
    assert (after.status, after.substatus, after.times_seen) == ("unresolved", "escalating", 4)
    assert after.ignore_until_count is None
    assert activity(db, i.id)[-1] == ("unignored", {"reason": "count"})


def test_ignored_until_a_number_of_users_comes_back_escalating(db: Database) -> None:
    pid = project(db)
    send(db, pid, event(user="ann"))
    [i] = issues(db)
    set_issue(db, i.id, status="ignored", substatus="archived", ignore_until_users=2)
    send(db, pid, event(user="ann"), event(user="ann"), event(user="ann"))
    assert issue(db, i.id).status == "ignored"
    send(db, pid, event(user="bob"))
    after = issue(db, i.id)
    assert (after.status, after.substatus, after.user_count) == ("unresolved", "escalating", 2)
    assert after.ignore_until_users is None
    assert activity(db, i.id)[-1] == ("unignored", {"reason": "users"})


def test_ignored_until_a_time_comes_back_with_the_next_event_after_it(db: Database) -> None:
    pid = project(db)
    send(db, pid, event())
    [i] = issues(db)
    set_issue(db, i.id, status="ignored", substatus="archived", ignore_until=time.time() + 3600)
    send(db, pid, event())
    assert issue(db, i.id).status == "ignored"
    set_issue(db, i.id, ignore_until=time.time() - 1)
    send(db, pid, event())
    after = issue(db, i.id)
    assert (after.status, after.substatus, after.ignore_until) == ("unresolved", "ongoing", None)
    assert activity(db, i.id)[-1] == ("unignored", {"reason": "time"})


def test_ignored_forever_stays_ignored_and_counts(db: Database) -> None:
    pid = project(db)
    send(db, pid, event())
    [i] = issues(db)
    set_issue(db, i.id, status="ignored", substatus="archived")
    send(db, pid, *(event(user=f"u{n}") for n in range(5)))
    assert (issue(db, i.id).status, issue(db, i.id).times_seen) == ("ignored", 6)


def _four_ignores(db: Database) -> tuple[int, int, int, int]:
    """Issues ignored until a past time, until a future time, forever; and one unresolved
    issue that still carries a past time (the sweep leaves it alone)."""
    pid = project(db)
    send(db, pid, event("a"), event("b"), event("c"), event("d"))
    a, b, c, d = (i.id for i in issues(db))
    set_issue(db, a, status="ignored", ignore_until=NOW - 30, ignore_until_count=1000)
    set_issue(db, b, status="ignored", ignore_until=NOW + 3600)
    set_issue(db, c, status="ignored")
    set_issue(db, d, ignore_until=NOW - 30)
    return a, b, c, d


def test_the_sweep_brings_back_ignores_whose_time_has_passed(db: Database) -> None:
    a, b, c, d = _four_ignores(db)
    assert sweep_ignores(db, now=NOW) == 1
    after = issue(db, a)
    assert (after.status, after.substatus) == ("unresolved", "ongoing")
    assert (after.ignore_until, after.ignore_until_count) == (None, None)
    assert [issue(db, i).status for i in (b, c, d)] == ["ignored", "ignored", "unresolved"]
    assert activity(db, a)[-1] == ("unignored", {"reason": "time"})
    with db.read() as conn:
        stamp = conn.execute(
            select(tables.activity.c.created_at).where(tables.activity.c.kind == "unignored")
        ).scalar_one()
    assert stamp == NOW - 30  # when the ignore ran out, not when the sweep noticed
    assert sweep_ignores(db, now=NOW) == 0  # nothing twice
    assert sweep_ignores(db, now=NOW + 7200) == 1  # b's turn
    assert issue(db, b).status == "unresolved"


def test_the_digest_worker_runs_the_sweep(db: Database, tmp_path: Path) -> None:
    a, _b, _c, _d = _four_ignores(db)
    set_issue(db, a, ignore_until=time.time() - 1)
    config = load({}, data_dir=str(tmp_path), database_url=db.url, digest_processes=1)
    thread, stop = run_in_thread(config)
    try:
        deadline = time.monotonic() + 20
        while issue(db, a).status != "unresolved" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert issue(db, a).status == "unresolved"


def test_the_sweep_reads_the_partial_index(db: Database) -> None:
    query = "SELECT id FROM issues WHERE ignore_until <= 1 AND status = 'ignored'"
    with db.write() as conn:
        if db.is_sqlite:
            explain = "EXPLAIN QUERY PLAN " + query
        else:  # the planner picks by table size; ask whether the index can serve at all
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN " + query
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(explain))
    assert "ix_issues_ignore_until" in plan
