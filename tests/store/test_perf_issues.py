"""Performance problems in transactions become issues through the digest, on both backends:
grouped across transactions, counted once per transaction, regressing like errors."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import select

from heron.actions.merge import merge_issues, unmerge_hash
from heron.digest import digest_batch
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.store import Database, tables, unpack
from tests.store.perf_issue_helpers import (
    NOW,
    clean,
    consecutive_http,
    envelope,
    n_plus_one,
    slow_query,
    transaction,
)
from tests.store.triage_helpers import activity, counts, issue, issues, project, set_issue


def send(db: Database, project_id: int, *payloads: dict[str, Any], at: float = NOW) -> int:
    """Digest ``payloads`` as one batch; return how many performance events it saved."""
    records = [InboxRecord(project_id, envelope(p), received_at=at) for p in payloads]
    inbox_for(db).append(records)
    result = digest_batch(db, 500)
    assert result.envelopes == len(records)
    assert result.failed == 0
    return result.perf_events


def perf_events(db: Database, issue_id: int) -> list[Any]:
    e = tables.events
    with db.read() as conn:
        return list(conn.execute(select(e).where(e.c.issue_id == issue_id).order_by(e.c.id)))


def test_an_n_plus_one_is_one_issue_across_transactions_and_counted_once(db: Database) -> None:
    pid = project(db)
    first = transaction(children=n_plus_one(1))
    assert send(db, pid, first) == 1
    [found] = issues(db)
    assert found.type == "performance_n_plus_one_db_queries"
    assert (found.title, found.culprit, found.level) == ("N+1 Query", "GET /orders", "warning")
    assert (found.strategy, found.times_seen, found.user_count) == ("performance:1", 1, 1)
    assert orjson.loads(found.metadata) == {
        "title": "N+1 Query",
        "value": "SELECT * FROM items WHERE order_id = ?",
    }

    # The same pattern with other literals, by another user: one more event on the same issue.
    assert send(db, pid, transaction(children=n_plus_one(40), user="u-2")) == 1
    [again] = issues(db)
    assert (again.id, again.times_seen, again.user_count) == (found.id, 2, 2)
    assert sum(counts(db, found.id).values()) == 2

    # A replayed batch, and a transaction sent twice in one batch, count nothing twice.
    third = transaction(children=n_plus_one(90))
    assert send(db, pid, first) == 0
    assert send(db, pid, third, third) == 1
    assert issue(db, found.id).times_seen == 3
    assert len(perf_events(db, found.id)) == 3

    row = perf_events(db, found.id)[0]
    assert (row.type, row.level, row.trace_id) == (
        "transaction",
        "warning",
        first["contexts"]["trace"]["trace_id"],
    )
    data = unpack(row.data)
    problem = data["perf_problem"]
    assert problem["kind"] == "n_plus_one_db"
    assert problem["evidence"]["count"] == 6
    assert abs(problem["evidence"]["total_ms"] - 90) < 0.01
    queries = [s for s in first["spans"] if s["op"] == "db"]
    assert problem["span_ids"] == [s["span_id"] for s in queries]
    assert [s["description"] for s in problem["spans"]] == [s["description"] for s in queries]
    assert data["contexts"]["trace"]["trace_id"] == first["contexts"]["trace"]["trace_id"]
    assert data["transaction"] == "GET /orders"

    t = tables.issue_tags
    with db.read() as conn:
        tags = {
            (r.key, r.value): r.times_seen
            for r in conn.execute(select(t).where(t.c.issue_id == found.id))
        }
    assert tags == {
        ("region", "eu"): 3,
        ("transaction", "GET /orders"): 3,
        ("environment", "production"): 3,
        ("release", "shop@1.0"): 3,
    }


def test_slow_query_and_consecutive_http_make_their_own_issues(db: Database) -> None:
    pid = project(db)
    assert send(db, pid, transaction("GET /clean", children=clean)) == 0
    assert issues(db) == []

    assert send(db, pid, transaction("GET /report", children=slow_query)) == 1
    assert send(db, pid, transaction("GET /profile", children=consecutive_http)) == 1
    found = {i.type: i for i in issues(db)}
    assert set(found) == {"performance_slow_db_query", "performance_consecutive_http"}
    slow = found["performance_slow_db_query"]
    assert (slow.title, slow.culprit) == ("Slow DB Query", "GET /report")
    assert orjson.loads(slow.metadata)["value"] == "SELECT count(*) FROM orders WHERE total > ?"
    http = found["performance_consecutive_http"]
    assert (http.title, http.culprit, http.times_seen) == ("Consecutive HTTP", "GET /profile", 1)
    [event] = perf_events(db, http.id)
    evidence = unpack(event.data)["perf_problem"]["evidence"]
    assert evidence["count"] == 3
    assert abs(evidence["total_ms"] - 1050) < 0.01


def test_a_resolved_performance_issue_regresses_when_the_problem_comes_back(
    db: Database,
) -> None:
    pid = project(db)
    send(db, pid, transaction(children=slow_query, end=NOW - 300), at=NOW - 300)
    [found] = issues(db)
    set_issue(db, found.id, status="resolved", resolved_at=NOW - 200)
    send(db, pid, transaction(children=slow_query, release="shop@1.1"))
    after = issue(db, found.id)
    assert (after.status, after.substatus, after.times_seen) == ("unresolved", "regressed", 2)
    assert activity(db, found.id)[-1] == ("regression", {"release": "shop@1.1"})


def test_performance_issues_never_share_an_issue_with_errors(db: Database) -> None:
    pid = project(db)
    send(db, pid, transaction(children=slow_query))
    h = tables.issue_hashes
    with db.read() as conn:
        hashes = [r.hash for r in conn.execute(select(h))]
    assert len(hashes) == 1
    assert hashes[0].startswith("perf:")


def test_unmerging_a_performance_hash_keeps_the_performance_type(db: Database) -> None:
    pid = project(db)
    send(db, pid, transaction("GET /report", children=slow_query))
    send(db, pid, transaction("GET /profile", children=consecutive_http))
    by_type = {i.type: i for i in issues(db)}
    slow, http = by_type["performance_slow_db_query"], by_type["performance_consecutive_http"]
    slow_hash = _hash_of(db, slow.id)
    parent = merge_issues(db, pid, [slow.id, http.id])
    h = tables.issue_hashes
    with db.read() as conn:
        hashes = conn.execute(select(h.c.hash).where(h.c.issue_id == parent)).scalars().all()
    assert len(hashes) == 2
    moved = next(x for x in hashes if x != slow_hash)
    new_id = unmerge_hash(db, parent, moved)
    assert issue(db, new_id).type == "performance_consecutive_http"


def _hash_of(db: Database, issue_id: int) -> str:
    e = tables.events
    with db.read() as conn:
        return str(
            conn.execute(select(e.c.hash).where(e.c.issue_id == issue_id).order_by(e.c.id)).scalar()
        )


def test_streamed_span_segments_are_searched_too(db: Database) -> None:
    """Span-v2 containers (streamed spans) carry their segment and its children."""
    pid = project(db)
    trace_id, root = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    start = NOW - 120

    def v2(
        span_id: str, parent: str | None, name: str, begin: float, ms: float, **attrs: Any
    ) -> dict[str, Any]:
        return {
            "trace_id": trace_id,
            "span_id": span_id,
            "parent_span_id": parent,
            "name": name,
            "start_timestamp": begin,
            "end_timestamp": begin + ms / 1000,
            "is_segment": span_id == root,
            "attributes": {
                "sentry.segment.id": {"type": "string", "value": root},
                **{k: {"type": "string", "value": v} for k, v in attrs.items()},
            },
        }

    query = uuid.uuid4().hex[:16]
    items = [
        v2(root, None, "GET /stats", start, 2000, **{"sentry.op": "http.server"}),
        v2(query, root, "SELECT * FROM t WHERE id = 1", start, 600, **{"sentry.op": "db"}),
    ]
    body = serialize_envelope(
        Envelope(
            {},
            [
                Item(
                    {"type": "span", "content_type": "application/vnd.sentry.items.span.v2+json"},
                    orjson.dumps({"items": items}),
                )
            ],
        )
    )
    inbox_for(db).append([InboxRecord(pid, body, received_at=NOW)])
    assert digest_batch(db, 10).perf_events == 1
    [found] = issues(db)
    assert (found.type, found.culprit) == ("performance_slow_db_query", "GET /stats")
    [row] = perf_events(db, found.id)
    assert row.trace_id == trace_id
