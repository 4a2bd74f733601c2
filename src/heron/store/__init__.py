"""Storage: SQLAlchemy Core tables over SQLite or PostgreSQL, Alembic migrations."""

from heron.store import tables
from heron.store.activity import KINDS as ACTIVITY_KINDS
from heron.store.activity import activity_row, record_activity
from heron.store.codec import pack, pack_bytes, unpack, unpack_bytes
from heron.store.db import Database, insert_rows, upsert
from heron.store.issues import CLEARED_ON_REOPEN, allocate_short_id
from heron.store.migrate import is_current, migrate

__all__ = [
    "ACTIVITY_KINDS",
    "CLEARED_ON_REOPEN",
    "Database",
    "activity_row",
    "allocate_short_id",
    "insert_rows",
    "is_current",
    "migrate",
    "pack",
    "pack_bytes",
    "record_activity",
    "tables",
    "unpack",
    "unpack_bytes",
    "upsert",
]
