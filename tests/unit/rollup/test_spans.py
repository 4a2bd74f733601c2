"""Span and transaction records from real captures and from hostile shapes."""

from __future__ import annotations

import copy
import json
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.protocol import parse_envelope
from heron.rollup import (
    Span,
    Transaction,
    from_span_v2_items,
    from_transaction_event,
    segments,
)
from heron.rollup import spans as spans_module

CAPTURED = Path("/work/shared/conformance/envelopes/captured")
PYTHON = CAPTURED / "python-sentry-sdk-2.75.0"
NODE = CAPTURED / "node-sentry-node-11.12.0"
LLM = Path("/work/shared/conformance/llm")


def payload(path: Path, item_type: str) -> Any:
    if not path.exists():
        pytest.skip(f"conformance data not available at {path}")
    envelope = parse_envelope(path.read_bytes())
    return next(orjson.loads(i.payload) for i in envelope.items if i.type == item_type)


def llm_items(name: str) -> list[tuple[str, Any]]:
    path = LLM / name
    if not path.exists():
        pytest.skip(f"conformance data not available at {path}")
    envelopes = json.loads(path.read_text())
    return [(i["headers"]["type"], i["payload"]) for e in envelopes for i in e["items"]]


def test_python_transaction() -> None:
    txn = from_transaction_event(
        payload(PYTHON / "basic/004-profile+transaction.envelope", "transaction")
    )
    assert (txn.name, txn.op, txn.status) == ("GET /orders/{id}", "http.server", "unknown")
    assert txn.event_id == "b61b2a70ef6d4e64940be892e33f0787"
    assert (txn.environment, txn.release, txn.platform, txn.sdk) == (
        "capture",
        "heron-demo@1.0.0",
        "python",
        "sentry.python",
    )
    assert txn.duration_ms == pytest.approx(57.5, abs=1e-3)  # 51.618293 - 51.560793
    assert txn.measurements == {"queue.wait": (12.5, "millisecond")}
    assert not txn.is_failure
    db, http = txn.spans
    assert (db.op, db.description, db.data["db.system"]) == (
        "db.query",
        "SELECT * FROM orders WHERE id = %s",
        "postgresql",
    )
    assert db.duration_ms == pytest.approx(20.13, abs=1e-3)
    assert db.parent_span_id == db.segment_id == txn.span_id == "a5202c505626b4a6"
    assert db.transaction == txn.name and db.environment == "capture"
    assert http.data["http.response.status_code"] == 200 and http.duration_ms == pytest.approx(
        10.293, abs=1e-3
    )


def test_python_streamed_spans_become_a_transaction() -> None:
    spans = from_span_v2_items(payload(PYTHON / "span-streaming/001-span.envelope", "span"))
    (txn,) = segments(spans)
    assert (txn.name, txn.op, txn.status, txn.platform) == (
        "GET /checkout",
        "http.server",
        "ok",
        "python",
    )
    assert (txn.environment, txn.release, txn.sdk) == (
        "capture",
        "heron-demo@1.0.0",
        "sentry.python",
    )
    assert txn.duration_ms == pytest.approx((1795381689.517935 - 1795381689.506922) * 1000)
    (child,) = txn.spans
    assert (child.op, child.description, child.data["db.system"]) == ("db", "SELECT 1", "sqlite")
    assert child.parent_span_id == child.segment_id == txn.span_id
    assert len(txn.event_id) == 32 and segments(spans)[0].event_id == txn.event_id


def test_node_span_v2_matches_classic_shape() -> None:
    spans = from_span_v2_items(payload(NODE / "basic/002-span.envelope", "span"))
    (txn,) = segments(spans)
    assert isinstance(txn, Transaction)
    assert (txn.name, txn.op, txn.platform, txn.user) == (
        "GET /orders/:id",
        "http.server",
        "node",
        "id:u-1",
    )
    assert (txn.environment, txn.release) == ("capture", "heron-demo@1.0.0")
    (db,) = txn.spans
    assert (db.op, db.description, db.transaction) == (
        "db.query",
        "SELECT * FROM orders WHERE id = $1",
        txn.name,
    )
    assert db.duration_ms == pytest.approx((1795381723.110369 - 1795381723.0790548) * 1000)
    assert db.parent_span_id == txn.span_id == "be77ab71863d7899"


def test_llm_spans_keep_gen_ai_data() -> None:
    items = llm_items("default.envelopes.json")
    spans = [s for kind, p in items if kind == "span" for s in from_span_v2_items(p)]
    assert len(spans) == 7 and all(s.op.startswith("gen_ai.") for s in spans)
    first = spans[0]
    assert first.data["gen_ai.usage.input_tokens"] == 120
    assert first.data["gen_ai.usage.output_tokens.reasoning"] == 12
    assert first.data["gen_ai.request.model"] == "gpt-4o-mini"
    assert [s.status for s in spans].count("error") == 1
    (event,) = [p for kind, p in items if kind == "transaction"]
    txn = from_transaction_event(event)
    assert txn.name == "jobs.summarise_ticket" and {s.segment_id for s in spans} == {txn.span_id}


