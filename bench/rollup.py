"""Rollup benchmark: spans/s through ``aggregate`` (extraction not included), on one core.

    .venv/bin/python bench/rollup.py

Builds 1,000 synthetic transactions of 10 spans each (20 names, DB spans over 50 statement
shapes with varied literals, HTTP client spans with ids in the path, a few other ops, 200
users, an LCP measurement), then prints the best of five ``aggregate`` runs into minute
buckets (span descriptions normalized in each) as transactions/s and spans/s. The issue's
digest target is ≥ 20,000 spans/s.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heron.rollup import Transaction, aggregate, from_transaction_event
from heron.rollup.describe import _normalize_sql_cached

T0 = 1_700_000_000.0


def _span(rng: random.Random, i: int, end: float) -> dict[str, object]:
    kind = rng.random()
    if kind < 0.7:
        table = f"t{rng.randrange(50)}"
        op, description = "db", f"SELECT a, b FROM {table} WHERE id = {rng.randrange(10**6)}"
        if rng.random() < 0.3:
            ids = ", ".join(str(rng.randrange(1000)) for _ in range(rng.randrange(1, 8)))
            description = f"SELECT * FROM {table} WHERE id IN ({ids}) AND s = 'x{i}'"
    elif kind < 0.9:
        op, description = "http.client", f"GET http://api.local/users/{rng.randrange(10**5)}"
    else:
        op, description = "template.render", f"page{rng.randrange(5)}.html"
    ms = rng.lognormvariate(2.0, 1.0)
    return {
        "span_id": f"{i:016x}",
        "op": op,
        "description": description,
        "start_timestamp": end - ms / 1000,
        "timestamp": end,
    }


def transactions(n: int = 1000, spans: int = 10) -> list[Transaction]:
    rng = random.Random(5)
    result = []
    for i in range(n):
        end = T0 + rng.uniform(0, 3600)
        ms = rng.lognormvariate(4.5, 1.0)
        event = {
            "type": "transaction",
            "transaction": f"GET /route{i % 20}",
            "environment": "prod",
            "release": f"app@{i % 3}",
            "start_timestamp": end - ms / 1000,
            "timestamp": end,
            "contexts": {"trace": {"trace_id": f"{i:032x}", "span_id": f"{i:016x}"}},
            "user": {"id": str(rng.randrange(200))},
            "measurements": {"lcp": {"value": rng.uniform(200, 4000), "unit": "millisecond"}},
            "spans": [_span(rng, i * spans + k, end) for k in range(spans)],
        }
        result.append(from_transaction_event(event))
    return result


def main() -> None:
    spans = sum(len(t.spans) for t in transactions())
    best = float("inf")
    for _ in range(5):
        # Fresh records every run: spans keep their normalized description once asked, and
        # normalizing is part of what this measures (the statement cache is emptied too).
        batch = transactions()
        _normalize_sql_cached.cache_clear()
        start = time.perf_counter()
        txn_rows, span_rows = aggregate(1, batch)
        best = min(best, time.perf_counter() - start)
    print(f"{len(batch)} transactions, {spans} spans → {len(txn_rows)} + {len(span_rows)} rows")
    print(f"aggregate: {len(batch) / best:,.0f} transactions/s, {spans / best:,.0f} spans/s")


if __name__ == "__main__":
    main()
