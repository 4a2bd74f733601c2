"""Span streaming: a segment's children arriving in other envelopes, before or after it, are
joined to it (rollups, transaction rows, performance issues), on both backends."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from heron.digest import digest_batch
from heron.inbox import InboxRecord, inbox_for
from heron.protocol import Envelope, Item, serialize_envelope
from heron.rollup import DurationSketch
from heron.store import Database, tables
from tests.store.test_perf_digest import NOW
from tests.store.triage_helpers import issues, project

END = NOW - 90


def _attrs(**values: str) -> dict[str, Any]:
    return {k.replace("_", "."): {"type": "string", "value": v} for k, v in values.items()}


class Trace:
    """One streamed request: a segment and children built against it."""

    def __init__(self, name: str = "GET /stream") -> None:
        self.trace_id, self.root, self.name = uuid.uuid4().hex, uuid.uuid4().hex[:16], name

    def segment(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.root,
            "name": self.name,
            "status": "ok",
            "is_segment": True,
            "start_timestamp": END - 0.5,
            "end_timestamp": END,
            "attributes": _attrs(
                sentry_op="http.server",
                sentry_segment_id=self.root,
                sentry_segment_name=self.name,
                sentry_trace_lifecycle="stream",
            ),
        }

    def queries(self, n: int, *, first: int = 0, ms: float = 15.0) -> list[dict[str, Any]]:
        start = END - 0.45
        return [
            {
                "trace_id": self.trace_id,
                "span_id": uuid.uuid4().hex[:16],
                "parent_span_id": self.root,
                "name": f"SELECT * FROM items WHERE order_id = {first + i}",
                "status": "ok",
                "is_segment": False,
                "start_timestamp": start + i * 0.02,
                "end_timestamp": start + i * 0.02 + ms / 1000,
                "attributes": _attrs(
                    sentry_op="db",
                    sentry_segment_id=self.root,
                    sentry_segment_name=self.name,
                    db_system="sqlite",
                ),
            }
            for i in range(n)
        ]


def _envelope(spans: list[dict[str, Any]]) -> bytes:
    item = Item(
        {
            "type": "span",
            "item_count": len(spans),
            "content_type": "application/vnd.sentry.items.span.v2+json",
        },
        orjson.dumps({"version": 2, "items": spans}),
    )
    return serialize_envelope(Envelope({}, [item]))


def _batch(db: Database, project_id: int, *envelopes: list[dict[str, Any]]) -> None:
    """Digest the envelopes as one batch."""
    inbox_for(db).append(
        [InboxRecord(project_id, _envelope(e), received_at=NOW) for e in envelopes]
    )
    result = digest_batch(db, 500)
    assert (result.envelopes, result.failed) == (len(envelopes), 0)


def _span_count(db: Database, name: str, size: int = 3600) -> int:
    s = tables.span_rollups
    with db.read() as conn:
        rows = list(conn.execute(select(s).where(s.c.transaction == name, s.c.size == size)))
    assert all(DurationSketch.from_bytes(bytes(r.durations)).count == r.count for r in rows)
    return sum(int(r.count) for r in rows)


def _transaction(db: Database, name: str) -> Any:
    t = tables.transactions
    with db.read() as conn:
        return conn.execute(select(t).where(t.c.name == name)).one()


def test_children_sent_before_their_segment_join_it(db: Database) -> None:
    pid = project(db)
    trace = Trace()
    _batch(db, pid, trace.queries(4))
    assert _span_count(db, trace.name) == 0  # no segment yet: kept raw only
    _batch(db, pid, [trace.segment(), *trace.queries(2, first=10)])
    assert _transaction(db, trace.name).span_count == 6
    for size in (3600, 86400):
        assert _span_count(db, trace.name, size) == 6


def test_children_and_segment_in_one_batch_from_two_envelopes(db: Database) -> None:
    pid = project(db)
    trace = Trace("GET /together")
    _batch(db, pid, trace.queries(3), [trace.segment()])
    assert _transaction(db, trace.name).span_count == 3
    assert _span_count(db, trace.name) == 3


def test_children_sent_after_their_segment_join_its_span_rollups(db: Database) -> None:
    pid = project(db)
    trace = Trace("GET /late")
    _batch(db, pid, [trace.segment(), *trace.queries(1)])
    _batch(db, pid, trace.queries(2, first=5))
    assert _span_count(db, trace.name) == 3
    p = tables.perf_rollups
    with db.read() as conn:
        counts = conn.execute(
            select(p.c.count).where(p.c.name == trace.name, p.c.size == 60)
        ).scalars()
        assert list(counts) == [1]  # the transaction itself still counts once


def test_an_n_plus_one_split_over_envelopes_is_found(db: Database) -> None:
    pid = project(db)
    trace = Trace("GET /orders/streamed")
    _batch(db, pid, trace.queries(4))
    _batch(db, pid, [*trace.queries(3, first=4), trace.segment()])
    [found] = issues(db)
    assert (found.type, found.culprit) == ("performance_n_plus_one_db_queries", trace.name)


def _classic_with_span_item(trace: Trace, children: list[dict[str, Any]], **tags: str) -> bytes:
    """A classic transaction event and, in the same envelope, a span-v2 item of children:
    how current SDKs send AI spans (their default ``stream_gen_ai_spans``)."""
    event = {
        "type": "transaction",
        "event_id": uuid.uuid4().hex,
        "transaction": trace.name,
        "tags": tags,
        "user": {"id": "u-1"},
        "start_timestamp": END - 0.5,
        "timestamp": END,
        "contexts": {"trace": {"trace_id": trace.trace_id, "span_id": trace.root, "op": "http"}},
        "spans": [],
    }
    items = [Item({"type": "transaction"}, orjson.dumps(event))]
    if children:
        items.append(
            Item(
                {
                    "type": "span",
                    "item_count": len(children),
                    "content_type": "application/vnd.sentry.items.span.v2+json",
                },
                orjson.dumps({"version": 2, "items": children}),
            )
        )
    return serialize_envelope(Envelope({"event_id": event["event_id"]}, items))


def test_span_items_beside_a_classic_transaction_join_it(db: Database) -> None:
    pid = project(db)
    trace = Trace("POST /chat")
    inbox_for(db).append(
        [InboxRecord(pid, _classic_with_span_item(trace, trace.queries(2)), received_at=NOW)]
    )
    assert digest_batch(db, 500).failed == 0
    assert _transaction(db, trace.name).span_count == 2
    assert _span_count(db, trace.name) == 2
    # Children of that (stored) transaction sent later join its span rollups too.
    _batch(db, pid, trace.queries(3, first=7))
    for size in (3600, 86400):
        assert _span_count(db, trace.name, size) == 5


def _chat(trace: Trace, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    """A span-v2 ``gen_ai.chat`` child of the trace's segment, ending after it."""
    return {
        "trace_id": trace.trace_id,
        "span_id": uuid.uuid4().hex[:16],
        "parent_span_id": trace.root,
        "name": "chat gpt-4o",
        "status": "ok",
        "is_segment": False,
        "start_timestamp": END - 0.2,
        "end_timestamp": END + 3,
        "attributes": {
            **_attrs(sentry_op="gen_ai.chat", sentry_segment_id=trace.root),
            "gen_ai.request.model": {"type": "string", "value": "gpt-4o"},
            "gen_ai.usage.input_tokens": {"type": "integer", "value": tokens_in},
            "gen_ai.usage.output_tokens": {"type": "integer", "value": tokens_out},
        },
    }


