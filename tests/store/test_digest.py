"""The digest on both backends: inbox rows in, issues and events out, idempotent on replay."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from heron.digest import drain
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import Database, tables, unpack
from heron.store import accounts as acc


def _project(db: Database) -> int:
    with db.write() as conn:
        org = acc.create_organization(conn, "acme")
        return acc.create_project(conn, org, "web")


def _event(
    value: str,
    *,
    user: str = "u1",
    release: str = "1.0",
    func_name: str = "handler",
    event_id: str | None = None,
    ts: float | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or uuid.uuid4().hex,
        "timestamp": ts or time.time(),
        "platform": "python",
        "level": "error",
        "release": release,
        "environment": "production",
        "tags": {"job_id": "job-7", "model": "gpt-4o"},
        "user": {"id": user},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": value,
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "app/main.py",
                                "module": "app.main",
                                "function": "run",
                                "lineno": 10,
                                "in_app": True,
                                "context_line": "handler()",
                            },
                            {
                                "filename": "app/main.py",
                                "module": "app.main",
                                "function": func_name,
                                "lineno": 20,
                                "in_app": True,
                                "context_line": "raise ValueError(x)",
                            },
                        ]
                    },
                }
            ]
        },
    }


def _put(db: Database, project_id: int, *events: dict[str, Any]) -> None:
    records = []
    for e in events:
        env = Envelope({"event_id": e["event_id"]}, [Item({"type": "event"}, orjson.dumps(e))])
        records.append(InboxRecord(project_id, serialize_envelope(env)))
    inbox_for(db).append(records)


def _issues(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(tables.issues).order_by(tables.issues.c.id)))


def test_events_group_into_issues_with_counts_tags_users(db: Database) -> None:
    pid = _project(db)
    _put(
        db,
        pid,
        _event("bad 1", user="a"),
        _event("bad 2", user="b"),
        _event("bad 3", user="a"),
        _event("other", func_name="other_handler"),
    )
    assert drain(db) == 4
    issues = _issues(db)
    assert [i.times_seen for i in issues] == [3, 1]
    first = issues[0]
    assert first.user_count == 2
    assert first.title.startswith("ValueError")
    assert first.status == "unresolved" and first.substatus == "new"
    with db.read() as conn:
        tags = dict(
            ((r.key, r.value), r.times_seen)
            for r in conn.execute(
                select(tables.issue_tags).where(tables.issue_tags.c.issue_id == first.id)
            )
        )
        blob = conn.execute(select(tables.events.c.data).limit(1)).scalar_one()
    assert tags[("job_id", "job-7")] == 3
    assert tags[("release", "1.0")] == 3
    assert unpack(blob)["exception"]["values"][0]["type"] == "ValueError"
    assert inbox_for(db).pending() == 0


def test_replay_never_duplicates(db: Database) -> None:
    pid = _project(db)
    event = _event("once")
    _put(db, pid, event, event)
    drain(db)
    _put(db, pid, event)
    drain(db)
    with db.read() as conn:
        count = conn.execute(select(func.count()).select_from(tables.events)).scalar_one()
    assert count == 1
    assert [i.times_seen for i in _issues(db)] == [1]


def test_regression_reopens_a_resolved_issue(db: Database) -> None:
    pid = _project(db)
    _put(db, pid, _event("x"))
    drain(db)
    issue = _issues(db)[0]
    with db.write() as conn:
        conn.execute(tables.issues.update().values(status="resolved", resolved_at=time.time()))
    time.sleep(0.01)
    _put(db, pid, _event("x"))
    drain(db)
    again = _issues(db)[0]
    assert again.id == issue.id
    assert (again.status, again.substatus, again.times_seen) == ("unresolved", "regressed", 2)


def test_unprocessable_envelope_is_kept_aside_not_lost(db: Database) -> None:
    pid = _project(db)
    inbox_for(db).append([InboxRecord(pid, b"not an envelope")])
    _put(db, pid, _event("fine"))
    assert drain(db) == 2
    with db.read() as conn:
        failed = conn.execute(select(tables.inbox_failed.c.body)).scalars().all()
    assert failed == [b"not an envelope"]
    assert len(_issues(db)) == 1


def test_other_item_types_are_kept_and_counted(db: Database) -> None:
    pid = _project(db)
    env = Envelope(
        {},
        [
            Item({"type": "transaction"}, b'{"type":"transaction","spans":[]}'),
            Item(
                {"type": "client_report"},
                b'{"discarded_events":[{"reason":"before_send","category":"error","quantity":2}]}',
            ),
            Item({"type": "mystery"}, b"??"),
        ],
    )
    inbox_for(db).append([InboxRecord(pid, serialize_envelope(env))])
    drain(db)
    with db.read() as conn:
        kept = conn.execute(select(tables.stored_items.c.type)).scalars().all()
        outcomes = {
            (r.outcome, r.category, r.reason): r.quantity
            for r in conn.execute(select(tables.outcomes))
        }
    assert kept == ["transaction"]
    assert outcomes[("client_discard", "error", "before_send")] == 2
    assert outcomes[("dropped", "default", "unknown_item_type")] == 1
    assert outcomes[("accepted", "transaction", "")] == 1


def test_rows_stored_but_not_yet_released_are_not_replayed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the main commit but before the inbox is cleaned must not redo the batch."""
    pid = _project(db)
    _put(db, pid, _event("one"), _event("two"))
    inbox = inbox_for(db)
    assert (inbox.pending(), inbox.drained()) == (2, False)
    monkeypatch.setattr(inbox, "release", lambda rows: None)  # the "crash"
    assert drain(db) == 2
    monkeypatch.undo()
    assert (inbox.pending(), inbox.drained()) == (0, True)  # rows still there, but stored
    assert drain(db) == 0
    with db.read() as conn:
        accepted = conn.execute(select(func.sum(tables.outcomes.c.quantity))).scalar_one()
    assert accepted == 2  # counted once, not again on a replay
    assert [i.times_seen for i in _issues(db)] == [2]


