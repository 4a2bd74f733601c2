"""The inbox as a table in the main database (SQLite or PostgreSQL)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from heron.inbox.records import InboxRecord, OutcomeRecord
from heron.store import tables, upsert


@dataclass(frozen=True)
class InboxRow:
    id: int
    project_id: int
    received_at: float
    kind: str
    client_ip: str | None
    body: bytes


def append(conn: Connection, records: Sequence[InboxRecord]) -> None:
    if not records:
        return
    conn.execute(
        tables.inbox.insert(),
        [
            {
                "project_id": r.project_id,
                "received_at": r.received_at,
                "kind": r.kind,
                "client_ip": r.client_ip,
                "body": r.body,
            }
            for r in records
        ],
    )


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


def take_batch(conn: Connection, limit: int) -> list[InboxRow]:
    """The oldest envelopes; on PostgreSQL locked rows are skipped so workers share."""
    t = tables.inbox
    stmt = select(t.c.id, t.c.project_id, t.c.received_at, t.c.kind, t.c.client_ip, t.c.body)
    stmt = stmt.order_by(t.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [InboxRow(*row) for row in conn.execute(stmt)]


def remove(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        conn.execute(delete(tables.inbox).where(tables.inbox.c.id.in_(list(ids))))


def dead_letter(conn: Connection, row: InboxRow, error: str) -> None:
    """Move an envelope the digest cannot process aside, with the reason, instead of losing it."""
    conn.execute(
        tables.inbox_failed.insert().values(
            inbox_id=row.id,
            project_id=row.project_id,
            received_at=row.received_at,
            kind=row.kind,
            client_ip=row.client_ip,
            body=row.body,
            error=error[:4000],
            failed_at=time.time(),
        )
    )
    remove(conn, [row.id])


def pending(conn: Connection) -> int:
    from sqlalchemy import func

    return int(conn.execute(select(func.count()).select_from(tables.inbox)).scalar_one())
