"""Outcome counters in the main database: one row per project, minute, outcome, category,
reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection

from heron.inbox.records import OutcomeRecord
from heron.store import tables, upsert


def record_outcomes(conn: Connection, outcomes: Iterable[OutcomeRecord]) -> None:
    totals: Counter[tuple[int, int, str, str, str]] = Counter()
    for o in outcomes:
        totals[(o.project_id, o.bucket, o.outcome, o.category, o.reason)] += o.quantity
    rows = [
        {
            "project_id": p,
            "bucket": b,
            "outcome": out,
            "category": cat,
            "reason": reason,
            "quantity": qty,
        }
        for (p, b, out, cat, reason), qty in sorted(totals.items())
    ]
    upsert(
        conn,
        tables.outcomes,
        rows,
        keys=("project_id", "bucket", "outcome", "category", "reason"),
        add=("quantity",),
    )
