"""Transactions into performance data: one row per transaction, and rollups merged into the
minute, hour and day buckets of ``perf_rollups`` and the hour and day buckets of
``span_rollups``.

Hour and day ``perf_rollups`` rows also exist over all releases of an environment and over all
environments and releases (``tables.ALL_VALUES``): what pages without those filters read.

Sketches merge in Python. A batch's rows are first inserted as they are (``ON CONFLICT DO
NOTHING RETURNING`` tells which keys were new: most minute rows); only the others are read
``FOR UPDATE`` in key order, merged and written back, inside the batch's transaction, so
concurrent digest workers on PostgreSQL wait for each other instead of losing an update or
failing on a duplicate key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, select

from heron.digest.merge import insert_new, locked_rows, write_back
from heron.rollup import (
    DAY,
    HOUR,
    DurationSketch,
    Span,
    SpanRollup,
    Transaction,
    TransactionRollup,
    aggregate,
    combine,
    decode_rollup,
    encode_rollup_data,
    roll_up,
)
from heron.store import insert_rows, tables

SIZES = (60, HOUR, DAY)
# Span groups are kept by the hour and the day only: per minute they would be most of the
# rows the digest writes (nearly every group is new in every minute) for a precision that
# span tables do not need.
SPAN_SIZES = (HOUR, DAY)
# Sizes that also get rows over all releases and environments (minutes would double the rows
# the digest writes; ranges read by the minute are short).
ALL_VALUES_SIZES = tables.ALL_VALUES_SIZES
ALL_TRANSACTIONS = tables.ALL_TRANSACTIONS
ALL_VALUES = tables.ALL_VALUES
_NAME = 200
_OP = 64

_t = tables.transactions
_pr = tables.perf_rollups
_sr = tables.span_rollups


def save_transactions(
    conn: Connection, project_id: int, transactions: Sequence[Transaction]
) -> list[Transaction]:
    """Store the project's new transactions and fold them into its rollups; returns the new
    ones (a transaction sent twice is stored and counted once)."""
    fresh = [_fitted(t) for t in _drop_known(conn, project_id, transactions)]
    if not fresh:
        return []
    insert_rows(conn, _t, [_transaction_row(project_id, t) for t in fresh])
    # Span rows start at their smallest size: they have no minutes to roll up.
    txn_rows, span_rows = aggregate(project_id, fresh, span_bucket_size=SPAN_SIZES[0])
    txn_rows = with_totals(txn_rows)
    for size in SIZES:
        if size != 60:  # each size from the one below: hours from minutes, days from hours
            txn_rows = roll_up(txn_rows.values(), size)
            if size != SPAN_SIZES[0]:
                span_rows = roll_up(span_rows.values(), size)
        if size == ALL_VALUES_SIZES[0]:  # larger sizes roll these rows up like the others
            txn_rows = with_all_values(txn_rows)
        _merge_transactions(conn, size, txn_rows)
        if size in SPAN_SIZES:
            _merge_spans(conn, size, span_rows)
    return fresh


def save_late_spans(
    conn: Connection, project_id: int, late: Sequence[tuple[str, float, Sequence[Span]]]
) -> None:
    """Spans that came after their transaction was stored (name, end, spans): into the span
    rollups of that name in the buckets of its end. The transaction's own figures are final."""
    carriers = [
        _fitted(
            Transaction(
                event_id="",
                trace_id="",
                span_id="",
                parent_span_id=None,
                name=name,
                op="",
                status="ok",
                start=end,
                end=end,
                duration_ms=0.0,
                environment=None,
                release=None,
                user=None,
                http_status=None,
                measurements={},
                platform="",
                sdk="",
                spans=tuple(spans),
            )
        )
        for name, end, spans in late
        if spans
    ]
    if not carriers:
        return
    _, span_rows = aggregate(project_id, carriers, bucket_size=HOUR)
    for size in SPAN_SIZES:
        if size != HOUR:
            span_rows = roll_up(span_rows.values(), size)
        _merge_spans(conn, size, span_rows)


def with_totals(rows: Mapping[Any, TransactionRollup]) -> dict[Any, TransactionRollup]:
    """``rows`` plus, per environment, release and bucket, a row named ALL_TRANSACTIONS that
    totals every transaction: project-wide charts then read one row per bucket, not one per
    transaction name."""
    groups: dict[Any, list[TransactionRollup]] = defaultdict(list)
    for row in rows.values():
        groups[(row.project_id, ALL_TRANSACTIONS, row.environment, row.release, row.bucket)].append(
            row
        )
    result = dict(rows)
    for key, members in groups.items():
        total = combine(members)
        total.name = ALL_TRANSACTIONS
        result[key] = total
    return result


