"""One inbox batch → one database transaction.

The CPU-heavy part (parsing, normalizing, grouping) runs before the write transaction opens
where the inbox allows it (SQLite), so the single write lock is held only for the bulk writes.
The batch is acknowledged to the inbox inside the transaction that stores its results, so a
crash redoes a whole batch or nothing; events are also unique per (project, event_id), so a
replay never duplicates them. With prepare processes, ``Pipeline`` prepares the next batch
in them while this process stores the current one.

If a batch fails to save, each envelope is retried alone; one that still fails is kept in
``inbox_failed`` with its error, so one bad envelope never blocks the queue.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import Connection, select

from heron.digest.events import save_events
from heron.digest.items import Work, finish_envelope, handler_for
from heron.digest.llm import save_llm_calls
from heron.digest.perf import save_transactions
from heron.digest.projects import DEFAULT, ProjectGrouping, grouping_configs
from heron.digest.rollups import Rollups, save_rollups, short
from heron.digest.streamed import join_streamed_spans
from heron.inbox import Inbox, InboxRow, dead_letter, inbox_for, read_outcomes, record_outcomes
from heron.protocol import parse_envelope
from heron.rollup import Transaction
from heron.store import Database, insert_rows, tables

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
    finish_envelope(work, row)
    return work


Prepared = list[tuple[InboxRow, Work]]
Failures = list[tuple[InboxRow, str]]
Outcomes = list[Work | str]  # per row, in order: what it will write, or why it cannot


Configs = dict[int, ProjectGrouping]


def _prepare_chunk(rows: Sequence[InboxRow], configs: Configs | None = None) -> Outcomes:
    """Each row's work, or its error; in a worker process when there is a pool (the rows
    stay with the caller: only what they became travels back)."""
    out: Outcomes = []
    for row in rows:
        if row.kind == "envelope" and configs is not None and row.project_id not in configs:
            # The project was deleted after ingest took the envelope: nothing to keep.
            out.append(Work())
            continue
        try:
            grouping = configs.get(row.project_id, DEFAULT) if configs else DEFAULT
            out.append(prepare(row, grouping))
        except Exception:  # an envelope we cannot digest is kept aside, never lost
            out.append(traceback.format_exc(limit=5))
    return out


# Below this many rows a batch is prepared in-process: sending it to workers costs more.
_POOL_MIN_ROWS = 64
_CHUNK_ROWS = 32


def _chunks(rows: Sequence[InboxRow]) -> list[Sequence[InboxRow]]:
    return [rows[i : i + _CHUNK_ROWS] for i in range(0, len(rows), _CHUNK_ROWS)]


def _sort_out(rows: Sequence[InboxRow], chunks: Iterable[Outcomes], failures: Failures) -> Prepared:
    prepared = []
    for row, outcome in zip(rows, chain.from_iterable(chunks), strict=True):
        if isinstance(outcome, str):
            failures.append((row, outcome))
        else:
            prepared.append((row, outcome))
    return prepared


def _prepare_all(
    rows: Sequence[InboxRow],
    failures: Failures,
    pool: Executor | None = None,
    configs: Configs | None = None,
) -> Prepared:
    """Prepare every row, in worker processes when there is a pool and a backlog."""
    if pool is not None and len(rows) >= _POOL_MIN_ROWS:
        chunks = _chunks(rows)
        mapped = pool.map(_prepare_chunk, chunks, [configs] * len(chunks))
        return _sort_out(rows, mapped, failures)
    return _sort_out(rows, [_prepare_chunk(rows, configs)], failures)


def _drop_deleted_projects(conn: Connection, prepared: Prepared) -> Prepared:
    """Rows of projects deleted since they were prepared keep nothing (they are acknowledged).

    Checked under the write lock, so a project deletion either finished before (its rows go
    here) or starts after (it deletes what this batch stores)."""
    wanted = {row.project_id for row, _ in prepared if row.kind == "envelope"}
    if not wanted:
        return prepared
    p = tables.projects
    live = set(conn.execute(select(p.c.id).where(p.c.id.in_(wanted))).scalars())
    if len(live) == len(wanted):
        return prepared
    return [
        (row, w if row.kind != "envelope" or row.project_id in live else Work())
        for row, w in prepared
    ]


def _store(
    conn: Connection, inbox: Inbox, prepared: Prepared, failures: Failures, result: BatchResult
) -> None:
    fresh = inbox.still_pending(conn, [row for row, _ in prepared] + [r for r, _ in failures])
    prepared = _drop_deleted_projects(conn, [(row, w) for row, w in prepared if row.id in fresh])
    failures = [(row, e) for row, e in failures if row.id in fresh]
    work = Work()
    for _row, w in prepared:
        work.extend(w)
    saved, duplicates = save_events(conn, work.events)
    if work.attachments:
        insert_rows(conn, tables.attachments, work.attachments)
    join_streamed_spans(conn, work)  # reads earlier raw items: before this batch's
    if work.raw_items:
        insert_rows(conn, tables.stored_items, work.raw_items)
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
    save_llm_calls(conn, [(p, c) for p, c in work.llm_calls if (p, c.event_id) in fresh_txns])
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


@dataclass
class _Ahead:
    """A batch taken before the one in hand was stored, prepared in the pool meanwhile."""

    rows: list[InboxRow]
    configs: Configs
    futures: list[Future[Outcomes]]

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()  # chunks already running finish; nobody reads them


class Pipeline:
    """Digest batch after batch; while this process stores one batch, the pool prepares the
    next, so preparing (pure CPU) and storing (the one writer) overlap.

    The batch prepared ahead is only a cache of work: it is acknowledged like any batch, in
    the transaction that stores it, and ``still_pending`` there drops rows another digest
    process stored meanwhile. When a store fails, the batch ahead is thrown away and the
    inbox is read again from its mark (``_one_by_one``), so nothing is skipped.

    Only inboxes read outside the write transaction (SQLite) are pipelined. The PostgreSQL
    inbox locks its rows in the transaction that stores them, so taking the next batch early
    would mean a second open transaction holding row locks for the whole preparation; it
    digests one batch at a time, as ``digest_batch`` does.
    """

    def __init__(self, db: Database, limit: int, pool: Executor | None) -> None:
        self.db = db
        self.limit = limit
        self.pool = pool
        self.inbox = inbox_for(db)
        self._ahead: _Ahead | None = None

    def step(self) -> BatchResult:
        """Store one batch (taking and preparing the next one meanwhile); what happened."""
        if self.pool is None or self.inbox.takes_in_transaction:
            return digest_batch(self.db, self.limit, self.pool)
        ahead, self._ahead = self._ahead, None
        rows = ahead.rows if ahead is not None else []
        result = BatchResult()
        try:
            if ahead is None:
                rows = self.inbox.take(None, self.limit)
                if not rows:
                    return result
                configs = grouping_configs(self.db, {r.project_id for r in rows})
            else:
                configs = ahead.configs
            failures: Failures = []
            prepared = self._prepare(rows, configs, ahead, failures)
            if self.pool is not None and len(rows) >= min(self.limit, _POOL_MIN_ROWS):
                self._ahead = self._take_ahead(after=rows[-1].id)  # a backlog: read on
            with self.db.write() as conn:
                _store(conn, self.inbox, prepared, failures, result)
            result.envelopes = len(rows)
        except Exception:
            self.discard()
            log.exception("batch of %d rows failed; retrying them one by one", len(rows))
            result = _one_by_one(self.db, self.inbox, self.limit)
        self.inbox.release(rows)
        return result

    def _prepare(
        self, rows: list[InboxRow], configs: Configs, ahead: _Ahead | None, failures: Failures
    ) -> Prepared:
        found: Failures = []
        try:
            if ahead is not None:
                prepared = _sort_out(rows, (f.result() for f in ahead.futures), found)
            else:
                prepared = _prepare_all(rows, found, self.pool, configs)
        except Exception:  # ``_prepare_chunk`` keeps row errors: the pool itself failed
            log.exception("the digest's prepare processes failed; preparing in-process now")
            self.pool = None  # a pool that cannot start processes fails every batch
            found = []
            prepared = _prepare_all(rows, found, None, configs)
        failures += found
        return prepared

    def _take_ahead(self, after: int) -> _Ahead | None:
        assert self.pool is not None
        rows = self.inbox.take(None, self.limit, after=after)
        if not rows:
            return None
        # Grouping settings are read now, one batch before this batch is stored: a change
        # saved in between applies from the batch after (as it would have a moment later).
        # A project deleted in between keeps nothing: ``_store`` checks under the write lock.
        configs = grouping_configs(self.db, {r.project_id for r in rows})
        futures = [self.pool.submit(_prepare_chunk, c, configs) for c in _chunks(rows)]
        return _Ahead(rows, configs, futures)

    def discard(self) -> None:
        """Forget the batch prepared ahead (it is taken again from the inbox later)."""
        if self._ahead is not None:
            self._ahead.cancel()
            self._ahead = None


def drain(db: Database, limit: int = 500) -> int:
    """Digest until the inbox is empty; return the number of inbox rows processed."""
    total = 0
    while True:
        result = digest_batch(db, limit)
        if result.envelopes == 0:
            return total
        total += result.envelopes
