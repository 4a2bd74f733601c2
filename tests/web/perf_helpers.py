"""Transactions, spans, profiles and errors of one trace, sent through ingest and the digest
of an in-process Heron (the same path SDK traffic takes)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from heron.digest import drain
from heron.protocol import Envelope, Item, serialize_envelope
from tests.api.harness import Heron, error_event

# A sampled profile as the Python SDK sends it, cut to what a profile viewer needs.
PROFILE = {
    "version": "1",
    "platform": "python",
    "profile": {
        "samples": [{"elapsed_since_start_ns": "0", "thread_id": "1", "stack_id": 0}],
        "stacks": [[0]],
        "frames": [{"function": "charge", "module": "shop.orders", "lineno": 42}],
        "thread_metadata": {"1": {"name": "MainThread"}},
    },
}


def span(
    parent: str, op: str, description: str, start: float, duration_ms: float, **more: Any
) -> dict[str, Any]:
    return {
        "span_id": uuid.uuid4().hex[:16],
        "parent_span_id": parent,
        "op": op,
        "description": description,
        "start_timestamp": start,
        "timestamp": start + duration_ms / 1000,
        "status": "ok",
        **more,
    }


def transaction(
    name: str,
    duration_ms: float,
    *,
    age: float = 60.0,
    status: str = "ok",
    trace_id: str | None = None,
    parent_span_id: str | None = None,
    environment: str = "production",
    release: str = "shop@1.0",
    user: str = "u-1",
    spans: int = 0,
    measurements: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A transaction that ended ``age`` seconds ago, with ``spans`` db spans (10 ms each)
    and one http span under the first db span."""
    end = time.time() - age
    start = end - duration_ms / 1000
    root = uuid.uuid4().hex[:16]
    tid = trace_id or uuid.uuid4().hex
    children = [
        span(root, "db", f"SELECT * FROM orders WHERE id = {i}", start + i * 0.011, 10.0)
        for i in range(spans)
    ]
    if children:
        first = children[0]["span_id"]
        children.append(span(first, "http.client", "GET https://pay.example/", start, 4.0))
    trace: dict[str, Any] = {"trace_id": tid, "span_id": root, "op": "http.server"}
    trace["status"] = status
    if parent_span_id:
        trace["parent_span_id"] = parent_span_id
    payload: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "platform": "python",
        "transaction": name,
        "start_timestamp": start,
        "timestamp": end,
        "environment": environment,
        "release": release,
        "user": {"id": user},
        "contexts": {"trace": trace},
        "spans": [{**c, "trace_id": tid} for c in children],
    }
    if measurements:
        payload["measurements"] = measurements
    return payload


def send_transactions(
    heron: Heron, *payloads: dict[str, Any], project_id: int | None = None, profile: bool = False
) -> None:
    """Each transaction in its own envelope (with a profile when asked), then digest."""
    pid = project_id or heron.project_id
    key = heron.key_of(pid)
    for payload in payloads:
        items = [Item({"type": "transaction"}, orjson.dumps(payload))]
        if profile:
            items.append(Item({"type": "profile"}, orjson.dumps(PROFILE)))
        envelope = Envelope({"event_id": payload["event_id"]}, items)
        heron.post_envelope(serialize_envelope(envelope), pid, key)
    drain(heron.db)


def error_in(txn: dict[str, Any], span_id: str, exc_type: str, value: str) -> dict[str, Any]:
    """An error event that happened in ``span_id`` of the transaction's trace."""
    event = error_event(exc_type, value, function="charge")
    event["timestamp"] = txn["timestamp"] - 0.001
    trace = txn["contexts"]["trace"]
    event["contexts"]["trace"] = {"trace_id": trace["trace_id"], "span_id": span_id}
    event["transaction"] = txn["transaction"]
    event["tags"] = {"transaction": txn["transaction"]}
    return event


def root_span(txn: dict[str, Any]) -> str:
    return str(txn["contexts"]["trace"]["span_id"])


def trace_of(txn: dict[str, Any]) -> str:
    return str(txn["contexts"]["trace"]["trace_id"])