def test_two_digest_workers_never_store_a_row_twice(db: Database) -> None:
    """Both take the same rows before either commits (``heron digest`` beside ``serve``)."""
    from heron.digest import batch

    pid = _project(db)
    _put(db, pid, _event("racing"))
    inbox = inbox_for(db)
    if inbox.takes_in_transaction:
        pytest.skip("row locks already keep PostgreSQL workers apart")
    rows = inbox.take(None, 10)
    for _ in range(2):  # two workers with the same batch, one after the other
        failures: batch.Failures = []
        prepared = batch._prepare_all(rows, failures)
        with db.write() as conn:
            batch._store(conn, inbox, prepared, failures, batch.BatchResult())
    with db.read() as conn:
        accepted = conn.execute(select(func.sum(tables.outcomes.c.quantity))).scalar_one()
    assert accepted == 1
    assert [i.times_seen for i in _issues(db)] == [1]


def test_project_fingerprint_rules_apply_to_new_events(db: Database) -> None:
    pid = _project(db)
    with db.write() as conn:
        conn.execute(
            tables.projects.update().values(
                fingerprinting_rules="error.type:ValueError -> all-value-errors"
            )
        )
    _put(db, pid, _event("a", func_name="one"), _event("b", func_name="two"))
    drain(db)
    issues = _issues(db)
    assert [i.times_seen for i in issues] == [2]
    with db.read() as conn:
        hashes = set(conn.execute(select(tables.events.c.hash)).scalars())
        owned = set(conn.execute(select(tables.issue_hashes.c.hash)).scalars())
    assert len(hashes) == 1 and hashes <= owned


def test_an_upgrade_keeps_events_in_their_issues(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project moving to a new strategy keeps looking up the old strategy's hashes until
    the transition expires; issues learn the new hashes, so nothing regroups silently."""
    from heron.grouping import STRATEGIES, GroupingResult, Strategy, Variant, md5_hex

    def legacy(event: Any, config: Any) -> GroupingResult:  # groups by exception type only
        value = event["exception"]["values"][-1]["type"]
        variant = Variant("legacy", md5_hex([value]), True, [value], None, None)
        return GroupingResult("legacy:1", {"legacy": variant}, [md5_hex([value])], [], None)

    monkeypatch.setitem(STRATEGIES, "legacy:1", Strategy("legacy:1", "test", legacy))
    pid = _project(db)
    with db.write() as conn:
        conn.execute(tables.projects.update().values(grouping_config="legacy:1"))
    _put(db, pid, _event("x", func_name="first_site"))
    drain(db)
    assert len(_issues(db)) == 1
    with db.write() as conn:  # upgrade: new strategy, old one looked up for an hour
        conn.execute(
            tables.projects.update().values(
                grouping_config="newstyle:2023-01-11",
                secondary_grouping_config="legacy:1",
                secondary_grouping_expiry=time.time() + 3600,
            )
        )
    _put(db, pid, _event("y", func_name="first_site"))
    drain(db)
    issues = _issues(db)
    assert [i.times_seen for i in issues] == [2]  # same issue, not a new one
    with db.read() as conn:
        strategies = sorted(conn.execute(select(tables.issue_hashes.c.strategy)).scalars())
    assert "newstyle:2023-01-11" in strategies and "legacy:1" in strategies
    with db.write() as conn:  # after the transition the old hashes are no longer looked up
        conn.execute(tables.projects.update().values(secondary_grouping_expiry=time.time() - 1))
    _put(db, pid, _event("z", func_name="second_site"))
    drain(db)
    assert [i.times_seen for i in _issues(db)] == [2, 1]