def test_llm_legacy_spans_inside_transaction() -> None:
    (event,) = [p for kind, p in llm_items("legacy.envelopes.json") if kind == "transaction"]
    gen_ai = [s for s in from_transaction_event(event).spans if s.op.startswith("gen_ai.")]
    assert len(gen_ai) == 7
    assert gen_ai[0].data["gen_ai.usage.total_tokens"] == 150


def test_llm_span_streaming_segment() -> None:
    items = llm_items("span_streaming.envelopes.json")
    spans = [s for kind, p in items if kind == "span" for s in from_span_v2_items(p)]
    (txn,) = segments(spans)
    assert (txn.name, txn.op) == ("jobs.summarise_ticket", "task")
    assert len(txn.spans) == 6 and any(s.op == "gen_ai.chat" for s in txn.spans)


def _event(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "transaction",
        "transaction": "t",
        "start_timestamp": 100.0,
        "timestamp": 100.25,
        "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16, "op": "task"}},
    }
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("extra", "failed"),
    [
        ({}, False),
        ({"contexts": {"trace": {"status": "ok"}}}, False),
        ({"contexts": {"trace": {"status": "internal_error"}}}, True),
        ({"contexts": {"trace": {"status": "ok"}, "response": {"status_code": 503}}}, True),
        ({"contexts": {"trace": {"data": {"http.response.status_code": "500"}}}}, True),
        ({"contexts": {"trace": {}, "response": {"status_code": 404}}}, False),
    ],
)
def test_failure(extra: dict[str, Any], failed: bool) -> None:
    assert from_transaction_event(_event(**extra)).is_failure is failed


def test_hostile_transaction_fields_are_defaulted() -> None:
    txn = from_transaction_event(
        _event(
            transaction=5,
            start_timestamp="garbage",
            timestamp=float("nan"),
            spans=[
                "x",
                None,
                {"span_id": 3},
                {"span_id": "c", "start_timestamp": True},
                {
                    "span_id": "d",
                    "start_timestamp": 1.0,
                    "timestamp": 0.5,
                    "data": [],
                    "tags": [["k", 1]],
                },
            ],
            measurements={"lcp": {"value": "x"}, "fcp": 3, "ok": {"value": 2}, 1: {"value": 1}},
            user={"id": None, "email": "a@b.c"},
            tags=[["a", "b"], "junk"],
            sdk="nope",
            contexts={"trace": "nope"},
        )
    )
    assert (txn.name, txn.start, txn.duration_ms, txn.span_id) == (
        "<unlabeled transaction>",
        0.0,
        0.0,
        "",
    )
    (span,) = txn.spans
    assert (span.span_id, span.duration_ms, span.data, span.tags) == ("d", 0.0, {}, {"k": "1"})
    assert txn.measurements == {"ok": (2.0, "")} and txn.user == "email:a@b.c"
    assert txn.tags == {"a": "b"} and txn.sdk == ""


@pytest.mark.parametrize("bad", [None, [], "x", {"type": "event"}, {"message": "hi"}])
def test_not_a_transaction(bad: Any) -> None:
    with pytest.raises(ValueError):
        from_transaction_event(bad)


@pytest.mark.parametrize("bad", [None, [], {"items": "x"}, {}])
def test_not_a_span_container(bad: Any) -> None:
    with pytest.raises(ValueError):
        from_span_v2_items(bad)


def test_hostile_span_v2_items() -> None:
    spans = from_span_v2_items(
        {
            "items": [
                None,
                {"span_id": "a"},
                {"span_id": "b", "start_timestamp": 1.0, "end_timestamp": "2", "attributes": "x"},
                {
                    "span_id": "c",
                    "start_timestamp": 1.0,
                    "attributes": {"sentry.segment.id": "c", "k": 5, 3: 4},
                },
            ]
        }
    )
    b, c = spans
    assert (b.op, b.duration_ms, b.data, b.is_segment, b.segment_id) == (
        "default",
        0.0,
        {},
        False,
        None,
    )
    assert c.is_segment and c.data == {"sentry.segment.id": "c", "k": 5}
    (txn,) = segments(spans)
    assert (txn.name, txn.spans, txn.platform) == ("<unlabeled transaction>", (), "other")


