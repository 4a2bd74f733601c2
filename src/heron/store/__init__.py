"""Storage: SQLAlchemy Core tables over SQLite or PostgreSQL, Alembic migrations."""

from heron.store import tables
from heron.store.codec import pack, pack_bytes, unpack, unpack_bytes
from heron.store.db import Database, upsert
from heron.store.migrate import is_current, migrate

__all__ = [
    "Database",
    "is_current",
    "migrate",
    "pack",
    "pack_bytes",
    "tables",
    "unpack",
    "unpack_bytes",
    "upsert",
]
