"""The Python SDK with tracing on, against the live server: its transactions become rows and
rollups whose percentiles agree with the durations the SDK itself measured."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from heron.rollup import decode_rollup
from heron.store import tables
from tests.live import LiveServer
from tests.sdk.helpers import database, marker, run_sdk_file

SCRIPT = """\
import json, os, sqlite3, time
import sentry_sdk

sentry_sdk.init(os.environ["SENTRY_DSN"], traces_sample_rate=1.0, release="shop@2.0",
                environment="test")
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
durations = []
for i in range(12):
    with sentry_sdk.start_transaction(op="http.server", name="GET /orders/{mark}") as txn:
        for k in range(5):
            with sentry_sdk.start_span(op="db", name=f"SELECT * FROM orders WHERE id = {k}"):
                db.execute("SELECT * FROM orders WHERE id = ?", (k,)).fetchall()
        time.sleep(0.002 * (i + 1))
    durations.append((txn.timestamp - txn.start_timestamp).total_seconds() * 1000)
sentry_sdk.flush()
print(json.dumps(durations))
"""


def _wait_rollup(server: LiveServer, name: str, count: int) -> Any:
    deadline = time.monotonic() + 30
    t = tables.perf_rollups
    with database(server) as db:
        while True:
            with db.read() as conn:
                row = conn.execute(select(t).where(t.c.name == name, t.c.size == 60)).first()
            if (row is not None and row.count >= count) or time.monotonic() > deadline:
                return row
            time.sleep(0.2)


def test_transactions_roll_up_with_the_sdks_own_durations(
    server: LiveServer, tmp_path: Path
) -> None:
    mark = marker()
    output = run_sdk_file(tmp_path, SCRIPT.replace("{mark}", mark), server.dsn)
    durations = sorted(orjson.loads(output.strip().splitlines()[-1]))
    name = f"GET /orders/{mark}"
    row = _wait_rollup(server, name, len(durations))
    assert row is not None and row.count == len(durations), "transactions did not arrive"
    assert (row.environment, row.release, row.failures) == ("test", "shop@2.0", 0)
    rollup = decode_rollup(
        (row.project_id, row.name, row.environment, row.release, row.bucket),
        row.count,
        row.failures,
        bytes(row.data),
    )
    for q in (0.5, 0.95):
        exact = durations[max(1, math.ceil(q * len(durations))) - 1]
        estimate = rollup.durations.quantile(q)
        assert estimate is not None and abs(estimate - exact) <= 0.011 * exact, (q, exact)
    with database(server) as db, db.read() as conn:
        spans = list(
            conn.execute(
                select(tables.span_rollups).where(
                    tables.span_rollups.c.transaction == name, tables.span_rollups.c.size == 3600
                )
            )
        )
    # Five statements differing only in a literal, twelve times: one span group of sixty.
    assert sum(s.count for s in spans) == 60
    assert {s.description for s in spans} == {"SELECT * FROM orders WHERE id = ?"}
