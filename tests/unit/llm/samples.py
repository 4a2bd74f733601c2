"""The LLM conformance samples (read from ../shared at test time) as Heron transactions.

Parsed with Heron's own readers, and joined the way the digest joins them: span-v2 AI spans
that travel beside a transaction (``sentry.segment.id`` = the transaction's span id) become
children of that transaction.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.live import SHARED

from heron.protocol import parse_envelope
from heron.rollup import Span, Transaction, from_span_v2_items, from_transaction_event, segments

LLM = SHARED / "conformance" / "llm"


def sample(name: str) -> Path:
    path = LLM / name
    if not path.exists():
        pytest.skip(f"conformance data not available at {path}")
    return path


def split_envelopes(data: bytes) -> list[bytes]:
    """The ``.txt`` samples hold one envelope after another: a header line without a
    ``type`` starts the next one."""
    envelopes: list[bytes] = []
    start = pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        line = data[pos:end]
        if not line.strip():
            pos = end + 1
            continue
        header = orjson.loads(line)
        if "type" not in header:  # an envelope header
            if pos > start:
                envelopes.append(data[start:pos])
            start, pos = pos, end + 1
            continue
        pos = end + 1  # an item header: skip its payload
        length = header.get("length")
        if isinstance(length, int):
            pos += length + 1
        else:
            following = data.find(b"\n", pos)
            pos = len(data) if following < 0 else following + 1
    envelopes.append(data[start:])
    return envelopes


def wire_transactions(name: str) -> list[Transaction]:
    """Transactions from a ``.txt`` sample of raw envelopes."""
    items: list[tuple[dict[str, Any], str, Any]] = []
    for chunk in split_envelopes(sample(name).read_bytes()):
        envelope = parse_envelope(chunk)
        for item in envelope.items:
            items.append((envelope.headers, item.type, orjson.loads(item.payload)))
    return _transactions(items)


def json_transactions(name: str) -> list[Transaction]:
    """Transactions from a ``.json`` sample (the parsed form of the envelopes)."""
    envelopes = json.loads(sample(name).read_text())
    return _transactions(
        [(e["headers"], i["headers"]["type"], i["payload"]) for e in envelopes for i in e["items"]]
    )


def _transactions(items: list[tuple[dict[str, Any], str, Any]]) -> list[Transaction]:
    found: list[Transaction] = []
    loose: list[Span] = []
    for headers, item_type, payload in items:
        if item_type == "transaction":
            if not payload.get("event_id"):
                payload["event_id"] = headers.get("event_id")
            found.append(from_transaction_event(payload))
        elif item_type == "span":
            spans = from_span_v2_items(payload)
            here = segments(spans)
            found += here
            ids = {(t.trace_id, t.span_id) for t in here}
            loose += [
                s for s in spans if not s.is_segment and (s.trace_id, s.segment_id) not in ids
            ]
    return [_adopt(txn, loose) for txn in found]


def _adopt(txn: Transaction, loose: list[Span]) -> Transaction:
    known = {s.span_id for s in txn.spans} | {txn.span_id}
    new = [
        s
        for s in loose
        if (s.trace_id, s.segment_id) == (txn.trace_id, txn.span_id) and s.span_id not in known
    ]
    if not new:
        return txn
    return replace(txn, spans=tuple(sorted((*txn.spans, *new), key=lambda s: s.start)))


def bare_transaction(*spans: Span, **event: Any) -> Transaction:
    """A minimal transaction holding ``spans``; ``event`` adds or replaces event fields."""
    raw: dict[str, Any] = {
        "type": "transaction",
        "event_id": "e" * 32,
        "transaction": "job",
        "start_timestamp": 1000.0,
        "timestamp": 1001.0,
        "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16, "op": "task"}},
        **event,
    }
    return replace(from_transaction_event(raw), spans=spans)


def span(op: str = "default", span_id: str = "c" * 16, **attributes: Any) -> Span:
    """A span-v2 child of :func:`bare_transaction`'s root with these (bare) attributes."""
    (made,) = from_span_v2_items(
        {
            "items": [
                {
                    "trace_id": "a" * 32,
                    "span_id": span_id,
                    "parent_span_id": attributes.pop("parent", "b" * 16),
                    "name": op,
                    "status": attributes.pop("status", "ok"),
                    "start_timestamp": 1000.25,
                    "end_timestamp": 1000.75,
                    "attributes": {"sentry.op": op, "sentry.segment.id": "b" * 16, **attributes},
                }
            ]
        }
    )
    return made
