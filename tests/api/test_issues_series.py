"""Events over time from issue_counts: an issue's 24-hour and 30-day series, and the
sparklines of a page of issues."""

from __future__ import annotations

import pytest

from heron import query
from heron.query import QueryError
from heron.store import tables
from tests.api.harness import Heron, error_event

HOUR, DAY = 3600, 86400
NOW = 1_700_000_000 + 1234.5  # 2023-11-14 22:33:20 UTC, inside an hour and a day


def _counts(heron: Heron, rows: list[tuple[int, int, int]]) -> None:
    with heron.db.write() as conn:
        conn.execute(tables.issue_counts.delete())
        conn.execute(
            tables.issue_counts.insert(),
            [{"issue_id": i, "bucket": b, "count": n} for i, b, n in rows],
        )


def test_series_and_sparklines(heron: Heron) -> None:
    heron.send(error_event("ValueError", "one"), error_event("KeyError", "two"))
    one, two = heron.issue_id("one"), heron.issue_id("two")
    viewer = query.viewer_for_user(heron.db, 1)
    assert viewer is not None
    issue = query.get_issue(heron.db, viewer, one)
    assert issue is not None
    hour = int(NOW) - int(NOW) % HOUR
    today = int(NOW) - int(NOW) % DAY
    _counts(
        heron,
        [
            (one, hour, 5),  # this hour
            (one, hour - HOUR, 2),
            (one, hour - 23 * HOUR, 1),  # the oldest hour of the 24
            (one, hour - 24 * HOUR, 7),  # just outside 24 hours, inside 30 days
            (one, today - 29 * DAY, 4),  # the oldest day of the 30
            (one, today - 30 * DAY + HOUR * 5, 9),  # outside 30 days
            (two, hour - 3 * HOUR, 6),
        ],
    )
    day = query.issue_series(heron.db, issue, "24h", now=NOW)
    assert day.size == HOUR and len(day.buckets) == 24
    assert day.buckets[-1].start == hour and day.buckets[0].start == hour - 23 * HOUR
    assert [b.count for b in day.buckets][-2:] == [2, 5]
    assert day.buckets[0].count == 1
    assert day.total == 8

    month = query.issue_series(heron.db, issue, "30d", now=NOW)
    assert month.size == DAY and len(month.buckets) == 30
    assert month.buckets[-1].start == today and month.buckets[0].start == today - 29 * DAY
    assert month.buckets[0].count == 4
    assert month.total == 5 + 2 + 1 + 7 + 4

    lines = query.sparklines(heron.db, [one, two, 999_999], now=NOW)
    assert set(lines) == {one, two, 999_999}
    assert lines[one][-2:] == [2, 5] and lines[one][0] == 1 and sum(lines[one]) == 8
    assert lines[two][20] == 6 and sum(lines[two]) == 6
    assert lines[999_999] == [0] * 24
    assert query.sparklines(heron.db, []) == {}
    with pytest.raises(QueryError):
        query.issue_series(heron.db, issue, "7d")


def test_environments_of_the_viewers_projects(heron: Heron) -> None:
    project, _ = heron.other_org()
    heron.send(
        error_event("ValueError", "a", environment="production"),
        error_event("ValueError", "b", environment="staging"),
    )
    heron.send(error_event("ValueError", "c", environment="rival-env"), project_id=project)
    viewer = query.viewer_for_user(heron.db, 1)
    assert viewer is not None
    assert query.list_environments(heron.db, viewer) == ["production", "staging"]
    assert query.list_environments(heron.db, viewer, project_ids=[project]) == []
    assert query.list_environments(heron.db, viewer, project_ids=[heron.project_id]) == [
        "production",
        "staging",
    ]
