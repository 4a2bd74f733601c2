from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from heron.store import Database, is_current, migrate, tables, upsert


def test_migrations_match_the_tables(db: Database) -> None:
    with db.read() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, tables.metadata)
    assert diff == []
    assert is_current(db)


def test_migrate_is_idempotent(db: Database) -> None:
    migrate(db)
    migrate(db)
    assert is_current(db)


def test_upsert_adds_and_keeps_extremes(db: Database) -> None:
    t = tables.issue_tags
    row = {
        "issue_id": 1,
        "key": "env",
        "value": "prod",
        "times_seen": 2,
        "first_seen": 10.0,
        "last_seen": 20.0,
    }
    with db.write() as conn:
        for r in (row, {**row, "times_seen": 3, "first_seen": 5.0, "last_seen": 15.0}):
            upsert(
                conn,
                t,
                [r],
                keys=("issue_id", "key", "value"),
                add=("times_seen",),
                set_min=("first_seen",),
                set_max=("last_seen",),
            )
    with db.read() as conn:
        got = conn.execute(select(t.c.times_seen, t.c.first_seen, t.c.last_seen)).one()
    assert tuple(got) == (5, 5.0, 20.0)
