"""Transactions into performance data: one row per transaction, and rollups merged into the
minute, hour and day buckets of ``perf_rollups`` and ``span_rollups``.

Sketches merge in Python, so each touched rollup row is read, merged and written back inside
the batch's transaction. Rows are first created empty (``ON CONFLICT DO NOTHING``) and then
read ``FOR UPDATE`` in key order, so concurrent digest workers on PostgreSQL wait for each
other instead of losing an update or failing on a duplicate key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update

from heron.rollup import (
    DAY,
    HOUR,
    DurationSketch,
    SpanRollup,
    Transaction,
    TransactionRollup,
    aggregate,
    decode_rollup,
    encode_rollup_data,
    roll_up,
)
from heron.store import tables, upsert

SIZES = (60, HOUR, DAY)
ALL_TRANSACTIONS = tables.ALL_TRANSACTIONS
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
    conn.execute(_t.insert(), [_transaction_row(project_id, t) for t in fresh])
    minute_rows, minute_spans = aggregate(project_id, fresh)
    minute_rows = with_totals(minute_rows)
    for size in SIZES:
        txn_rows = minute_rows if size == 60 else roll_up(minute_rows.values(), size)
        span_rows = minute_spans if size == 60 else roll_up(minute_spans.values(), size)
        _merge_transactions(conn, size, txn_rows)
        _merge_spans(conn, size, span_rows)
    return fresh


def with_totals(rows: Mapping[Any, TransactionRollup]) -> dict[Any, TransactionRollup]:
    """``rows`` plus, per environment, release and bucket, a row named ALL_TRANSACTIONS that
    totals every transaction: project-wide charts then read one row per bucket, not one per
    transaction name."""
    result = dict(rows)
    for row in rows.values():
        total = row.copy()
        total.name = ALL_TRANSACTIONS
        known = result.get(total.key)
        if known is None:
            result[total.key] = total
        else:
            known.merge(total)
    return result


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
    keyed exactly as they are stored (two long names sharing a prefix share a row)."""
    spans = txn.spans
    if any(len(s.op) > _OP for s in spans):
        spans = tuple(replace(s, op=s.op[:_OP]) if len(s.op) > _OP else s for s in spans)
    fitted = (txn.name[:_NAME], (txn.environment or "")[:64], (txn.release or "")[:250])
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
    empty = encode_rollup_data(TransactionRollup(0, "", "", "", 0))
    placeholders = [
        {**_key_dict(_PR_KEYS, key), "count": 0, "failures": 0, "data": empty}
        for key in sorted(wanted)
    ]
    upsert(conn, _pr, placeholders, keys=_PR_KEYS)
    updates = []
    for stored in _locked(conn, _pr, _PR_KEYS, list(wanted)):
        key = tuple(stored[k] for k in _PR_KEYS)
        merged = decode_rollup(
            (key[0], key[1], key[2], key[3], key[5]),
            int(stored["count"]),
            int(stored["failures"]),
            bytes(stored["data"]),
        )
        merged.merge(wanted[key])
        updates.append(
            {
                **{f"k_{k}": v for k, v in zip(_PR_KEYS, key, strict=True)},
                "count": merged.count,
                "failures": merged.failures,
                "data": encode_rollup_data(merged),
            }
        )
    _write_back(conn, _pr, _PR_KEYS, updates)


def _merge_spans(conn: Connection, size: int, rows: Mapping[Any, SpanRollup]) -> None:
    if not rows:
        return
    wanted = {_span_key(r, size): r for r in rows.values()}
    placeholders = [
        {
            **_key_dict(_SR_KEYS, key),
            "description": wanted[key].description,
            "count": 0,
            "durations": DurationSketch().to_bytes(),
        }
        for key in sorted(wanted)
    ]
    upsert(conn, _sr, placeholders, keys=_SR_KEYS)
    updates = []
    for stored in _locked(conn, _sr, _SR_KEYS, list(wanted)):
        key = tuple(stored[k] for k in _SR_KEYS)
        sketch = DurationSketch.from_bytes(bytes(stored["durations"]))
        sketch.merge(wanted[key].durations)
        updates.append(
            {
                **{f"k_{k}": v for k, v in zip(_SR_KEYS, key, strict=True)},
                "count": int(stored["count"]) + wanted[key].count,
                "durations": sketch.to_bytes(),
            }
        )
    _write_back(conn, _sr, _SR_KEYS, updates)


_PR_KEYS = ("project_id", "name", "environment", "release", "size", "bucket")
_SR_KEYS = ("project_id", "transaction", "op", "group", "size", "bucket")


def _txn_key(row: TransactionRollup, size: int) -> tuple[Any, ...]:
    return (row.project_id, row.name, row.environment, row.release, size, row.bucket)


def _span_key(row: SpanRollup, size: int) -> tuple[Any, ...]:
    return (row.project_id, row.transaction, row.op, row.group, size, row.bucket)


def _key_dict(names: Sequence[str], key: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(names, key, strict=True))


def _locked(
    conn: Connection, table: Table, names: Sequence[str], keys: Iterable[tuple[Any, ...]]
) -> list[Mapping[str, Any]]:
    """The stored rows of ``keys``, locked (PostgreSQL) in key order."""
    keys = set(keys)
    groups: dict[tuple[Any, ...], tuple[set[Any], set[Any]]] = defaultdict(lambda: (set(), set()))
    for key in keys:
        named, buckets = groups[(key[0], key[4])]
        named.add(key[1])
        buckets.add(key[5])
    found: list[Mapping[str, Any]] = []
    columns = [table.c[n] for n in names]
    for (project_id, size), (named, buckets) in sorted(groups.items()):
        stmt = (
            select(table)
            .where(
                table.c.project_id == project_id,
                table.c.size == size,
                table.c[names[1]].in_(sorted(named)),
                table.c.bucket.in_(sorted(buckets)),
            )
            .order_by(*columns)
            .with_for_update()
        )
        for row in conn.execute(stmt):
            mapping = dict(row._mapping)
            if tuple(mapping[n] for n in names) in keys:
                found.append(mapping)
    return found


def _write_back(
    conn: Connection, table: Table, names: Sequence[str], updates: list[dict[str, Any]]
) -> None:
    if not updates:
        return
    values: dict[str, Any] = {k: bindparam(k) for k in updates[0] if not k.startswith("k_")}
    where = [table.c[n] == bindparam(f"k_{n}") for n in names]
    conn.execute(update(table).where(*where).values(**values), updates)