def with_all_values(rows: Mapping[Any, TransactionRollup]) -> dict[Any, TransactionRollup]:
    """``rows`` plus, per name and bucket, a row over every release of each environment
    (release ALL_VALUES) and one over every environment and release (both ALL_VALUES)."""
    per_environment: dict[Any, list[TransactionRollup]] = defaultdict(list)
    for row in rows.values():
        if row.release != ALL_VALUES:
            per_environment[(row.project_id, row.name, row.environment, row.bucket)].append(row)
    result = dict(rows)
    per_name: dict[Any, list[TransactionRollup]] = defaultdict(list)
    for (project_id, name, environment, bucket), members in per_environment.items():
        total = _total(members, environment, ALL_VALUES)
        result[(project_id, name, environment, ALL_VALUES, bucket)] = total
        per_name[(project_id, name, bucket)].append(total)
    for (project_id, name, bucket), members in per_name.items():
        result[(project_id, name, ALL_VALUES, ALL_VALUES, bucket)] = _total(
            members, ALL_VALUES, ALL_VALUES
        )
    return result


def _total(members: list[TransactionRollup], environment: str, release: str) -> TransactionRollup:
    total = combine(members)
    total.environment, total.release = environment, release
    return total


def _drop_known(
    conn: Connection, project_id: int, transactions: Sequence[Transaction]
) -> list[Transaction]:
    seen: set[str] = set()
    ids = sorted({t.event_id for t in transactions})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            select(_t.c.event_id).where(_t.c.project_id == project_id, _t.c.event_id.in_(chunk))
        )
        seen.update(r[0] for r in rows)
    fresh = []
    for txn in transactions:
        if txn.event_id not in seen:
            seen.add(txn.event_id)
            fresh.append(txn)
    return fresh


def _fitted(txn: Transaction) -> Transaction:
    """``txn`` with the names that key rollup rows cut to their columns' sizes, so rollups are
    keyed exactly as they are stored (two long names sharing a prefix share a row), and
    without the character that marks rows over all environments or releases."""
    spans = txn.spans
    if any(len(s.op) > _OP for s in spans):
        spans = tuple(replace(s, op=s.op[:_OP]) if len(s.op) > _OP else s for s in spans)
    fitted = (
        txn.name[:_NAME],
        (txn.environment or "").replace(ALL_VALUES, "")[:64],
        (txn.release or "").replace(ALL_VALUES, "")[:250],
    )
    if fitted == (txn.name, txn.environment or "", txn.release or "") and spans is txn.spans:
        return txn
    return replace(txn, name=fitted[0], environment=fitted[1], release=fitted[2], spans=spans)


def _transaction_row(project_id: int, t: Transaction) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "event_id": t.event_id[:32],
        "trace_id": t.trace_id[:32],
        "span_id": t.span_id[:32],
        "name": t.name,  # already fitted
        "op": t.op[:64],
        "status": t.status[:32],
        "environment": t.environment or "",
        "release": t.release or "",
        "timestamp": t.end,
        "duration_ms": t.duration_ms,
        "is_failure": t.is_failure,
        "user_key": t.user[:300] if t.user else None,
        "http_status": t.http_status,
        "span_count": len(t.spans),
    }


def _merge_transactions(conn: Connection, size: int, rows: Mapping[Any, TransactionRollup]) -> None:
    if not rows:
        return
    wanted = {_txn_key(r, size): r for r in rows.values()}
    keys = sorted(wanted)
    fresh = [(*k, r.count, r.failures, encode_rollup_data(r)) for k in keys for r in (wanted[k],)]
    inserted = insert_new(conn, _pr, _PR_KEYS, _PR_VALUES, fresh)
    updates = []
    for *key, count, failures, data in locked_rows(
        conn, _pr, _PR_KEYS, _PR_VALUES, [k for k in keys if k not in inserted]
    ):
        merged = decode_rollup(
            (key[0], key[1], key[2], key[3], key[5]), int(count), int(failures), bytes(data)
        )
        merged.merge(wanted[tuple(key)])
        updates.append((merged.count, merged.failures, encode_rollup_data(merged), *key))
    write_back(conn, _pr, _PR_KEYS, _PR_VALUES, updates)


def _merge_spans(conn: Connection, size: int, rows: Mapping[Any, SpanRollup]) -> None:
    if not rows:
        return
    wanted = {_span_key(r, size): r for r in rows.values()}
    keys = sorted(wanted)
    fresh = [
        (*k, r.description, r.count, r.durations.to_bytes()) for k in keys for r in (wanted[k],)
    ]
    inserted = insert_new(conn, _sr, _SR_KEYS, ("description", *_SR_VALUES), fresh)
    updates = []
    for *key, count, durations in locked_rows(
        conn, _sr, _SR_KEYS, _SR_VALUES, [k for k in keys if k not in inserted]
    ):
        row = wanted[tuple(key)]
        sketch = DurationSketch.from_bytes(bytes(durations))
        sketch.merge(row.durations)
        updates.append((int(count) + row.count, sketch.to_bytes(), *key))
    write_back(conn, _sr, _SR_KEYS, _SR_VALUES, updates)


_PR_KEYS = ("project_id", "name", "environment", "release", "size", "bucket")
_PR_VALUES = ("count", "failures", "data")
_SR_KEYS = ("project_id", "transaction", "op", "group", "size", "bucket")
_SR_VALUES = ("count", "durations")


def _txn_key(row: TransactionRollup, size: int) -> tuple[Any, ...]:
    return (row.project_id, row.name, row.environment, row.release, size, row.bucket)


def _span_key(row: SpanRollup, size: int) -> tuple[Any, ...]:
    return (row.project_id, row.transaction, row.op, row.group, size, row.bucket)
