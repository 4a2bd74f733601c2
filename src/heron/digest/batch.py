"""One inbox batch → one database transaction.

The CPU-heavy part (parsing, normalizing, grouping) runs before the write transaction opens
where the inbox allows it (SQLite), so the single write lock is held only for the bulk writes.
The batch is acknowledged to the inbox inside the transaction that stores its results, so a
crash redoes a whole batch or nothing; events are also unique per (project, event_id), so a
replay never duplicates them.

If a batch fails to save, each envelope is retried alone; one that still fails is kept in
``inbox_failed`` with its error, so one bad envelope never blocks the queue.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from sqlalchemy import Connection

from heron.digest.events import save_events
from heron.digest.items import Work, handler_for
from heron.digest.perf import save_transactions
from heron.digest.projects import DEFAULT, ProjectGrouping, grouping_configs
from heron.digest.rollups import Rollups, save_rollups, short
from heron.digest.streamed import join_streamed_spans
from heron.inbox import Inbox, InboxRow, dead_letter, inbox_for, read_outcomes, record_outcomes
from heron.protocol import parse_envelope
from heron.rollup import Transaction
from heron.store import Database, tables

log = logging.getLogger("heron.digest")


@dataclass
class BatchResult:
    envelopes: int = 0
    events: int = 0  # error and message events
    perf_events: int = 0  # performance problems found in new transactions
    duplicates: int = 0
    failed: int = 0


def prepare(row: InboxRow, grouping: ProjectGrouping = DEFAULT) -> Work:
    """Everything one inbox row will write; raises on rows that cannot be processed."""
    work = Work(grouping=grouping)
    if row.kind == "outcomes":
        work.outcomes.extend(read_outcomes(row.body))
        return work
    envelope = parse_envelope(row.body)
    for item in envelope.items:
        handler_for(item.type)(work, row, envelope, item)
    return work


Prepared = list[tuple[InboxRow, Work]]
Failures = list[tuple[InboxRow, str]]


Configs = dict[int, ProjectGrouping]


def _prepare_chunk(
    rows: Sequence[InboxRow], configs: Configs | None = None
) -> list[tuple[InboxRow, Work | str]]:
    out: list[tuple[InboxRow, Work | str]] = []
    for row in rows:
        if row.kind == "envelope" and configs is not None and row.project_id not in configs:
            # The project was deleted after ingest took the envelope: nothing to keep.
            out.append((row, Work()))
            continue
        try:
            grouping = configs.get(row.project_id, DEFAULT) if configs else DEFAULT
            out.append((row, prepare(row, grouping)))
        except Exception:  # an envelope we cannot digest is kept aside, never lost
            out.append((row, traceback.format_exc(limit=5)))
    return out


# Below this many rows a batch is prepared in-process: sending it to workers costs more.
_POOL_MIN_ROWS = 64
_CHUNK_ROWS = 32


def _prepare_all(
    rows: Sequence[InboxRow],
    failures: Failures,
    pool: Executor | None = None,
    configs: Configs | None = None,
) -> Prepared:
    """Prepare every row, in worker processes when there is a pool and a backlog."""
    if pool is not None and len(rows) >= _POOL_MIN_ROWS:
        chunks = [rows[i : i + _CHUNK_ROWS] for i in range(0, len(rows), _CHUNK_ROWS)]
        mapped = pool.map(_prepare_chunk, chunks, [configs] * len(chunks))
        results = [pair for chunk in mapped for pair in chunk]
    else:
        results = _prepare_chunk(rows, configs)
    prepared = []
    for row, outcome in results:
        if isinstance(outcome, str):
            failures.append((row, outcome))
        else:
            prepared.append((row, outcome))
    return prepared


def _store(
    conn: Connection, inbox: Inbox, prepared: Prepared, failures: Failures, result: BatchResult
) -> None:
    fresh = inbox.still_pending(conn, [row for row, _ in prepared] + [r for r, _ in failures])
    prepared = [(row, w) for row, w in prepared if row.id in fresh]
    failures = [(row, e) for row, e in failures if row.id in fresh]
    work = Work()
    for _row, w in prepared:
        work.extend(w)
    saved, duplicates = save_events(conn, work.events)
    if work.attachments:
        conn.execute(tables.attachments.insert(), work.attachments)
    join_streamed_spans(conn, work)  # reads earlier raw items: before this batch's
    if work.raw_items:
        conn.execute(tables.stored_items.insert(), work.raw_items)
    by_project: dict[int, list[Transaction]] = defaultdict(list)
    for project_id, txn in work.transactions:
        by_project[project_id].append(txn)
    fresh_txns: set[tuple[int, str]] = set()
    now = time.time()
    for project_id, txns in sorted(by_project.items()):
        saved_txns = save_transactions(conn, project_id, txns)
        fresh_txns.update((project_id, t.event_id) for t in saved_txns)
        seen = Rollups()
        for txn in saved_txns:
            seen.saw(now, short(txn.release, 250), short(txn.environment, 64))
        save_rollups(conn, project_id, seen)
    # A transaction stored before (a replayed batch) brings no new occurrence of its problems.
    perf = [e for txn_id, e in work.perf_events if (e.project_id, txn_id) in fresh_txns]
    perf_saved, perf_duplicates = save_events(conn, perf) if perf else (0, 0)
    record_outcomes(conn, work.outcomes)
    for row, error in failures:
        dead_letter(conn, row, error)
    inbox.acknowledge(conn, [row for row, _ in prepared] + [row for row, _ in failures])
    result.events += saved
    result.perf_events += perf_saved
    result.duplicates += duplicates + perf_duplicates
    result.failed += len(failures)


def digest_batch(db: Database, limit: int, pool: Executor | None = None) -> BatchResult:
    """Digest up to ``limit`` inbox rows; return what happened.

    With a ``pool`` the pure preparation of a backlog runs in worker processes (it is most of
    the digest's CPU); storing stays in this process, the one writer.
    """
    inbox = inbox_for(db)
    result = BatchResult()
    rows: list[InboxRow] = []
    try:
        if inbox.takes_in_transaction:
            with db.write() as conn:
                rows = inbox.take(conn, limit)
                failures: Failures = []
                configs = grouping_configs(db, {r.project_id for r in rows})
                prepared = _prepare_all(rows, failures, None, configs)
                _store(conn, inbox, prepared, failures, result)
            result.envelopes = len(rows)
        else:
            rows = inbox.take(None, limit)
            if not rows:
                return result
            failures = []
            configs = grouping_configs(db, {r.project_id for r in rows})
            prepared = _prepare_all(rows, failures, pool, configs)
            with db.write() as conn:
                _store(conn, inbox, prepared, failures, result)
            result.envelopes = len(rows)
    except Exception:
        log.exception("batch of %d rows failed; retrying them one by one", len(rows))
        result = _one_by_one(db, inbox, limit)
    inbox.release(rows)
    return result


def _one_by_one(db: Database, inbox: Inbox, limit: int) -> BatchResult:
    """Each row in its own transaction, in inbox order; a row that fails is kept aside."""
    result = BatchResult()
    with db.write() as conn:
        rows = inbox.take(conn, limit) if inbox.takes_in_transaction else []
    if not inbox.takes_in_transaction:
        rows = inbox.take(None, limit)
    for row in rows:
        failures: Failures = []
        prepared = _prepare_all([row], failures, None, grouping_configs(db, [row.project_id]))
        try:
            with db.write() as conn:
                _store(conn, inbox, prepared, failures, result)
        except Exception:
            log.exception("inbox row %d failed; kept in inbox_failed", row.id)
            with db.write() as conn:
                _store(conn, inbox, [], [(row, traceback.format_exc(limit=5))], result)
    result.envelopes = len(rows)
    return result


def drain(db: Database, limit: int = 500) -> int:
    """Digest until the inbox is empty; return the number of inbox rows processed."""
    total = 0
    while True:
        result = digest_batch(db, limit)
        if result.envelopes == 0:
            return total
        total += result.envelopes
