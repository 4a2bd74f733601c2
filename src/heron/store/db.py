"""Engines for SQLite and PostgreSQL, with SQLite's one-writer discipline built in.

SQLite: WAL journal, ``synchronous=FULL`` (an acknowledged envelope survives power loss, not
only ``kill -9``), and writes open with ``BEGIN IMMEDIATE`` so two writers queue on the lock
instead of failing half-way. Reads use a separate engine with deferred transactions, so pages
and the API read while the digest writes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url


class Database:
    """The engines of one database: ``write`` for transactions that change data, ``read``."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        if self.is_sqlite:
            self._prepare_sqlite_dir(url)
            self.write_engine = self._sqlite_engine(url, immediate=True)
            self.read_engine = self._sqlite_engine(url, immediate=False)
        else:
            self.write_engine = create_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.read_engine = self.write_engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @staticmethod
    def _prepare_sqlite_dir(url: str) -> None:
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
        # A small pool: opening a SQLite connection (and its PRAGMAs) costs more than a commit.
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=4,
            max_overflow=8,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transaction control away from the sqlite3 module, so BEGIN is ours.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on error."""
        with self.write_engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.read_engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    add: Sequence[str] = (),
    set_max: Sequence[str] = (),
    set_min: Sequence[str] = (),
    set_new: Sequence[str] = (),
) -> None:
    """Insert rows, or on a key conflict add to counters and keep the max/min/newest values.

    One portable statement for SQLite and PostgreSQL (both speak ``ON CONFLICT``).
    """
    if not rows:
        return
    insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)
    excluded = insert.excluded
    changes: dict[str, Any] = {}
    for col in add:
        changes[col] = table.c[col] + excluded[col]
    greatest, least = _minmax(conn.dialect.name)
    for col in set_max:
        changes[col] = greatest(table.c[col], excluded[col])
    for col in set_min:
        changes[col] = least(table.c[col], excluded[col])
    for col in set_new:
        changes[col] = excluded[col]
    if changes:
        stmt = insert.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        stmt = insert.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows))


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows that all name the same columns, as one driver-level ``executemany``.

    For the digest's bulk writes: SQLAlchemy's per-row parameter processing costs more than
    the database for thousands of plain rows. Rows that differ in their columns take the
    usual path.
    """
    if not rows:
        return
    columns = list(rows[0])
    if any(len(row) != len(columns) for row in rows) or any(
        row.keys() != rows[0].keys() for row in rows
    ):
        conn.execute(table.insert(), list(rows))
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(f'"{table.c[c].name}"' for c in columns)
    marks = ", ".join([mark] * len(columns))
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
        [tuple(row[c] for c in columns) for row in rows],
    )


def _minmax(dialect: str) -> tuple[Any, Any]:
    from sqlalchemy import func

    if dialect == "sqlite":
        # SQLite's two-argument max()/min() are scalar functions.
        return func.max, func.min
    return func.greatest, func.least
