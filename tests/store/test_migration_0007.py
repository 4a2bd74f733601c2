"""Migration 0007 builds the hour and day rows over all environments and releases from the
stored ones, with the figures the digest writes for new data."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import select

from heron.rollup import decode_rollup
from heron.store import Database, tables
from heron.store.migrate import _alembic_config
from tests.store.test_perf_digest import NOW, send, transaction
from tests.store.triage_helpers import project

HOUR, DAY = 3600, 86400


def _all_values_rows(db: Database) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    t = tables.perf_rollups
    marker = tables.ALL_VALUES
    stmt = select(t).where((t.c.environment == marker) | (t.c.release == marker))
    found = {}
    with db.read() as conn:
        for r in conn.execute(stmt):
            key = (r.project_id, r.name, r.environment, r.release, r.bucket)
            row = decode_rollup(key, r.count, r.failures, bytes(r.data))
            found[(*key, r.size)] = (
                row.count,
                row.failures,
                row.durations.to_bytes(),
                row.users,
                {k: s.to_bytes() for k, s in row.measurements.items()},
            )
    return found


def _to(db: Database, revision: str, *, down: bool) -> None:
    cfg = _alembic_config()
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_upgrade_builds_what_the_digest_writes(db: Database) -> None:
    pid = project(db)
    payloads = []
    for i in range(40):
        payload = transaction(
            ("GET /a", "GET /b")[i % 2], float(5 + i * 13), end=NOW - (i % 4) * DAY - i * 60
        )
        payload["environment"] = ("production", "staging")[i % 3 % 2]
        payload["release"] = f"r{i % 5}"
        payload["user"] = {"id": f"u-{i % 7}"}
        payloads.append(payload)
    send(db, pid, *payloads)
    written = _all_values_rows(db)
    sizes = {key[-1] for key in written}
    assert sizes == {HOUR, DAY}
    assert any(key[3] == tables.ALL_VALUES and key[2] != tables.ALL_VALUES for key in written)

    _to(db, "0006", down=True)
    assert _all_values_rows(db) == {}
    _to(db, "head", down=False)
    assert _all_values_rows(db) == written
