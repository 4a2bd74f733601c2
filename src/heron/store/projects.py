"""Projects and their client keys: what ingest looks up, key changes, deleting a project.

Deleting a project removes every row that belongs to it. The big tables go in chunks, one
short transaction each, so SQLite's single write lock is never held for long and the digest
keeps working for other projects in between; a last transaction sweeps whatever is left
(including rows the digest wrote meanwhile) and removes the keys and the project itself.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from heron.store import tables
from heron.store.db import Database

_k = tables.project_keys
_p = tables.projects

# Rows per delete transaction. 2,000 events are a few MB of blobs: tens of milliseconds.
EVENT_CHUNK = 2_000
ISSUE_CHUNK = 200
OUTCOME_CHUNK = 5_000

# Tables found by their columns, so a table added later is deleted too: rows tied to an
# issue (an ``issue_id`` column) and rows tied to the project (``project_id``), children
# before parents. The inbox is left alone: the digest drops what it holds for a project
# that no longer exists.
_OWN_STEPS = {"projects", "project_keys", "issues", "events", "inbox"}
_TABLES = list(reversed(tables.metadata.sorted_tables))
_ISSUE_TABLES = [t for t in _TABLES if "issue_id" in t.c and t.name not in _OWN_STEPS]
_PROJECT_TABLES = [t for t in _TABLES if "project_id" in t.c and t.name not in _OWN_STEPS]


@dataclass(frozen=True)
class IngestKey:
    """A public key as ingest needs it: its project, whether it works, its rate limits."""

    key_id: int
    project_id: int
    public_key: str
    is_active: bool
    rate_limit: int | None  # the project's events per minute; None = unlimited
    key_rate_limit: int | None  # this key's events per minute; None = unlimited


def ingest_key(conn: Connection, public_key: str) -> IngestKey | None:
    row = conn.execute(
        select(_k.c.id, _k.c.project_id, _k.c.is_active, _k.c.rate_limit, _p.c.rate_limit)
        .join(_p, _p.c.id == _k.c.project_id)
        .where(_k.c.public_key == public_key)
    ).first()
    if row is None:
        return None
    return IngestKey(int(row[0]), int(row[1]), public_key, bool(row[2]), row[4], row[3])


# --- keys --------------------------------------------------------------------------------


def insert_key(conn: Connection, project_id: int, label: str, rate_limit: int | None = None) -> int:
    """A new active key with a fresh random public key; returns its id."""
    result = conn.execute(
        _k.insert().values(
            project_id=project_id,
            public_key=secrets.token_hex(16),
            label=label,
            is_active=True,
            rate_limit=rate_limit,
            created_at=time.time(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def key_of_project(conn: Connection, project_id: int, key_id: int) -> dict[str, Any] | None:
    """The key ``key_id`` when it belongs to the project, else None."""
    row = conn.execute(select(_k).where(_k.c.id == key_id, _k.c.project_id == project_id)).first()
    return dict(row._mapping) if row else None


def update_key(conn: Connection, key_id: int, **values: Any) -> None:
    conn.execute(update(_k).where(_k.c.id == key_id).values(**values))


def delete_key(conn: Connection, key_id: int) -> None:
    conn.execute(delete(_k).where(_k.c.id == key_id))


def disable_keys(conn: Connection, project_id: int) -> None:
    conn.execute(update(_k).where(_k.c.project_id == project_id).values(is_active=False))


# --- deleting a project -----------------------------------------------------------------


def delete_project(
    db: Database,
    project_id: int,
    *,
    keys_disabled: Callable[[], object] | None = None,
    event_chunk: int = EVENT_CHUNK,
    issue_chunk: int = ISSUE_CHUNK,
) -> dict[str, int]:
    """Delete the project and everything stored for it; returns rows deleted per table.

    The keys are disabled first, in a transaction of their own, and ``keys_disabled`` is
    called right after it commits (ingest drops its cached keys there). Safe to run again
    after a crash half-way: every step deletes whatever of the project is still there.
    """
    deleted: Counter[str] = Counter()
    with db.write() as conn:
        disable_keys(conn, project_id)
    if keys_disabled is not None:
        keys_disabled()
    while _delete_events(db, project_id, event_chunk, deleted):
        pass
    while _delete_issues(db, project_id, issue_chunk, deleted):
        pass
    for table in _PROJECT_TABLES:
        if "id" in table.c:
            while _delete_by_id(db, table, project_id, event_chunk, deleted):
                pass
    while _delete_outcomes(db, project_id, OUTCOME_CHUNK, deleted):
        pass
    with db.write() as conn:
        _sweep(conn, project_id, deleted)
    return {name: count for name, count in sorted(deleted.items()) if count}


def _delete_events(db: Database, project_id: int, chunk: int, deleted: Counter[str]) -> bool:
    """One chunk of events with their attachments; False when none were left."""
    e, a = tables.events, tables.attachments
    with db.write() as conn:
        rows = conn.execute(
            select(e.c.id, e.c.event_id).where(e.c.project_id == project_id).limit(chunk)
        ).all()
        if not rows:
            return False
        event_ids = [r.event_id for r in rows]
        deleted["attachments"] += _count(
            conn.execute(delete(a).where(a.c.project_id == project_id, a.c.event_id.in_(event_ids)))
        )
        deleted["events"] += _count(conn.execute(delete(e).where(e.c.id.in_([r.id for r in rows]))))
    return True


def _delete_by_id(
    db: Database, table: Table, project_id: int, chunk: int, deleted: Counter[str]
) -> bool:
    with db.write() as conn:
        ids = list(
            conn.execute(
                select(table.c.id).where(table.c.project_id == project_id).limit(chunk)
            ).scalars()
        )
        if ids:
            deleted[table.name] += _count(conn.execute(delete(table).where(table.c.id.in_(ids))))
    return bool(ids)


def _delete_issues(db: Database, project_id: int, chunk: int, deleted: Counter[str]) -> bool:
    """One chunk of issues with every row hanging off them; False when none were left."""
    i = tables.issues
    with db.write() as conn:
        ids = list(
            conn.execute(select(i.c.id).where(i.c.project_id == project_id).limit(chunk)).scalars()
        )
        if not ids:
            return False
        for table in _ISSUE_TABLES:
            deleted[table.name] += _count(
                conn.execute(delete(table).where(table.c.issue_id.in_(ids)))
            )
        deleted["issues"] += _count(conn.execute(delete(i).where(i.c.id.in_(ids))))
    return True


def _delete_outcomes(db: Database, project_id: int, chunk: int, deleted: Counter[str]) -> bool:
    """Outcomes (a row per minute and kind) up to the ``chunk``-th oldest minute."""
    o = tables.outcomes
    with db.write() as conn:
        edge = conn.execute(
            select(o.c.bucket)
            .where(o.c.project_id == project_id)
            .order_by(o.c.bucket)
            .offset(chunk)
            .limit(1)
        ).scalar()
        if edge is None:
            return False  # the rest is small: the sweep takes it
        count = _count(
            conn.execute(delete(o).where(o.c.project_id == project_id, o.c.bucket < edge))
        )
        deleted["outcomes"] += count
    return count > 0  # 0: the oldest minute alone holds a chunk; the sweep takes it


def _sweep(conn: Connection, project_id: int, deleted: Counter[str]) -> None:
    """Everything still left, the keys and the project, in one transaction."""
    i = tables.issues
    issue_ids = select(i.c.id).where(i.c.project_id == project_id)
    for table in _ISSUE_TABLES:
        deleted[table.name] += _count(
            conn.execute(delete(table).where(table.c.issue_id.in_(issue_ids)))
        )
    for table in [*_PROJECT_TABLES, tables.events]:
        deleted[table.name] += _count(
            conn.execute(delete(table).where(table.c.project_id == project_id))
        )
    deleted["issues"] += _count(conn.execute(delete(i).where(i.c.project_id == project_id)))
    deleted["project_keys"] += _count(conn.execute(delete(_k).where(_k.c.project_id == project_id)))
    deleted["projects"] += _count(conn.execute(delete(_p).where(_p.c.id == project_id)))


def _count(result: Any) -> int:
    return max(0, int(result.rowcount or 0))
