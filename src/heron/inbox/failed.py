"""Envelopes the digest could not process: kept in the main database with the error."""

from __future__ import annotations

import time

from sqlalchemy import Connection

from heron.inbox.base import InboxRow
from heron.store import tables


def dead_letter(conn: Connection, row: InboxRow, error: str) -> None:
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
