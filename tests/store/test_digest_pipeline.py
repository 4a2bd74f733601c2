"""The pipelined digest: while one batch is stored, the next is prepared in real worker
processes; every inbox row is still stored exactly once, whatever happens in between."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from heron.digest import batch, drain
from heron.digest.worker import _prepare_pool
from heron.inbox import InboxRecord, SqliteFileInbox, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import Database, tables
from heron.store import accounts as acc
from heron.store import projects as project_store

BATCH = 64  # the smallest batch that goes to the pool


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    """Two spawned worker processes, as ``heron digest`` starts them."""
    executor = _prepare_pool(2)
    assert executor is not None
    try:
        yield executor
    finally:
        executor.shutdown(cancel_futures=True)


def _project(db: Database, name: str = "web") -> int:
    with db.write() as conn:
        org = acc.create_organization(conn, f"org-{name}")
        return acc.create_project(conn, org, name)


def _put(db: Database, project_id: int, count: int, prefix: str = "e") -> list[str]:
    """``count`` error envelopes in ``count`` inbox rows; their event ids."""
    records, ids = [], []
    for n in range(count):
        event_id = uuid.uuid4().hex
        event: dict[str, Any] = {
            "event_id": event_id,
            "timestamp": time.time(),
            "platform": "python",
            "level": "error",
            "exception": {"values": [{"type": "ValueError", "value": f"{prefix} {n}"}]},
        }
        body = orjson.dumps(event)
        envelope = Envelope({"event_id": event_id}, [Item({"type": "event"}, body)])
        records.append(InboxRecord(project_id, serialize_envelope(envelope)))
        ids.append(event_id)
    inbox_for(db).append(records)
    return ids


def _stored_event_ids(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(tables.events.c.event_id)).scalars())


def _accepted(db: Database) -> int:
    with db.read() as conn:
        total = conn.execute(select(func.sum(tables.outcomes.c.quantity))).scalar()
    return int(total or 0)


def _run(pipeline: batch.Pipeline) -> int:
    """Step until the inbox is empty; the rows processed."""
    total = 0
    while (result := pipeline.step()).envelopes:
        total += result.envelopes
    return total


def _sqlite_only(db: Database) -> None:
    if inbox_for(db).takes_in_transaction:
        pytest.skip("the PostgreSQL inbox is not pipelined (rows are locked in the transaction)")


def test_pipeline_stores_every_row_exactly_once(db: Database, pool: Executor) -> None:
    pid = _project(db)
    sent = _put(db, pid, 5 * BATCH + 7)
    pipeline = batch.Pipeline(db, BATCH, pool)
    assert _run(pipeline) == len(sent)
    assert sorted(_stored_event_ids(db)) == sorted(sent)
    assert _accepted(db) == len(sent)
    assert inbox_for(db).pending() == 0


def test_the_next_batch_is_taken_while_one_is_stored(db: Database, pool: Executor) -> None:
    _sqlite_only(db)
    pid = _project(db)
    sent = _put(db, pid, 3 * BATCH)
    pipeline = batch.Pipeline(db, BATCH, pool)
    assert pipeline.step().envelopes == BATCH
    ahead = pipeline._ahead
    assert ahead is not None and len(ahead.rows) == BATCH
    assert ahead.rows == inbox_for(db).take(None, BATCH)  # the first rows not yet stored
    assert _run(pipeline) == 2 * BATCH
    assert sorted(_stored_event_ids(db)) == sorted(sent)


def test_a_failed_batch_falls_back_one_by_one_and_the_batch_ahead_is_dropped(
    db: Database, pool: Executor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqlite_only(db)
    pid = _project(db)
    sent = _put(db, pid, 4 * BATCH)
    store = batch._store
    calls = 0

    def flaky(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second batch, stored while the third is prepared ahead
            raise RuntimeError("disk full, for a moment")
        store(*args)

    monkeypatch.setattr(batch, "_store", flaky)
    pipeline = batch.Pipeline(db, BATCH, pool)
    assert _run(pipeline) == len(sent)
    assert sorted(_stored_event_ids(db)) == sorted(sent)
    assert _accepted(db) == len(sent)
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(tables.inbox_failed)).scalar() == 0


def test_rows_another_digest_stored_meanwhile_are_not_stored_again(
    db: Database, pool: Executor
) -> None:
    """``heron digest`` beside ``heron serve``: the other worker takes part of the batch this
    one prepared ahead, and stores it first."""
    _sqlite_only(db)
    pid = _project(db)
    sent = _put(db, pid, 4 * BATCH)
    pipeline = batch.Pipeline(db, BATCH, pool)
    assert pipeline.step().envelopes == BATCH  # the second batch is now prepared ahead
    other = Database(db.url)  # another process: its own engine and inbox object
    try:
        assert batch.digest_batch(other, BATCH // 2).envelopes == BATCH // 2
        _run(pipeline)
        assert inbox_for(other).pending() == 0
    finally:
        inbox_for(other).dispose()
        other.dispose()
    stored = _stored_event_ids(db)
    assert sorted(stored) == sorted(sent) and len(set(stored)) == len(stored)
    assert _accepted(db) == len(sent)


def test_another_digest_may_store_the_whole_batch_ahead_and_more(
    db: Database, pool: Executor
) -> None:
    _sqlite_only(db)
    pid = _project(db)
    sent = _put(db, pid, 5 * BATCH)
    pipeline = batch.Pipeline(db, BATCH, pool)
    pipeline.step()
    other = Database(db.url)
    try:
        assert batch.digest_batch(other, 3 * BATCH).envelopes == 3 * BATCH
    finally:
        inbox_for(other).dispose()
        other.dispose()
    assert _run(pipeline) == 2 * BATCH  # the batch ahead (all stored already), then the rest
    stored = _stored_event_ids(db)
    assert sorted(stored) == sorted(sent) and len(set(stored)) == len(stored)
    assert _accepted(db) == len(sent)


def test_a_project_deleted_while_its_rows_are_prepared_keeps_nothing(
    db: Database, pool: Executor
) -> None:
    _sqlite_only(db)
    kept, gone = _project(db, "kept"), _project(db, "gone")
    sent = _put(db, kept, BATCH)
    _put(db, gone, BATCH, prefix="gone")
    pipeline = batch.Pipeline(db, BATCH, pool)
    pipeline.step()  # the rows of ``gone`` are prepared ahead with its settings
    assert pipeline._ahead is not None
    project_store.delete_project(db, gone)
    assert _run(pipeline) == BATCH
    assert sorted(_stored_event_ids(db)) == sorted(sent)
    with db.read() as conn:
        issues = conn.execute(select(tables.issues.c.project_id)).scalars().all()
    assert set(issues) == {kept}
    assert inbox_for(db).pending() == 0


def test_without_a_pool_the_pipeline_is_the_plain_digest(db: Database) -> None:
    pid = _project(db)
    sent = _put(db, pid, 3)
    pipeline = batch.Pipeline(db, BATCH, None)
    assert _run(pipeline) == 3 and pipeline._ahead is None
    assert sorted(_stored_event_ids(db)) == sorted(sent)
    assert drain(db) == 0


def test_sqlite_inbox_takes_after_the_rows_already_taken(db: Database) -> None:
    inbox = inbox_for(db)
    if not isinstance(inbox, SqliteFileInbox):
        pytest.skip("the SQLite file inbox")
    pid = _project(db)
    _put(db, pid, 10)
    first = inbox.take(None, 4)
    second = inbox.take(None, 4, after=first[-1].id)
    assert [r.id for r in second] == [r.id + 4 for r in first]
    with db.write() as conn:  # once the mark passes ``after``, the mark wins
        inbox.acknowledge(conn, second)
    assert [r.id for r in inbox.take(None, 10, after=first[-1].id)] == [r.id + 8 for r in first[:2]]


def test_a_pool_that_fails_is_dropped_and_rows_are_prepared_in_process(db: Database) -> None:
    _sqlite_only(db)
    pid = _project(db)
    sent = _put(db, pid, 2 * BATCH + 1)
    broken = _prepare_pool(2)  # cannot take work: like a pool whose processes cannot start
    assert broken is not None
    broken.shutdown()
    pipeline = batch.Pipeline(db, BATCH, broken)
    assert _run(pipeline) == len(sent)
    assert pipeline.pool is None
    assert sorted(_stored_event_ids(db)) == sorted(sent)
    assert _accepted(db) == len(sent)


def test_sqlite_inbox_frees_only_acknowledged_rows_in_the_background(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = inbox_for(db)
    if not isinstance(inbox, SqliteFileInbox):
        pytest.skip("the SQLite file inbox")
    from heron.inbox import sqlite_file

    monkeypatch.setattr(sqlite_file, "_RELEASE_IDLE", 0.2)
    pid = _project(db)
    _put(db, pid, 10)
    taken = inbox.take(None, 10)
    with db.write() as conn:
        inbox.acknowledge(conn, taken[:6])
    inbox.release(taken)  # asks for all ten: only the six acknowledged ones may go

    def left() -> list[int]:
        with inbox.db.read() as conn:
            return list(conn.execute(select(sqlite_file.queue.c.id)).scalars())

    deadline = time.monotonic() + 10
    while len(left()) != 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert left() == [r.id for r in taken[6:]]
    while inbox._releaser is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert inbox._releaser is None  # an idle inbox keeps no thread
    with db.write() as conn:
        inbox.acknowledge(conn, taken)
    inbox.release(taken)  # a new thread starts, and dispose waits for it
    inbox.dispose()
    assert left() == []


def test_a_batch_stops_at_its_byte_budget(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from heron.inbox import base

    pid = _project(db)
    sent = _put(db, pid, 10)
    inbox = inbox_for(db)
    with db.write() as conn:
        size = len(inbox.take(conn, 1)[0].body)  # the envelopes are about the same size
        monkeypatch.setattr(base, "BATCH_BYTES", 3 * size)
        taken = inbox.take(conn, 10)
    assert 3 <= len(taken) <= 4  # the row that reaches the budget is the last one
    monkeypatch.setattr(base, "BATCH_BYTES", 1)
    with db.write() as conn:
        assert len(inbox.take(conn, 10)) == 1  # never an empty batch
    monkeypatch.undo()
    assert drain(db, limit=10) == len(sent)
    assert sorted(_stored_event_ids(db)) == sorted(sent)
