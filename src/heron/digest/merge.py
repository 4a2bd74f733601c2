"""Rollup rows merged into their tables inside the batch's transaction, in plain SQL on the
driver (both backends speak this dialect).

A batch's rows are first inserted as they are (``ON CONFLICT DO NOTHING RETURNING`` tells
which keys were new); only the others are read ``FOR UPDATE`` in key order, merged by the
caller and written back, so concurrent digest workers on PostgreSQL wait for each other
instead of losing an update or failing on a duplicate key. Counters alone merge in one
statement (:func:`add_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table

# SQLAlchemy's per-row parameter processing cost more than the database for thousands of rows
# per batch. Rows per statement keep the parameters far below both backends' limits.
_CHUNK = 1000
_MAX_PARAMETERS = 30_000


def _chunk(width: int) -> int:
    return max(1, min(_CHUNK, _MAX_PARAMETERS // max(width, 1)))


def _columns(names: Sequence[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{n}"' for n in names)


def _marks(conn: Connection, width: int, rows: int) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    row = "(" + ", ".join([mark] * width) + ")"
    return ", ".join([row] * rows)


def insert_new(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    values: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> set[tuple[Any, ...]]:
    """Insert the rows (key columns, then ``values``) whose key is not stored yet, in the
    given order; return the keys inserted."""
    inserted: set[tuple[Any, ...]] = set()
    width = len(keys) + len(values)
    step = _chunk(width)
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        sql = (
            f'INSERT INTO "{table.name}" ({_columns([*keys, *values])}) '
            f"VALUES {_marks(conn, width, len(chunk))} "
            f"ON CONFLICT ({_columns(keys)}) DO NOTHING RETURNING {_columns(keys)}"
        )
        params = tuple(chain.from_iterable(chunk))
        inserted.update(tuple(row) for row in conn.exec_driver_sql(sql, params))
    return inserted


def locked_rows(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    values: Sequence[str],
    wanted: Sequence[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """Key and ``values`` columns of the stored rows of ``wanted`` (sorted keys), locked
    (PostgreSQL) in key order.

    A join with a VALUES list of the keys: both backends look each one up in the primary key,
    so the cost follows the batch, not the table (an IN list per column would scan every
    bucket of a name, and a row-value IN scans the table on SQLite).
    """
    match = " AND ".join(f't."{n}" = k.column{i + 1}' for i, n in enumerate(keys))
    lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE OF t"
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        sql = (
            f'SELECT {_columns([*keys, *values], "t.")} FROM "{table.name}" AS t '
            f"JOIN (VALUES {_marks(conn, len(keys), len(chunk))}) AS k ON {match} "
            f"ORDER BY {_columns(keys, 't.')}{lock}"
        )
        params = tuple(chain.from_iterable(chunk))
        found.extend(tuple(row) for row in conn.exec_driver_sql(sql, params))
    return found


def write_back(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    values: Sequence[str],
    updates: list[tuple[Any, ...]],
) -> None:
    """Set ``values`` of stored rows; each update is the new values, then the key."""
    if updates:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sets = ", ".join(f'"{n}" = {mark}' for n in values)
        where = " AND ".join(f'"{n}" = {mark}' for n in keys)
        conn.exec_driver_sql(f'UPDATE "{table.name}" SET {sets} WHERE {where}', updates)


def add_rows(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    counters: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Insert the rows (key columns, then ``counters``), or add their counters to the stored
    row of the same key. Sort ``rows`` by key: concurrent writers then lock in one order."""
    if not rows:
        return
    width = len(keys) + len(counters)
    sets = ", ".join(f'"{n}" = "{table.name}"."{n}" + excluded."{n}"' for n in counters)
    step = _chunk(width)
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        sql = (
            f'INSERT INTO "{table.name}" ({_columns([*keys, *counters])}) '
            f"VALUES {_marks(conn, width, len(chunk))} "
            f"ON CONFLICT ({_columns(keys)}) DO UPDATE SET {sets}"
        )
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))
