"""The SQLite inbox: its own database file beside the main one.

Ingest commits to this file and never waits for the digest, which holds the main file's
single write lock while it stores a batch. Exactly-once without a shared transaction: the
digest records the highest inbox id it has stored in the main database, in the same
transaction as the results (``inbox_progress``), and only takes rows above that mark; rows at
or below it are deleted from this file afterwards, whenever convenient.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, delete, func, select

from heron.inbox.base import Inbox, InboxRow, within_budget
from heron.inbox.records import InboxRecord
from heron.inbox.table import record_values
from heron.store import Database, tables, upsert

log = logging.getLogger("heron.inbox")

# Seconds the thread that frees digested rows waits for more before it ends.
_RELEASE_IDLE = 5.0

_metadata = MetaData()
# AUTOINCREMENT: ids must never be reused after rows are deleted, or the mark would skip them.
queue = Table("inbox", _metadata, *tables.inbox_columns(), sqlite_autoincrement=True)


def inbox_path(main: Database) -> Path:
    from sqlalchemy.engine import make_url

    database = make_url(main.url).database
    if not database or database == ":memory:":
        raise ValueError("the SQLite inbox needs a database file")
    return Path(database).with_name("inbox.sqlite3")


class SqliteFileInbox(Inbox):
    def __init__(self, main: Database) -> None:
        self.main = main
        self.db = Database(f"sqlite:///{inbox_path(main)}")
        _metadata.create_all(self.db.write_engine)
        self._release_wanted = threading.Condition()
        self._release_pending = False
        self._releaser: threading.Thread | None = None
        self._closing = False

    def append(self, records: Sequence[InboxRecord]) -> None:
        if records:
            with self.db.write() as conn:
                conn.execute(queue.insert(), record_values(records))

    @staticmethod
    def _read_mark(conn: Connection) -> int:
        mark = conn.execute(
            select(tables.inbox_progress.c.last_id).where(tables.inbox_progress.c.id == 1)
        ).scalar()
        return int(mark or 0)

    def _mark(self) -> int:
        with self.main.read() as conn:
            return self._read_mark(conn)

    def still_pending(self, conn: Connection, rows: Sequence[InboxRow]) -> set[int]:
        # A second digest process (``heron digest`` beside ``heron serve``) may have stored
        # some of these rows since we took them; the write lock makes this check exact.
        mark = self._read_mark(conn)
        return {r.id for r in rows if r.id > mark}

    def take(self, conn: Connection | None, limit: int, after: int = 0) -> list[InboxRow]:
        # Ids become visible in order (one writer, AUTOINCREMENT), so rows above ``after`` are
        # never missed by a take that skips the ones already taken.
        start = max(self._mark(), after)
        q = queue.c
        stmt = (
            select(q.id, q.project_id, q.received_at, q.kind, q.client_ip, q.body)
            .where(q.id > start)
            .order_by(q.id)
            .limit(limit)
        )
        with self.db.read() as inbox_conn:
            return within_budget(InboxRow(*row) for row in inbox_conn.execute(stmt))

    def acknowledge(self, conn: Connection, rows: Sequence[InboxRow]) -> None:
        if rows:
            upsert(
                conn,
                tables.inbox_progress,
                [{"id": 1, "last_id": max(r.id for r in rows)}],
                keys=("id",),
                set_max=("last_id",),
            )

    def release(self, rows: Sequence[InboxRow]) -> None:
        # Deleting a batch's rows (their bodies span overflow pages) costs the digest about
        # as much as a tenth of storing the batch: a thread does it while the next batch is
        # stored (SQLite runs without the GIL). Requests coalesce: each deletes up to the mark.
        if not rows:
            return
        with self._release_wanted:
            self._release_pending = True
            if self._releaser is None:
                self._releaser = threading.Thread(
                    target=self._release_loop, name="heron-inbox-release", daemon=True
                )
                self._releaser.start()
            else:
                self._release_wanted.notify()

    def _release_loop(self) -> None:
        # The thread ends after a quiet while, so an idle inbox holds no thread (nor, through
        # it, its databases).
        while True:
            with self._release_wanted:
                if not self._release_pending and not self._closing:
                    self._release_wanted.wait(_RELEASE_IDLE)
                if not self._release_pending:
                    self._releaser = None
                    return
                self._release_pending = False
            try:
                self._delete_acknowledged()
            except Exception:  # a busy or missing file: the next release deletes these too
                log.exception("freeing digested inbox rows failed")

    def _delete_acknowledged(self) -> None:
        # Up to the committed mark, never further: only acknowledged rows go.
        mark = self._mark()
        with self.db.write() as conn:
            conn.execute(delete(queue).where(queue.c.id <= mark))

    def pending(self) -> int:
        mark = self._mark()
        with self.db.read() as conn:
            count = conn.execute(
                select(func.count()).select_from(queue).where(queue.c.id > mark)
            ).scalar_one()
        return int(count)

    def drained(self) -> bool:
        mark = self._mark()
        with self.db.read() as conn:
            waiting = conn.execute(select(queue.c.id).where(queue.c.id > mark).limit(1)).first()
        return waiting is None

    def dispose(self) -> None:
        with self._release_wanted:
            self._closing = True
            releaser = self._releaser
            self._release_wanted.notify()
        if releaser is not None:
            releaser.join(_RELEASE_IDLE)
        self.db.dispose()
