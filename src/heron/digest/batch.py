"""One inbox batch → one database transaction.

The CPU-heavy part (parsing, normalizing, grouping) runs before the write transaction opens,
so SQLite's single write lock is held only for the bulk writes and ingest keeps committing.
Replaying a batch after a crash is harmless: events are unique per (project, event_id) and
the inbox rows are deleted in the same transaction that stores what they produced.

If a batch fails to save, each envelope is retried alone; one that still fails is moved to
``inbox_failed`` with its error, so one bad envelope never blocks the queue.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from sqlalchemy import Connection

from heron.digest.events import save_events
from heron.digest.items import Work, handler_for
from heron.inbox import InboxRow, dead_letter, record_outcomes, remove, take_batch
from heron.protocol import parse_envelope
from heron.store import Database, tables

log = logging.getLogger("heron.digest")


@dataclass
class BatchResult:
    envelopes: int = 0
    events: int = 0
    duplicates: int = 0
    failed: int = 0


def prepare(row: InboxRow) -> Work:
    """Everything one envelope will write; raises on envelopes that cannot be processed."""
    work = Work()
    envelope = parse_envelope(row.body)
    for item in envelope.items:
        handler_for(item.type)(work, row, envelope, item)
    return work


def _save(conn: Connection, work: Work, ids: list[int], result: BatchResult) -> None:
    saved, duplicates = save_events(conn, work.events)
    if work.attachments:
        conn.execute(tables.attachments.insert(), work.attachments)
    if work.raw_items:
        conn.execute(tables.stored_items.insert(), work.raw_items)
    record_outcomes(conn, work.outcomes)
    remove(conn, ids)
    result.events += saved
    result.duplicates += duplicates


def _prepare_all(
    rows: list[InboxRow], failures: list[tuple[InboxRow, str]]
) -> list[tuple[InboxRow, Work]]:
    prepared = []
    for row in rows:
        try:
            prepared.append((row, prepare(row)))
        except Exception:  # any envelope we cannot digest is kept aside, never lost
            failures.append((row, traceback.format_exc(limit=5)))
    return prepared


def digest_batch(db: Database, limit: int) -> BatchResult:
    """Digest up to ``limit`` inbox envelopes; return what happened."""
    result = BatchResult()
    failures: list[tuple[InboxRow, str]] = []
    if db.is_sqlite:
        with db.read() as conn:
            rows = take_batch(conn, limit)
        if not rows:
            return result
        prepared = _prepare_all(rows, failures)
        try:
            with db.write() as conn:
                _save_all(conn, prepared, result)
                for row, error in failures:
                    dead_letter(conn, row, error)
        except Exception:
            log.exception("batch of %d envelopes failed; retrying one by one", len(rows))
            result = _one_by_one(db, prepared, failures)
    else:
        try:
            with db.write() as conn:
                rows = take_batch(conn, limit)
                prepared = _prepare_all(rows, failures)
                _save_all(conn, prepared, result)
                for row, error in failures:
                    dead_letter(conn, row, error)
        except Exception:
            log.exception("batch failed; retrying one by one")
            failures = []
            with db.write() as conn:
                rows = take_batch(conn, limit)
            prepared = _prepare_all(rows, failures)
            result = _one_by_one(db, prepared, failures)
    result.envelopes = len(rows)
    result.failed = len(failures) + result.failed
    return result


def _save_all(conn: Connection, prepared: list[tuple[InboxRow, Work]], result: BatchResult) -> None:
    work = Work()
    for _row, w in prepared:
        work.extend(w)
    _save(conn, work, [row.id for row, _ in prepared], result)


def _one_by_one(
    db: Database, prepared: list[tuple[InboxRow, Work]], failures: list[tuple[InboxRow, str]]
) -> BatchResult:
    result = BatchResult()
    for row, work in prepared:
        try:
            with db.write() as conn:
                _save(conn, work, [row.id], result)
        except Exception:
            log.exception("envelope %d failed; moved to inbox_failed", row.id)
            failures.append((row, traceback.format_exc(limit=5)))
    with db.write() as conn:
        for row, error in failures:
            dead_letter(conn, row, error)
    result.failed = 0
    return result


def drain(db: Database, limit: int = 500) -> int:
    """Digest until the inbox is empty; return the number of envelopes processed."""
    total = 0
    while True:
        result = digest_batch(db, limit)
        if result.envelopes == 0:
            return total
        total += result.envelopes