def test_segments_ignore_orphans_and_group_by_trace() -> None:
    def v2(span_id: str, trace: str, segment: str, is_segment: bool) -> dict[str, Any]:
        attrs = {"sentry.segment.id": {"type": "string", "value": segment}}
        return {
            "span_id": span_id,
            "trace_id": trace,
            "start_timestamp": 1.0,
            "end_timestamp": 1.5,
            "is_segment": is_segment,
            "attributes": attrs,
            "status": "error",
        }

    spans = from_span_v2_items(
        {
            "items": [
                v2("r", "t1", "r", True),
                v2("k", "t1", "r", False),
                v2("o", "t1", "x", False),
                v2("k2", "t2", "r", False),
            ]
        }
    )
    (txn,) = segments(spans)
    assert [s.span_id for s in txn.spans] == ["k"] and txn.is_failure and txn.duration_ms == 500.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
keys = st.sampled_from(
    [
        "span_id",
        "trace_id",
        "start_timestamp",
        "timestamp",
        "end_timestamp",
        "op",
        "status",
        "data",
        "tags",
        "attributes",
        "is_segment",
        "name",
        "description",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.dictionaries(keys, json_values, max_size=8) | json_values, max_size=4), json_values
)
def test_never_raises_on_hostile_members(items: list[Any], measurements: Any) -> None:
    spans = from_span_v2_items({"items": items})
    assert all(isinstance(s, Span) and s.duration_ms >= 0 for s in spans)
    segments(spans)
    txn = from_transaction_event(_event(spans=items, measurements=measurements, user=measurements))
    assert all(s.end >= s.start for s in txn.spans)


def test_normalized_description_is_kept_and_travels() -> None:
    txn = from_transaction_event(
        _event(
            spans=[
                {
                    "span_id": "a",
                    "op": "db",
                    "description": "SELECT * FROM t WHERE id = 7",
                    "start_timestamp": 1.0,
                    "timestamp": 2.0,
                    "data": {"db.system": "postgresql"},
                },
            ]
        )
    )
    (span,) = txn.spans
    assert span.normalized_description == "SELECT * FROM t WHERE id = ?"
    assert span.normalized_description is span.normalized_description  # computed once
    assert "normalized" not in repr(span)
    copied = pickle.loads(pickle.dumps(span))  # the digest's prepare pool sends spans back
    assert copied == span and copied._normalized == span.normalized_description
    assert pickle.loads(pickle.dumps(replace(span)))._normalized is None
    deep = copy.deepcopy(span)
    assert deep == span and deep.data is not span.data and deep._normalized == span._normalized
    # replace() starts without it: another op or description is another shape.
    redis = replace(span, op="db.redis")
    assert redis._normalized is None
    assert redis.normalized_description == "SELECT * FROM t WHERE id = 7"
    assert redis != span


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.sampled_from(["", "2026-11-03T10:00:00.5Z", " 2026-11-03T10:00:01 ", "ok", "DB"]),
    st.lists(st.tuples(st.text(max_size=2), st.integers()), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_FIELDS = [
    "span_id",
    "trace_id",
    "parent_span_id",
    "op",
    "description",
    "status",
    "start_timestamp",
    "timestamp",
    "data",
    "tags",
]


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional=dict.fromkeys(_FIELDS, _ANY)))
def test_classic_span_fields_are_coerced_like_the_helpers(raw: dict[str, Any]) -> None:
    """The span loop inlines the field helpers: it must coerce exactly as they do."""
    span = spans_module._classic_span(raw, "T", "R", "name", "env", None)
    times = spans_module._times(raw.get("start_timestamp"), raw.get("timestamp"))
    if not spans_module._str(raw.get("span_id")) or times is None:
        assert span is None
        return
    start, end = times
    expected = Span(
        trace_id=spans_module._str(raw.get("trace_id")) or "T",
        span_id=spans_module._str(raw.get("span_id")),
        parent_span_id=spans_module._opt_str(raw.get("parent_span_id")),
        segment_id="R",
        op=spans_module._str(raw.get("op")) or "default",
        description=spans_module._str(raw.get("description")),
        status=spans_module._status(raw.get("status")),
        start=start,
        end=end,
        duration_ms=(end - start) * 1000.0,
        is_segment=False,
        transaction="name",
        data=spans_module._dict(raw.get("data")),
        tags=spans_module._tags(raw.get("tags")),
        environment="env",
        release=None,
    )
    assert span == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1700000000.25, 1700000000.25),
        (1700000000, 1700000000.0),
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
        (-1.0, None),
        (1e13, None),
        ("2023-11-14T22:13:20.250000Z", 1700000000.25),
        ("2023-11-14T22:13:20.25+00:00", 1700000000.25),
        ("2023-11-14T23:13:20.250000+01:00", 1700000000.25),
        (" 2023-11-14T22:13:20.250000 ", 1700000000.25),  # naive is UTC; padding is fine
        ("2023-02-30T00:00:00Z", None),
        ("yesterday", None),
        (None, None),
        ([1.0], None),
    ],
)
def test_seconds(value: Any, seconds: float | None) -> None:
    assert spans_module._seconds(value) == seconds
