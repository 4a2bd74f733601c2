"""Rollup rows from transactions: keys, buckets, span groups, re-bucketing and figures."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.protocol import parse_envelope
from heron.rollup import (
    DAY,
    HOUR,
    MINUTE,
    DurationSketch,
    Transaction,
    TransactionRollup,
    aggregate,
    apdex,
    bucket_start,
    combine,
    distinct_users,
    failure_rate,
    from_transaction_event,
    miserable_users,
    percentiles,
    roll_up,
    throughput,
    user_misery,
)
from heron.rollup.aggregate import MAX_USERS

BASIC = Path("/work/shared/conformance/envelopes/captured/python-sentry-sdk-2.75.0/basic")
T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC, 20 s into a minute


def txn(
    end: float,
    duration_ms: float = 100.0,
    *,
    name: str = "GET /a",
    status: str = "ok",
    user: str | None = None,
    spans: list[tuple[str, str, float]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> Transaction:
    event: dict[str, Any] = {
        "type": "transaction",
        "transaction": name,
        "start_timestamp": end - duration_ms / 1000,
        "timestamp": end,
        "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16, "status": status}},
        "spans": [
            {"span_id": f"{i:016x}", "op": op, "description": desc,
             "start_timestamp": end - ms / 1000, "timestamp": end}
            for i, (op, desc, ms) in enumerate(spans)
        ],
        **extra,
    }  # fmt: skip
    if user is not None:
        event["user"] = {"id": user}
    return from_transaction_event(event)


def test_bucket_start() -> None:
    assert bucket_start(T0, MINUTE) == 1_699_999_980
    assert bucket_start(T0, HOUR) == 1_699_999_200
    assert bucket_start(T0, DAY) == 1_699_920_000
    assert bucket_start(1_699_920_000.0, DAY) == 1_699_920_000  # a boundary starts its bucket
    with pytest.raises(ValueError, match="divide a day"):
        bucket_start(T0, 7)


def test_counts_failures_and_minute_split() -> None:
    batch = [
        txn(T0, 100),
        txn(T0 + 5, 200, status="internal_error"),
        txn(T0 + 39.9, 300, contexts={"trace": {"status": "ok"}, "response": {"status_code": 503}}),
        txn(T0 + 40, 400),  # the next minute: buckets go by the end timestamp
    ]
    rows, _ = aggregate(7, batch)
    first, second = (rows[(7, "GET /a", "", "", b)] for b in (1_699_999_980, 1_700_000_040))
    assert (first.count, first.failures, second.count, second.failures) == (3, 2, 1, 0)
    assert first.durations.min == pytest.approx(100) and first.durations.max == pytest.approx(300)
    assert failure_rate(first) == pytest.approx(2 / 3)
    assert failure_rate(TransactionRollup(7, "x", "", "", 0)) is None


def test_environment_and_release_are_key_fields() -> None:
    batch = [
        txn(T0, environment="prod", release="1.0"),
        txn(T0, environment="prod", release="1.1"),
        txn(T0, environment="prod", release="1.1"),
        txn(T0, name="GET /b"),
    ]
    rows, _ = aggregate(1, batch)
    minute = bucket_start(T0, MINUTE)
    assert {key: row.count for key, row in rows.items()} == {
        (1, "GET /a", "prod", "1.0", minute): 1,
        (1, "GET /a", "prod", "1.1", minute): 2,
        (1, "GET /b", "", "", minute): 1,
    }


def test_span_groups_share_sql_shapes() -> None:
    batch = [
        txn(T0, spans=[("db", "SELECT * FROM t WHERE id = 1", 5)]),
        txn(T0, spans=[("db", "SELECT * FROM t WHERE id = 'x'", 7)]),
        txn(T0, spans=[("db", "SELECT a FROM t", 9), ("http.client", "GET http://h/u/42", 11)]),
    ]
    _, spans = aggregate(1, batch)
    by_description = {row.description: row for row in spans.values()}
    assert set(by_description) == {
        "SELECT * FROM t WHERE id = ?",
        "SELECT a FROM t",
        "GET http://h/u/*",
    }
    row = by_description["SELECT * FROM t WHERE id = ?"]
    assert (row.count, row.op, row.transaction) == (2, "db", "GET /a")
    assert row.total_ms == pytest.approx(12, abs=1e-3)
    assert len({row.group for row in spans.values()}) == 3


def test_captured_python_transaction() -> None:
    path = BASIC / "004-profile+transaction.envelope"
    if not path.exists():
        pytest.skip(f"conformance data not available at {path}")
    items = parse_envelope(path.read_bytes()).items
    event = next(orjson.loads(i.payload) for i in items if i.type == "transaction")
    record = from_transaction_event(event)
    rows, spans = aggregate(3, [record, record])
    [row] = rows.values()
    assert row.key == (3, "GET /orders/{id}", "capture", "heron-demo@1.0.0", row.bucket)
    assert row.bucket == bucket_start(record.end, MINUTE)
    assert (row.count, row.failures) == (2, 0)
    assert row.measurements["queue.wait"].count == 2
    assert row.measurement_units == {"queue.wait": "millisecond"}
    assert sorted(s.op for s in spans.values()) == sorted(s.op for s in record.spans)
    assert all(s.count == 2 for s in spans.values())


LCP = {"lcp": {"value": 1234.0, "unit": "millisecond"}}


def synthetic(n: int, seed: int = 1) -> list[Transaction]:
    rng = random.Random(seed)
    result = []
    for i in range(n):
        result.append(
            txn(
                T0 + rng.uniform(0, 3 * DAY),
                rng.lognormvariate(4.5, 1.0),
                name=f"GET /r{i % 5}",
                status=rng.choice(["ok", "ok", "ok", "internal_error"]),
                user=f"u{rng.randrange(40)}",
                environment=rng.choice(["prod", "staging"]),
                measurements={"lcp": {"value": rng.uniform(100, 4000), "unit": "millisecond"}},
                spans=[("db", f"SELECT * FROM t{i % 3} WHERE id = {i}", rng.uniform(0, 50))],
            )
        )
    return result


def dumped(rows: dict[Any, Any]) -> dict[Any, Any]:
    """Rows as plain comparable values (sketches as bytes)."""
    out = {}
    for key, row in rows.items():
        fields = {n: getattr(row, n) for n in row.__slots__ if not n.startswith("_")}
        for name, value in list(fields.items()):
            if isinstance(value, DurationSketch):
                fields[name] = value.to_bytes()
            elif name == "measurements":
                fields[name] = {k: v.to_bytes() for k, v in value.items()}
        out[key] = fields
    return out


@pytest.mark.parametrize("size", [HOUR, DAY])
def test_rolling_minutes_up_equals_direct(size: int) -> None:
    batch = synthetic(400)
    minute_txns, minute_spans = aggregate(1, batch)
    direct_txns, direct_spans = aggregate(1, batch, bucket_size=size)
    assert dumped(roll_up(minute_txns.values(), size)) == dumped(direct_txns)
    assert dumped(roll_up(minute_spans.values(), size)) == dumped(direct_spans)
    # minute → hour → day equals minute → day, and the inputs are untouched
    before = dumped(minute_txns)
    hours = roll_up(minute_txns.values(), HOUR)
    assert dumped(roll_up(hours.values(), DAY)) == dumped(aggregate(1, batch, bucket_size=DAY)[0])
    assert dumped(minute_txns) == before


@pytest.mark.parametrize("size", [HOUR, DAY])
def test_span_rows_straight_into_larger_buckets(size: int) -> None:
    batch = synthetic(400)
    minute_txns, minute_spans = aggregate(1, batch)
    txns, spans = aggregate(1, batch, span_bucket_size=size)
    assert dumped(txns) == dumped(minute_txns)  # transaction rows keep their own size
    assert dumped(spans) == dumped(roll_up(minute_spans.values(), size))
    with pytest.raises(ValueError, match="divide a day"):
        aggregate(1, batch, span_bucket_size=7)


def test_combine_of_one_row_is_a_copy() -> None:
    batch = [txn(T0, 50, user="a", measurements=LCP), txn(T0, 70, user="b")]
    [row] = aggregate(1, batch)[0].values()
    total = combine([row])
    assert dumped({0: total}) == dumped({0: row})
    total.durations.add(5.0)
    total.users["c"] = 1.0
    total.measurements["lcp"].add(1.0)
    assert row.durations.count == 2 and "c" not in row.users
    assert row.measurements["lcp"].count == 1
    # A sketch kept with a larger cap is lowered to the default, as merging rows does.
    wide = DurationSketch(4096)
    for i in range(-650, 1550):
        wide.add(1.0202**i)  # about one value per bucket, more buckets than the default cap
    row.durations = wide
    narrow = combine([row]).durations
    assert len(wide._bins) > 2048
    assert narrow.max_buckets == 2048 and narrow.count == wide.count


def test_merge_rejects_other_keys() -> None:
    rows, _ = aggregate(1, [txn(T0), txn(T0, name="GET /b")])
    a, b = rows.values()
    with pytest.raises(ValueError, match="different keys"):
        a.merge(b)


def test_apdex_and_misery_by_hand() -> None:
    # T = 300: satisfied ≤ 300, tolerating ≤ 1200, frustrated above (no value near a bound:
    # the sketch may miscount values within 1 % of it).
    durations = [100, 290, 500, 1150, 2000, 5000]
    users = ["a", "a", "b", "b", "c", None]
    batch = [txn(T0, d, user=u) for d, u in zip(durations, users, strict=True)]
    row = combine(aggregate(1, batch)[0].values())
    assert apdex(row, 300) == pytest.approx((2 + 2 / 2) / 6)
    assert distinct_users(row) == 3
    assert miserable_users(row, 300) == 1  # only c; a and b stayed within 4T
    assert user_misery(row, 300) == pytest.approx(1 / 3)
    assert miserable_users(row, 100) == 2  # b and c had one over 400 ms, a did not
    assert throughput(row, 120) == pytest.approx(3.0)
    assert user_misery(TransactionRollup(1, "x", "", "", 0)) is None


def test_combine_across_keys() -> None:
    batch = [txn(T0, release="1"), txn(T0 + 120, release="2"), txn(T0 + 60, release="2")]
    rows, _ = aggregate(1, batch)
    total = combine(rows.values())
    assert (total.count, total.name, total.release, total.project_id) == (3, "GET /a", "", 1)
    assert total.bucket == bucket_start(T0, MINUTE)
    assert combine([]).count == 0


def test_users_are_capped_and_estimated() -> None:
    n = 3 * MAX_USERS
    batch = [txn(T0, 2000 if i % 4 == 0 else 10, user=f"user{i}") for i in range(n)]
    halves = [aggregate(1, batch[: n // 2])[0], aggregate(1, batch[n // 2 :])[0]]
    [whole] = aggregate(1, batch)[0].values()
    assert len(whole.users) == MAX_USERS and whole.users_capped
    assert distinct_users(whole) == pytest.approx(n, rel=0.1)
    assert miserable_users(whole, 300) == pytest.approx(n / 4, rel=0.15)
    merged = combine([*halves[1].values(), *halves[0].values()])
    assert merged.users == whole.users  # the sample does not depend on the order


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 2 * MAX_USERS), min_size=1, max_size=6), st.integers(0, 2**32))
def test_combine_equals_merging_one_by_one(sizes: list[int], seed: int) -> None:
    """Uniting the user samples and capping once gives the rows merged in any order."""
    rng = random.Random(seed)
    rows = []
    for size in sizes:
        batch = [
            txn(T0, rng.uniform(1, 3000), user=f"u{rng.randrange(3 * MAX_USERS)}")
            for _ in range(size)
        ]
        rows.extend(aggregate(1, batch)[0].values())
    if not rows:
        return
    one_by_one = rows[0].copy()
    for row in rows[1:]:
        one_by_one.merge(row)
    total = combine(reversed(rows))
    assert total.users == one_by_one.users
    assert total.users_capped == one_by_one.users_capped
    assert (total.count, total.durations.to_bytes()) == (
        one_by_one.count,
        one_by_one.durations.to_bytes(),
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.5, 60_000), min_size=1, max_size=300))
def test_p95_within_one_percent(values: list[float]) -> None:
    records = [txn(T0, v) for v in values]
    row = combine(aggregate(1, records)[0].values())
    ordered = sorted(record.duration_ms for record in records)  # exact, from the timestamps
    figures = percentiles(row)
    for name, q in (("p50", 0.5), ("p75", 0.75), ("p95", 0.95), ("p99", 0.99)):
        exact = ordered[max(1, math.ceil(q * len(ordered))) - 1]
        assert figures[name] == pytest.approx(exact, rel=0.01)
