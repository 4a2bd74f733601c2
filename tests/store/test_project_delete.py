"""Deleting a project: every row of it goes, in small transactions; other projects keep theirs.

The project is filled through the real pipeline (inbox → digest: events, issues, tags,
users, attachments, raw items, outcomes) plus rows people make (bookmarks, comments). The
check walks every table of the schema, so a table added later without being deleted fails.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import Table, func, select

from heron.digest import drain
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import Database, tables, upsert
from heron.store import accounts as acc
from heron.store import projects as store

# Tables that hold no rows of a project, or that deletion leaves alone on purpose.
NOT_PER_PROJECT = {"instance", "organizations", "users", "members", "teams", "team_members"}
NOT_PER_PROJECT |= {"invites", "api_tokens", "inbox_progress", "inbox"}


def _event(value: str, function: str, user: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "release": "shop@1.0",
        "environment": "production",
        "user": {"id": user},
        "tags": {"job_id": "job-1"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": value,
                    "stacktrace": {
                        "frames": [{"filename": "app.py", "function": function, "in_app": True}]
                    },
                }
            ]
        },
    }


def _fill(db: Database, project_id: int, issues: int = 4, per_issue: int = 3) -> None:
    """Events in ``issues`` issues, each envelope with an attachment, a transaction and a
    client report; then a bookmark, a comment and the per-project rows the digest may not
    write yet (releases, environments, hourly counts), and a failed inbox row."""
    records = []
    for n in range(issues):
        for k in range(per_issue):
            event = _event(f"broken {n}", f"handler_{'abcdefgh'[n]}", f"user-{k}")
            now = time.time()
            transaction = {
                "type": "transaction",
                "transaction": "/checkout",
                "start_timestamp": now - 0.2,
                "timestamp": now,
                "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16}},
                "spans": [
                    {
                        "trace_id": "a" * 32,
                        "span_id": "c" * 16,
                        "parent_span_id": "b" * 16,
                        "op": "db",
                        "description": "SELECT 1",
                        "start_timestamp": now - 0.1,
                        "timestamp": now,
                    },
                    {
                        "trace_id": "a" * 32,
                        "span_id": "d" * 16,
                        "parent_span_id": "b" * 16,
                        "op": "gen_ai.chat",
                        "description": "chat gpt-4o",
                        "start_timestamp": now - 0.1,
                        "timestamp": now,
                        "data": {"gen_ai.request.model": "gpt-4o"},
                    },
                ],
            }
            report = {
                "timestamp": time.time(),
                "discarded_events": [{"reason": "sample_rate", "category": "error", "quantity": 1}],
            }
            envelope = Envelope(
                {"event_id": event["event_id"]},
                [
                    Item({"type": "event"}, orjson.dumps(event)),
                    Item({"type": "attachment", "filename": "log.txt"}, b"attached log"),
                    Item({"type": "transaction"}, orjson.dumps(transaction)),
                    Item({"type": "client_report"}, orjson.dumps(report)),
                ],
            )
            records.append(InboxRecord(project_id, serialize_envelope(envelope)))
    inbox_for(db).append(records)
    drain(db)
    with db.write() as conn:
        issue_id = conn.execute(
            select(tables.issues.c.id).where(tables.issues.c.project_id == project_id).limit(1)
        ).scalar_one()
        now = time.time()
        conn.execute(tables.bookmarks.insert().values(user_id=1, issue_id=issue_id, created_at=now))
        conn.execute(
            tables.activity.insert().values(
                issue_id=issue_id, project_id=project_id, kind="note", data="{}", created_at=now
            )
        )
        upsert(
            conn,
            tables.issue_counts,
            [{"issue_id": issue_id, "bucket": 0, "count": 1}],
            keys=["issue_id", "bucket"],
        )
        upsert(
            conn,
            tables.releases,
            [{"project_id": project_id, "version": "old@0", "first_seen": 0.0, "last_seen": 0.0}],
            keys=["project_id", "version"],
        )
        conn.execute(
            tables.llm_prices.insert().values(
                project_id=project_id, model="gpt-4o", input="0", output="0", updated_at=now
            )
        )
        budget = conn.execute(
            tables.llm_budgets.insert().values(
                project_id=project_id,
                name="monthly",
                scope="project",
                period="month",
                unit="usd",
                amount="10",
                thresholds="50,100",
                created_at=now,
            )
        ).inserted_primary_key
        assert budget is not None
        conn.execute(
            tables.llm_budget_events.insert().values(
                budget_id=budget[0],
                project_id=project_id,
                period_start=0.0,
                threshold=50,
                spent=5.0,
                crossed_at=now,
            )
        )
        upsert(
            conn,
            tables.environments,
            [{"project_id": project_id, "name": "qa"}],
            keys=["project_id", "name"],
        )
        conn.execute(
            tables.inbox_failed.insert().values(
                inbox_id=0,
                project_id=project_id,
                received_at=now,
                kind="envelope",
                body=b"{}",
                error="test",
                failed_at=now,
            )
        )


def _per_project_tables() -> list[Table]:
    return [t for t in tables.metadata.sorted_tables if t.name not in NOT_PER_PROJECT]


def _rows(db: Database, project_id: int, issue_ids: list[int]) -> dict[str, int]:
    """Rows of each per-project table that belong to the project (by project or issue)."""
    counts = {}
    with db.read() as conn:
        for table in _per_project_tables():
            if table.name == "projects":
                where = table.c.id == project_id
            elif "project_id" in table.c:
                where = table.c.project_id == project_id
            else:
                assert "issue_id" in table.c, f"{table.name}: neither project_id nor issue_id"
                where = table.c.issue_id.in_(issue_ids)
            counts[table.name] = int(
                conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
            )
    return counts


def _issue_ids(db: Database, project_id: int) -> list[int]:
    with db.read() as conn:
        return list(
            conn.execute(
                select(tables.issues.c.id).where(tables.issues.c.project_id == project_id)
            ).scalars()
        )


@pytest.fixture
def two_projects(db: Database) -> tuple[int, int]:
    with db.write() as conn:
        org = acc.create_organization(conn, "acme")
        doomed = acc.create_project(conn, org, "doomed")
        kept = acc.create_project(conn, org, "kept")
    _fill(db, doomed)
    _fill(db, kept, issues=2, per_issue=2)
    return doomed, kept


def test_deleting_a_project_removes_all_its_rows_and_nothing_else(
    db: Database, two_projects: tuple[int, int]
) -> None:
    doomed, kept = two_projects
    doomed_issues, kept_issues = _issue_ids(db, doomed), _issue_ids(db, kept)
    before = _rows(db, doomed, doomed_issues)
    empty = sorted(name for name, count in before.items() if count == 0)
    assert not empty, f"the test fills every per-project table; these got no rows: {empty}"
    kept_before = _rows(db, kept, kept_issues)

    calls: list[bool] = []

    def keys_disabled() -> None:
        with db.read() as conn:
            active = conn.execute(
                select(tables.project_keys.c.is_active).where(
                    tables.project_keys.c.project_id == doomed
                )
            ).scalars()
            calls.append(not any(active))

    # Tiny chunks: many transactions, the way a big project is deleted.
    deleted = store.delete_project(
        db, doomed, keys_disabled=keys_disabled, event_chunk=5, issue_chunk=2
    )

    assert calls == [True], "called once, after the keys were disabled and committed"
    assert deleted["events"] == 12 and deleted["issues"] == 4 and deleted["projects"] == 1
    assert _rows(db, doomed, doomed_issues) == dict.fromkeys(before, 0)
    assert _rows(db, kept, kept_issues) == kept_before
    assert store.delete_project(db, doomed) == {}, "running it again finds nothing left"


def test_ingest_stops_finding_the_keys(db: Database, two_projects: tuple[int, int]) -> None:
    doomed, _kept = two_projects
    with db.read() as conn:
        public_key = conn.execute(
            select(tables.project_keys.c.public_key).where(
                tables.project_keys.c.project_id == doomed
            )
        ).scalar_one()
        key = store.ingest_key(conn, public_key)
    assert key is not None and key.is_active and key.project_id == doomed
    store.delete_project(db, doomed)
    with db.read() as conn:
        assert store.ingest_key(conn, public_key) is None
        assert not acc.project_exists(conn, doomed)


def test_the_digest_drops_envelopes_of_a_deleted_project(
    db: Database, two_projects: tuple[int, int]
) -> None:
    doomed, kept = two_projects
    late = _event("sent just before the deletion", "late", "user-9")
    envelope = Envelope(
        {"event_id": late["event_id"]}, [Item({"type": "event"}, orjson.dumps(late))]
    )
    inbox_for(db).append([InboxRecord(doomed, serialize_envelope(envelope))])
    store.delete_project(db, doomed)
    assert drain(db) == 1
    assert inbox_for(db).pending() == 0
    with db.read() as conn:
        for table in (tables.events, tables.inbox_failed, tables.outcomes):
            count = conn.execute(
                select(func.count()).select_from(table).where(table.c.project_id == doomed)
            ).scalar_one()
            assert count == 0, table.name
    assert len(_issue_ids(db, kept)) == 2