def _llm_calls(db: Database) -> list[Any]:
    c = tables.llm_calls.c
    with db.read() as conn:
        return list(
            conn.execute(
                select(c.transaction, c.job_id, c.user_key, c.input_tokens, c.cost_usd).order_by(
                    c.input_tokens
                )
            )
        )


def test_model_calls_that_end_after_their_stored_transaction_are_counted(db: Database) -> None:
    """A streamed answer outlives its request: its AI span comes after the transaction was
    stored, and is attributed to it all the same (name, user, the job tag)."""
    pid = project(db)
    classic = Trace("POST /chat/stream")
    inbox_for(db).append(
        [InboxRecord(pid, _classic_with_span_item(classic, [], job_id="j-1"), received_at=NOW)]
    )
    assert digest_batch(db, 500).failed == 0
    assert _llm_calls(db) == []
    late = _chat(classic, 1000, 200)
    _batch(db, pid, [late])
    streamed = Trace("GET /stream/answer")
    _batch(db, pid, [streamed.segment()])
    _batch(db, pid, [_chat(streamed, 2000, 400)])
    # gpt-4o at $2.50 in / $10.00 out per 1M: 1000·2.5 + 200·10 = 4500 → $0.0045, and
    # 2000·2.5 + 400·10 = 9000 → $0.009.
    assert [tuple(r) for r in _llm_calls(db)] == [
        ("POST /chat/stream", "j-1", "id:u-1", 1000, pytest.approx(0.0045, rel=1e-12)),
        ("GET /stream/answer", None, None, 2000, pytest.approx(0.009, rel=1e-12)),
    ]
    _batch(db, pid, [late])  # sent again: counted once
    assert len(_llm_calls(db)) == 2


def test_every_transaction_of_a_batch_keeps_its_own_joined_model_calls(db: Database) -> None:
    """Many transactions with their AI spans beside them, in one batch (the writer joins
    them all at once): each call is stored once, under its own transaction and job, and the
    problems found once the children are joined are kept too."""
    pid = project(db)
    envelopes = []
    for i in range(40):
        chat = Trace(f"POST /chat/{i}")
        envelopes.append(_classic_with_span_item(chat, [_chat(chat, 100 + i, 10)], job_id=f"j-{i}"))
    slow = Trace("GET /orders/beside")
    envelopes.append(_classic_with_span_item(slow, slow.queries(7)))
    inbox_for(db).append([InboxRecord(pid, body, received_at=NOW) for body in envelopes])
    assert digest_batch(db, 500).failed == 0
    # gpt-4o at $2.50 in / $10.00 out per 1M: (100 + i)·2.5 + 10·10 micro-dollars.
    assert [tuple(r) for r in _llm_calls(db)] == [
        (
            f"POST /chat/{i}",
            f"j-{i}",
            "id:u-1",
            100 + i,
            pytest.approx(((100 + i) * 2.5 + 100) / 1e6, rel=1e-12),
        )
        for i in range(40)
    ]
    [found] = issues(db)
    assert (found.type, found.culprit) == ("performance_n_plus_one_db_queries", slow.name)
