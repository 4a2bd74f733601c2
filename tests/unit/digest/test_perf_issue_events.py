"""prepare_perf_events: findings into events whose ids and hashes are stable."""

from __future__ import annotations

from typing import Any

from tests.store.perf_issue_helpers import clean, n_plus_one, slow_query, span, transaction

from heron.digest.perf_issues import STRATEGY, prepare_perf_events
from heron.rollup import from_transaction_event
from heron.store import unpack


def _events(payload: dict[str, Any]) -> list[Any]:
    return prepare_perf_events(7, [from_transaction_event(payload)], received_at=1000.0)


def test_the_same_problem_has_one_hash_and_each_transaction_its_own_event_id() -> None:
    first = transaction(children=n_plus_one(1))
    [a] = _events(first)
    [again] = _events(first)
    [b] = _events(transaction(children=n_plus_one(50)))
    assert a.hashes == b.hashes == again.hashes
    assert a.event_id == again.event_id != b.event_id
    assert a.hashes[0].startswith("perf:")
    assert (a.strategy, a.secondary_hashes) == (STRATEGY, [])
    assert a.issue_type == "performance_n_plus_one_db_queries"
    assert (a.project_id, a.received_at, a.timestamp) == (7, 1000.0, first["timestamp"])
    assert a.event["type"] == "transaction"
    assert a.event["trace_id"] == first["contexts"]["trace"]["trace_id"]
    assert (a.event["title"], a.event["culprit"], a.event["level"]) == (
        "N+1 Query",
        "GET /orders",
        "warning",
    )
    assert a.user_key == "id:u-1"
    data = unpack(a.data)
    assert data["_grouping"]["hashes"] == a.hashes
    assert data["perf_problem"]["issue_type"] == a.issue_type


def test_a_transaction_with_two_problems_makes_two_events() -> None:
    def both(root: str, start: float) -> list[dict[str, Any]]:
        return [*n_plus_one(1)(root, start), *slow_query(root, start + 1)]

    events = _events(transaction(children=both))
    assert sorted(e.issue_type for e in events) == [
        "performance_n_plus_one_db_queries",
        "performance_slow_db_query",
    ]
    assert len({e.event_id for e in events}) == len({e.hashes[0] for e in events}) == 2


def test_clean_transactions_and_ones_without_an_event_id_make_none() -> None:
    assert _events(transaction(children=clean)) == []
    nameless = transaction(children=slow_query)
    del nameless["event_id"]
    assert _events(nameless) == []


def test_users_are_keyed_like_error_events() -> None:
    payload = transaction(children=slow_query)
    payload["user"] = {"ip_address": "10.0.0.9"}
    [event] = _events(payload)
    assert event.user_key == "ip:10.0.0.9"
    assert unpack(event.data)["user"] == {"ip_address": "10.0.0.9"}
    payload["user"] = {"ip_address": "{{auto}}"}
    [event] = _events(payload)
    assert event.user_key is None


def test_many_offending_spans_are_cut_but_counted() -> None:
    def many(root: str, start: float) -> list[dict[str, Any]]:
        statement = "SELECT * FROM items WHERE order_id = {}"
        return [span(root, "db", statement.format(i), start + i * 0.002, 2) for i in range(80)]

    [event] = _events(transaction(children=many))
    problem = unpack(event.data)["perf_problem"]
    assert problem["evidence"]["count"] == len(problem["span_ids"]) == 80
    assert len(problem["spans"]) == 50
