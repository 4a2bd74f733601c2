"""Small helpers for the triage digest tests: events with chosen times, issue rows, activity."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from sqlalchemy import select, update

from heron.digest import drain
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import Database, tables
from heron.store import accounts as acc


def project(db: Database) -> int:
    with db.write() as conn:
        org = acc.create_organization(conn, "acme")
        return acc.create_project(conn, org, "web")


def event(
    where: str = "handler",
    *,
    release: str | None = "1.0",
    environment: str | None = "production",
    user: str = "u1",
    ts: float | None = None,
) -> dict[str, Any]:
    """An error event; ``where`` (the function that raised) decides its issue."""
    e: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "timestamp": ts if ts is not None else time.time(),
        "platform": "python",
        "level": "error",
        "user": {"id": user},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad input in {where}",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "app/main.py",
                                "module": "app.main",
                                "function": where,
                                "lineno": 20,
                                "in_app": True,
                            }
                        ]
                    },
                }
            ]
        },
    }
    if release is not None:
        e["release"] = release
    if environment is not None:
        e["environment"] = environment
    return e


def send(db: Database, project_id: int, *events: dict[str, Any], at: float | None = None) -> None:
    """Digest ``events`` as one batch, received at ``at`` (default: now)."""
    received = at if at is not None else time.time()
    records = [
        InboxRecord(
            project_id,
            serialize_envelope(
                Envelope({"event_id": e["event_id"]}, [Item({"type": "event"}, orjson.dumps(e))])
            ),
            received_at=received,
        )
        for e in events
    ]
    inbox_for(db).append(records)
    assert drain(db) == len(records)


def issues(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(tables.issues).order_by(tables.issues.c.id)))


def issue(db: Database, issue_id: int) -> Any:
    with db.read() as conn:
        return conn.execute(select(tables.issues).where(tables.issues.c.id == issue_id)).one()


def set_issue(db: Database, issue_id: int, **values: Any) -> None:
    """What the triage actions write, set directly (the digest only reacts to it)."""
    with db.write() as conn:
        conn.execute(update(tables.issues).where(tables.issues.c.id == issue_id).values(**values))


def activity(db: Database, issue_id: int) -> list[tuple[str, dict[str, Any]]]:
    a = tables.activity
    with db.read() as conn:
        rows = conn.execute(
            select(a.c.kind, a.c.data).where(a.c.issue_id == issue_id).order_by(a.c.id)
        )
        return [(r.kind, orjson.loads(r.data)) for r in rows]


def counts(db: Database, issue_id: int) -> dict[int, int]:
    c = tables.issue_counts
    with db.read() as conn:
        rows = conn.execute(select(c.c.bucket, c.c.count).where(c.c.issue_id == issue_id))
        return {int(r.bucket): int(r.count) for r in rows}
