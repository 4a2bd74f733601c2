"""The inbox as a table in the main database (PostgreSQL): rows are taken with
``FOR UPDATE SKIP LOCKED`` so several digest workers share the queue, and deleted in the
transaction that stored their results."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, func, select

from heron.inbox.base import Inbox, InboxRow, within_budget
from heron.inbox.records import InboxRecord
from heron.store import Database, tables


def record_values(records: Sequence[InboxRecord]) -> list[dict[str, object]]:
    return [
        {
            "project_id": r.project_id,
            "received_at": r.received_at,
            "kind": r.kind,
            "client_ip": r.client_ip,
            "body": r.body,
        }
        for r in records
    ]


class TableInbox(Inbox):
    takes_in_transaction = True

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, records: Sequence[InboxRecord]) -> None:
        if records:
            with self.db.write() as conn:
                conn.execute(tables.inbox.insert(), record_values(records))

    def take(self, conn: Connection | None, limit: int, after: int = 0) -> list[InboxRow]:
        assert conn is not None, "the table inbox is read inside the digest transaction"
        t = tables.inbox
        stmt = select(t.c.id, t.c.project_id, t.c.received_at, t.c.kind, t.c.client_ip, t.c.body)
        # Sequence ids may commit out of order here, so a row below ``after`` can still appear;
        # it is not lost (rows stay until deleted), only left to a take without ``after``.
        stmt = stmt.where(t.c.id > after).order_by(t.c.id).limit(limit)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        # Rows past the byte budget stay locked until this transaction ends, then the next
        # batch takes them.
        return within_budget(InboxRow(*row) for row in conn.execute(stmt))

    def acknowledge(self, conn: Connection, rows: Sequence[InboxRow]) -> None:
        if rows:
            conn.execute(delete(tables.inbox).where(tables.inbox.c.id.in_([r.id for r in rows])))

    def pending(self) -> int:
        with self.db.read() as conn:
            count = conn.execute(select(func.count()).select_from(tables.inbox)).scalar_one()
        return int(count)

    def drained(self) -> bool:
        with self.db.read() as conn:
            return conn.execute(select(tables.inbox.c.id).limit(1)).first() is None
