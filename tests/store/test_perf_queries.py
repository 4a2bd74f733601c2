"""The performance read models over real digested data, on both backends: figures per
transaction and in total, series, histograms, span groups, single transactions and traces."""

from __future__ import annotations

import math
import uuid
from typing import Any

import orjson
import pytest

from heron.digest import drain
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.query import (
    PerfScope,
    duration_histogram,
    get_trace,
    list_transaction_events,
    perf_series,
    perf_totals,
    profile_of,
    related_issues,
    slowest_transactions,
    span_groups,
    span_ops,
    transaction_figures,
)
from heron.query.errors import QueryError
from heron.query.performance import tiles
from heron.store import Database
from heron.store import accounts as acc
from tests.store.test_perf_digest import NOW, exact, send, transaction
from tests.store.triage_helpers import project

HOUR, DAY = 3600, 86400
RECENT = (NOW // HOUR - 1) * HOUR + 600.0  # ten minutes into the previous hour


def _durations(n: int, seed: int) -> list[float]:
    return [float(3 + (i * seed) % 700) for i in range(n)]


def _send_envelope(db: Database, project_id: int, *items: tuple[dict[str, Any], Any]) -> None:
    body = serialize_envelope(
        Envelope({}, [Item(headers, orjson.dumps(payload)) for headers, payload in items])
    )
    inbox_for(db).append([InboxRecord(project_id, body, received_at=NOW)])
    drain(db)


def test_tiles_cover_the_range_with_the_largest_buckets() -> None:
    start, end = 2 * DAY + 5 * HOUR + 120, 5 * DAY + 2 * HOUR + 60
    pieces = tiles(start, end)
    assert pieces == [
        (60, start, 2 * DAY + 6 * HOUR),
        (HOUR, 2 * DAY + 6 * HOUR, 3 * DAY),
        (DAY, 3 * DAY, 5 * DAY),
        (HOUR, 5 * DAY, 5 * DAY + 2 * HOUR),
        (60, 5 * DAY + 2 * HOUR, end),
    ]
    assert tiles(0, DAY) == [(DAY, 0, DAY)]
    assert tiles(60, 60) == []


def test_long_ranges_read_whole_days_at_their_edges() -> None:
    now = 10 * DAY + 15 * HOUR + 1234.0
    week = PerfScope((1,), now - 7 * DAY, now)
    assert week.aligned() == (3 * DAY, 10 * DAY + 16 * HOUR)  # a week starts at 00:00 UTC
    # Reaching the present, the current day is read from its day row: 8 rows, no hours.
    assert week.pieces(now=now) == [(DAY, 3 * DAY, 11 * DAY)]
    # A range that ended in the past keeps its hour rows at the end.
    assert week.pieces(now=now + DAY) == [
        (DAY, 3 * DAY, 10 * DAY),
        (HOUR, 10 * DAY, 10 * DAY + 16 * HOUR),
    ]
    two_days = PerfScope((1,), now - 2 * DAY, now)
    assert two_days.aligned() == (8 * DAY + 15 * HOUR, 10 * DAY + 16 * HOUR)
    assert two_days.pieces(now=now) == [
        (HOUR, 8 * DAY + 15 * HOUR, 9 * DAY),
        (DAY, 9 * DAY, 11 * DAY),
    ]
    day = PerfScope((1,), now - DAY, now)
    assert day.pieces(now=now) == [
        (60, 9 * DAY + 15 * HOUR + 1200, 9 * DAY + 16 * HOUR),
        (HOUR, 9 * DAY + 16 * HOUR, 10 * DAY),
        (DAY, 10 * DAY, 11 * DAY),
    ]
    hour = PerfScope((1,), now - HOUR, now)  # never wider than a day: minutes only
    assert hour.pieces(now=now) == [(60, now - HOUR - 1234 % 60, 10 * DAY + 15 * HOUR + 1260)]


def test_figures_per_transaction_and_in_total(db: Database) -> None:
    pid = project(db)
    orders, pay = _durations(40, 37), _durations(25, 53)
    send(db, pid, *[transaction("GET /orders", d, end=RECENT + i) for i, d in enumerate(orders)])
    send(
        db,
        pid,
        *[
            transaction("POST /pay", d, end=RECENT + i, status="internal_error" if i < 5 else "ok")
            for i, d in enumerate(pay)
        ],
    )
    drain(db)
    scope = PerfScope.for_period([pid], "24h", now=NOW)
    rows = transaction_figures(db, scope, sort="-count")
    assert [(r.name, r.count, r.failures) for r in rows] == [
        ("GET /orders", 40, 0),
        ("POST /pay", 25, 5),
    ]
    for row, values in zip(rows, (orders, pay), strict=True):
        for attr, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
            got = getattr(row, attr)
            assert abs(got - exact(values, q)) <= 0.0101 * exact(values, q), (row.name, attr)
        assert row.avg_ms == pytest.approx(sum(values) / len(values), rel=1e-6)
        satisfied = sum(1 for v in values if v <= 300)
        tolerating = sum(1 for v in values if 300 < v <= 1200)
        assert row.apdex == pytest.approx((satisfied + tolerating / 2) / len(values), abs=0.03)
        assert row.tpm == pytest.approx(len(values) * 60 / scope.seconds)
    assert rows[1].failure_rate == pytest.approx(0.2)
    by_p95 = transaction_figures(db, scope, sort="-p95")
    assert by_p95[0].p95_ms >= by_p95[1].p95_ms  # type: ignore[operator]
    assert [r.name for r in transaction_figures(db, scope, sort="name")] == [
        "GET /orders",
        "POST /pay",
    ]
    # A limit ranks every name first and gives the shown ones their full figures: the same
    # rows as the whole list's first ones, for every sort.
    for sort in ("-count", "p95", "-p95", "-apdex", "failure_rate", "-user_misery", "name"):
        assert (
            transaction_figures(db, scope, sort=sort, limit=1)
            == (transaction_figures(db, scope, sort=sort)[:1])
        ), sort
    # A stricter threshold lowers apdex.
    strict = transaction_figures(db, scope, apdex_ms={pid: 50.0}, sort="name")
    assert strict[0].apdex < rows[0].apdex  # type: ignore[operator]

    total = perf_totals(db, scope)
    assert (total.count, total.failures) == (65, 5)
    both = orders + pay
    assert abs(total.p95_ms - exact(both, 0.95)) <= 0.0101 * exact(both, 0.95)  # type: ignore[operator]
    one = perf_totals(db, PerfScope.for_period([pid], "24h", now=NOW, transaction="POST /pay"))
    assert (one.name, one.count) == ("POST /pay", 25)

    # Filters: another environment or release sees nothing; another project neither.
    assert (
        transaction_figures(db, PerfScope.for_period([pid], "24h", now=NOW, environment="x")) == []
    )
    assert (
        perf_totals(db, PerfScope.for_period([pid], "24h", now=NOW, release="shop@1.0")).count == 65
    )
    assert perf_totals(db, PerfScope.for_period([pid + 999], "24h", now=NOW)).count == 0
    with pytest.raises(QueryError):
        transaction_figures(db, scope, sort="-nope")
    with pytest.raises(QueryError):
        PerfScope.for_period([pid], "2y")


def test_ranges_longer_than_a_day_read_day_and_hour_rows(db: Database) -> None:
    pid = project(db)
    ends = [NOW - 3 * DAY - 1000 + i for i in range(10)]  # whole days back
    ends += [NOW - 26 * HOUR + i for i in range(7)]  # an hour row at the range's edge
    ends += [RECENT + i for i in range(5)]
    send(db, pid, *[transaction("GET /a", 10.0 + i, end=e) for i, e in enumerate(ends)])
    drain(db)
    week = PerfScope.for_period([pid], "7d", now=NOW)
    assert perf_totals(db, week).count == 22
    assert [r.count for r in transaction_figures(db, week)] == [22]
    # A range starting between the old and the recent ones: only what lies inside counts.
    two_days = PerfScope(tuple([pid]), NOW - 2 * DAY, NOW)
    assert perf_totals(db, two_days).count == 12
    series = perf_series(db, week, interval=DAY)
    assert sum(p.figures.count for p in series) == 22
    assert len(series) in (7, 8)
    # Charts of durations skip users and measurements, and nothing else.
    light = perf_series(db, week, interval=DAY, durations_only=True)
    for full, quick in zip(series, light, strict=True):
        assert quick.figures.users == 0 and quick.figures.user_misery is None
        for attr in ("count", "failures", "tpm", "p50_ms", "p95_ms", "p99_ms", "apdex", "avg_ms"):
            assert getattr(quick.figures, attr) == getattr(full.figures, attr), attr
    assert any(p.figures.users for p in series)
    hourly = perf_series(db, PerfScope.for_period([pid], "24h", now=NOW))
    assert len(hourly) in (24, 25)
    assert sum(p.figures.count for p in hourly) == 5
    assert all(p.figures.p95_ms is None for p in hourly if p.figures.count == 0)
    with pytest.raises(QueryError):
        perf_series(db, week, interval=7)


def test_filters_read_the_same_figures_from_rows_over_all_values(db: Database) -> None:
    """Unfiltered pages read the rows over all environments and releases, an environment
    filter those over all its releases: every filter gives what the raw transactions say."""
    pid = project(db)
    sent: list[tuple[str, str, str, float, float]] = []  # name, env, release, end, duration
    payloads = []
    for i in range(60):
        name = ("GET /a", "GET /b")[i % 2]
        env = ("production", "staging", "")[i % 3]
        release = ("r1", "r2", "r3", "r4")[i % 4]
        end = NOW - (i % 6) * DAY - (i % 5) * HOUR - 30
        duration = float(5 + (i * 41) % 800)
        payload = transaction(name, duration, end=end)
        payload["environment"] = env or None
        payload["release"] = release
        sent.append((name, env, release, end, duration))
        payloads.append(payload)
    # A real environment never looks like the rows over all of them.
    payloads[0]["environment"] = "pro\x1fduction"
    send(db, pid, *payloads)
    for period in ("24h", "7d"):
        for env in (None, "production", "staging", "nowhere"):
            for release in (None, "r1", "r3"):
                scope = PerfScope.for_period(
                    [pid], period, now=NOW, environment=env, release=release
                )
                start, end = scope.aligned()
                wanted = [
                    s
                    for s in sent
                    if start <= s[3] < end
                    and (env is None or s[1] == env)
                    and (release is None or s[2] == release)
                ]
                label = (period, env, release)
                figures = {f.name: f for f in transaction_figures(db, scope)}
                for name in ("GET /a", "GET /b"):
                    durations = [s[4] for s in wanted if s[0] == name]
                    got = figures.get(name)
                    assert (got.count if got else 0) == len(durations), (label, name)
                    if got is not None:
                        assert got.avg_ms == pytest.approx(sum(durations) / len(durations))
                total = perf_totals(db, scope)
                assert total.count == len(wanted), label
                # A series counts whole buckets: its first may start before the range.
                series = perf_series(db, scope)
                first = series[0].start
                in_series = [
                    s
                    for s in sent
                    if first <= s[3] < end
                    and (env is None or s[1] == env)
                    and (release is None or s[2] == release)
                ]
                assert sum(p.figures.count for p in series) == len(in_series), label


def test_histogram_spans_and_single_transactions(db: Database) -> None:
    pid = project(db)
    values = _durations(30, 41)
    payloads = [
        transaction("GET /orders", d, end=RECENT + i, db_ids=3) for i, d in enumerate(values)
    ]
    send(db, pid, *payloads)
    drain(db)
    scope = PerfScope.for_period([pid], "24h", now=NOW, transaction="GET /orders")
    bins = duration_histogram(db, scope, bins=10)
    assert len(bins) == 10
    assert sum(b.count for b in bins) == 30
    assert bins[0].start_ms <= min(values) * 1.01

    groups = span_groups(db, scope)
    assert [(g.op, g.description, g.count) for g in groups] == [
        ("db", "SELECT * FROM orders WHERE id = ?", 90)
    ]
    assert groups[0].total_ms == pytest.approx(90 * 2.0, rel=0.02)
    ops = span_ops(db, scope)
    assert [(o.op, o.count, o.share) for o in ops] == [("db", 90, 1.0)]

    slowest = slowest_transactions(db, scope, limit=3)
    assert [round(s.duration_ms) for s in slowest] == sorted(
        (round(v) for v in values), reverse=True
    )[:3]
    latest = list_transaction_events(db, scope, sort="-timestamp", limit=2)
    assert latest[0].timestamp >= latest[1].timestamp
    assert not any(s.has_profile for s in slowest)

    # A profile sent with the slowest transaction links to it.
    target = slowest[0]
    profile = {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "transaction": {"id": target.event_id},
    }
    body = serialize_envelope(
        Envelope({"event_id": target.event_id}, [Item({"type": "profile"}, orjson.dumps(profile))])
    )
    inbox_for(db).append([InboxRecord(pid, body, received_at=NOW)])
    drain(db)
    again = slowest_transactions(db, scope, limit=1)[0]
    assert again.event_id == target.event_id and again.has_profile
    stored = profile_of(db, pid, target.event_id)
    assert stored is not None and orjson.loads(stored)["transaction"]["id"] == target.event_id
    assert profile_of(db, pid, uuid.uuid4().hex) is None
    with pytest.raises(QueryError):
        list_transaction_events(db, scope, sort="size")


def test_trace_links_transactions_spans_and_errors(db: Database) -> None:
    pid = project(db)
    with db.write() as conn:
        other = acc.create_project(conn, acc.create_organization(conn, "rival"), "web")
    txn = transaction("GET /orders", 120.0, end=RECENT, db_ids=3)
    trace_id = txn["contexts"]["trace"]["trace_id"]
    root = txn["contexts"]["trace"]["span_id"]
    child = txn["spans"][1]["span_id"]
    send(db, pid, txn)
    error = {
        "event_id": uuid.uuid4().hex,
        "timestamp": RECENT,
        "transaction": "GET /orders",
        "exception": {"values": [{"type": "KeyError", "value": "order"}]},
        "contexts": {"trace": {"trace_id": trace_id, "span_id": child}},
    }
    # A downstream service's span-v2 segment in the same trace, child of a db span.
    v2_root = uuid.uuid4().hex[:16]
    v2 = {
        "items": [
            {
                "trace_id": trace_id,
                "span_id": v2_root,
                "parent_span_id": child,
                "name": "GET /inventory",
                "status": "ok",
                "is_segment": True,
                "start_timestamp": RECENT - 0.05,
                "end_timestamp": RECENT - 0.01,
                "attributes": {"sentry.op": {"type": "string", "value": "http.server"}},
            },
            {
                "trace_id": trace_id,
                "span_id": uuid.uuid4().hex[:16],
                "parent_span_id": v2_root,
                "name": "SELECT 1",
                "status": "ok",
                "is_segment": False,
                "start_timestamp": RECENT - 0.04,
                "end_timestamp": RECENT - 0.03,
                "attributes": {
                    "sentry.op": {"type": "string", "value": "db"},
                    "sentry.segment.id": {"type": "string", "value": v2_root},
                },
            },
        ]
    }
    _send_envelope(
        db,
        pid,
        ({"type": "event"}, error),
        (
            {
                "type": "span",
                "item_count": 2,
                "content_type": "application/vnd.sentry.items.span.v2+json",
            },
            v2,
        ),
    )
    trace = get_trace(db, [pid], trace_id.upper())
    assert trace is not None
    assert {t.name for t in trace.transactions} == {"GET /orders", "GET /inventory"}
    depths = {s.span_id: s.depth for s in trace.spans}
    assert depths[root] == 0
    assert depths[child] == 1
    assert depths[v2_root] == 2
    assert len(trace.spans) == 1 + 3 + 2
    assert trace.spans[0].span_id == root
    assert [(e.event_id, e.span_id) for e in trace.errors] == [(error["event_id"], child)]
    assert trace.errors[0].issue_id is not None and trace.errors[0].short_id
    assert trace.duration_ms == pytest.approx(120.0, rel=0.01)

    issues = related_issues(
        db, PerfScope.for_period([pid], "24h", now=NOW, transaction="GET /orders")
    )
    assert [i.id for i in issues] == [trace.errors[0].issue_id]

    assert get_trace(db, [other], trace_id) is None
    assert get_trace(db, [pid], uuid.uuid4().hex) is None
    assert get_trace(db, [pid], "not-a-trace") is None
    assert not math.isnan(trace.start)


def test_a_sketch_wider_than_the_head_read_is_read_whole(db: Database) -> None:
    """Charts and rankings fetch the first bytes of each row; a sketch longer than that is
    fetched whole, and its figures are the same."""
    from heron.rollup import TransactionRollup, encode_rollup_data
    from heron.rollup.sketch import GAMMA
    from heron.store import tables

    pid = project(db)
    # A whole day inside the week, so it is read from its day row whenever the test runs
    # (the current day's row is read only while the range still reaches the present).
    day = int(NOW // DAY * DAY) - 2 * DAY
    rows = []
    for name in ("GET /wide", "GET /narrow"):
        row = TransactionRollup(pid, name, tables.ALL_VALUES, tables.ALL_VALUES, day)
        # Every other bucket over 17 decades, with counts that need four bytes each.
        for i in range(1000 if name == "GET /wide" else 3):
            row.durations.add(1e-3 * GAMMA ** (2 * i), 70_000)
        row.count = row.durations.count
        rows.append(row)
    data = [encode_rollup_data(r) for r in rows]
    assert len(data[0]) > 4096 > 2048 > len(data[1])
    with db.write() as conn:
        conn.execute(
            tables.perf_rollups.insert(),
            [
                {
                    "project_id": pid,
                    "name": r.name,
                    "environment": r.environment,
                    "release": r.release,
                    "size": DAY,
                    "bucket": r.bucket,
                    "count": r.count,
                    "failures": 0,
                    "data": d,
                }
                for r, d in zip(rows, data, strict=True)
            ],
        )
    week = PerfScope.for_period([pid], "7d", now=NOW)
    ranked = transaction_figures(db, week, sort="-p95", limit=1)
    assert [(f.name, f.count) for f in ranked] == [("GET /wide", rows[0].durations.count)]
    assert ranked[0].p95_ms == rows[0].durations.quantile(0.95)
    bins = duration_histogram(
        db, PerfScope.for_period([pid], "7d", now=NOW, transaction="GET /wide")
    )
    assert sum(b.count for b in bins) == rows[0].durations.count
