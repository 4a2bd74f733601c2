"""Transactions through the digest into performance rows, on both backends: one row per
transaction, and minute/hour/day rollups whose sketches give the percentiles."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from heron.digest import drain
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.rollup import DurationSketch, decode_rollup
from heron.store import Database, tables
from tests.store.triage_helpers import project

CAPTURED = Path(__file__).parents[2].parent / "shared/conformance/envelopes/captured"
NOW = time.time()
MINUTE_START = (NOW // 3600 - 2) * 3600 + 120.0  # an exact minute, two hours ago


def transaction(
    name: str, duration_ms: float, *, end: float, status: str = "ok", db_ids: int = 0
) -> dict[str, Any]:
    start = end - duration_ms / 1000
    trace_id, root = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    spans = [
        {
            "trace_id": trace_id,
            "span_id": uuid.uuid4().hex[:16],
            "parent_span_id": root,
            "op": "db",
            "description": f"SELECT * FROM orders WHERE id = {i}",
            "start_timestamp": start,
            "timestamp": start + 0.002,
        }
        for i in range(db_ids)
    ]
    return {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": name,
        "start_timestamp": start,
        "timestamp": end,
        "environment": "production",
        "release": "shop@1.0",
        "user": {"id": "u-1"},
        "contexts": {
            "trace": {"trace_id": trace_id, "span_id": root, "op": "http.server", "status": status}
        },
        "spans": spans,
    }


def send(db: Database, project_id: int, *payloads: dict[str, Any]) -> None:
    records = [
        InboxRecord(
            project_id,
            serialize_envelope(
                Envelope(
                    {"event_id": p["event_id"]},
                    [Item({"type": "transaction"}, orjson.dumps(p))],
                )
            ),
            received_at=NOW,
        )
        for p in payloads
    ]
    inbox_for(db).append(records)
    assert drain(db) == len(records)


def rollups(
    db: Database, size: int, *, totals: bool = False, every: tuple[bool, bool] = (False, False)
) -> list[Any]:
    """The rollup rows of one size: per transaction name, or the project-wide totals; real
    environments and releases, or (``every``) the rows over all environments / releases."""
    t = tables.perf_rollups
    named = t.c.name == tables.ALL_TRANSACTIONS if totals else t.c.name != tables.ALL_TRANSACTIONS
    all_env, all_release = every
    env = t.c.environment == tables.ALL_VALUES
    release = t.c.release == tables.ALL_VALUES
    with db.read() as conn:
        stmt = (
            select(t)
            .where(
                t.c.size == size,
                named,
                env if all_env else ~env,
                release if all_release else ~release,
            )
            .order_by(t.c.name, t.c.bucket)
        )
        return list(conn.execute(stmt))


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def test_transactions_become_rows_and_rollups(db: Database) -> None:
    pid = project(db)
    durations = [float(5 + (i * 37) % 900) for i in range(120)]
    first = [
        transaction("GET /orders", d, end=MINUTE_START + 1 + i * 0.1)
        for i, d in enumerate(durations[:60])
    ]
    second = [
        transaction("GET /orders", d, end=MINUTE_START + 30 + i * 0.1)
        for i, d in enumerate(durations[60:])
    ]
    failed = transaction(
        "POST /pay", 2500.0, end=MINUTE_START + 70, status="internal_error", db_ids=6
    )
    send(db, pid, *first, failed)
    send(db, pid, *second)
    send(db, pid, first[0])  # sent twice: counted once

    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tables.transactions)).scalar() == 121
        # Environment and release pickers know what only transactions used.
        assert conn.execute(select(tables.environments.c.name)).scalars().all() == ["production"]
        assert conn.execute(select(tables.releases.c.version)).scalars().all() == ["shop@1.0"]
    minutes = rollups(db, 60)
    assert [(r.name, r.bucket, r.count, r.failures) for r in minutes] == [
        ("GET /orders", int(MINUTE_START), 120, 0),
        ("POST /pay", int(MINUTE_START) + 60, 1, 1),
    ]
    orders = minutes[0]
    row = decode_rollup(
        (pid, orders.name, orders.environment, orders.release, orders.bucket),
        orders.count,
        orders.failures,
        bytes(orders.data),
    )
    assert (orders.environment, orders.release) == ("production", "shop@1.0")
    for q in (0.5, 0.95, 0.99):
        estimate = row.durations.quantile(q)
        assert estimate is not None
        assert abs(estimate - exact(durations, q)) <= 0.0101 * exact(durations, q)
    assert set(row.users) == {"id:u-1"}

    # Hours and days hold the same totals, merged across both batches.
    for size in (3600, 86400):
        rows = rollups(db, size)
        assert [(r.name, r.count, r.failures) for r in rows] == [
            ("GET /orders", 120, 0),
            ("POST /pay", 1, 1),
        ]
        assert rows[0].bucket == int(MINUTE_START // size * size)
        # One row per bucket totals every name: project-wide charts read only these.
        assert [(r.count, r.failures) for r in rollups(db, size, totals=True)] == [(121, 1)]
        # The same over every release of the environment, and over everything: pages
        # without those filters read them.
        for every in ((False, True), (True, True)):
            over_all = rollups(db, size, every=every)
            assert [(r.name, r.count, r.failures) for r in over_all] == [
                ("GET /orders", 120, 0),
                ("POST /pay", 1, 1),
            ]
            expect = (tables.ALL_VALUES if every[0] else "production", tables.ALL_VALUES)
            assert {(r.environment, r.release) for r in over_all} == {expect}
            total = rollups(db, size, totals=True, every=every)
            assert [(r.count, r.failures) for r in total] == [(121, 1)]
        assert not rollups(db, size, every=(True, False))
    assert [(r.bucket, r.count) for r in rollups(db, 60, totals=True)] == [
        (int(MINUTE_START), 120),
        (int(MINUTE_START) + 60, 1),
    ]
    # Minutes are per environment and release only.
    assert not rollups(db, 60, every=(False, True)) and not rollups(db, 60, every=(True, True))

    # Six queries differing only in their literal are one span group.
    s = tables.span_rollups
    with db.read() as conn:
        spans = list(conn.execute(select(s).where(s.c.size == 3600)))
        # Span groups are kept by the hour and the day only, never by the minute.
        assert sorted({r.size for r in conn.execute(select(s))}) == [3600, 86400]
    assert [(r.transaction, r.op, r.count) for r in spans] == [("POST /pay", "db", 6)]
    assert spans[0].description == "SELECT * FROM orders WHERE id = ?"
    assert DurationSketch.from_bytes(bytes(spans[0].durations)).count == 6


def test_long_names_are_cut_to_the_column_and_still_counted(db: Database) -> None:
    pid = project(db)
    prefix = "GET /" + "x" * 300
    send(
        db,
        pid,
        transaction(prefix + "/a", 10.0, end=MINUTE_START + 1),
        transaction(prefix + "/b", 20.0, end=MINUTE_START + 2),
    )
    minutes = rollups(db, 60)
    assert [(r.name, r.count) for r in minutes] == [(prefix[:200], 2)]


@pytest.mark.parametrize(
    "capture",
    [
        "python-sentry-sdk-2.75.0/basic/004-profile+transaction.envelope",
        "python-sentry-sdk-2.75.0/span-streaming/001-span.envelope",
        "node-sentry-node-11.12.0/basic/002-span.envelope",
    ],
)
def test_captured_sdk_traffic_becomes_a_transaction(db: Database, capture: str) -> None:
    body = (CAPTURED / capture).read_bytes()
    pid = project(db)
    inbox_for(db).append([InboxRecord(pid, body, received_at=NOW)])
    assert drain(db) == 1
    with db.read() as conn:
        rows = list(conn.execute(select(tables.transactions)))
        kept = conn.execute(select(func.count()).select_from(tables.stored_items)).scalar()
    assert kept and kept >= 1  # the raw items are kept too
    assert len(rows) == 1, capture
    assert rows[0].duration_ms > 0
    assert rows[0].trace_id
    minute = rollups(db, 60)
    assert [(r.name, r.count) for r in minute] == [(rows[0].name, 1)]
