"""Transactions with performance problems in them (N+1 queries, slow queries, …) for tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from heron.protocol import Envelope, Item, serialize_envelope

NOW = time.time()


def span(
    parent: str, op: str, description: str, start: float, ms: float, **data: Any
) -> dict[str, Any]:
    return {
        "span_id": uuid.uuid4().hex[:16],
        "parent_span_id": parent,
        "op": op,
        "description": description,
        "start_timestamp": start,
        "timestamp": start + ms / 1000,
        "data": data,
    }


def transaction(
    name: str = "GET /orders",
    *,
    end: float = NOW - 60,
    children: Any = None,
    release: str = "shop@1.0",
    user: str = "u-1",
) -> dict[str, Any]:
    """A 2 s transaction; ``children(root_span_id, start)`` makes its spans."""
    start = end - 2.0
    trace_id, root = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    spans = children(root, start) if children else []
    for s in spans:
        s["trace_id"] = trace_id
    return {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": name,
        "platform": "python",
        "start_timestamp": start,
        "timestamp": end,
        "environment": "production",
        "release": release,
        "user": {"id": user},
        "tags": {"region": "eu"},
        "contexts": {"trace": {"trace_id": trace_id, "span_id": root, "op": "http.server"}},
        "spans": spans,
    }


def n_plus_one(first_id: int = 1) -> Any:
    """A view span with six alike queries under it, 15 ms each."""

    def make(root: str, start: float) -> list[dict[str, Any]]:
        view = span(root, "view.render", "orders", start, 500)
        queries = [
            span(
                view["span_id"],
                "db",
                f"SELECT * FROM items WHERE order_id = {first_id + i}",
                start + 0.02 * (i + 1),
                15,
            )
            for i in range(6)
        ]
        return [view, *queries]

    return make


def slow_query(root: str, start: float) -> list[dict[str, Any]]:
    return [span(root, "db", "SELECT count(*) FROM orders WHERE total > 100", start, 800)]


def clean(root: str, start: float) -> list[dict[str, Any]]:
    return [
        span(root, "db", "SELECT * FROM orders WHERE id = 1", start, 10),
        span(root, "db", "SELECT * FROM users WHERE id = 2", start + 0.02, 10),
        span(root, "http.client", "GET https://api.example.com/rates", start + 0.05, 120),
    ]


def consecutive_http(root: str, start: float) -> list[dict[str, Any]]:
    urls = ["/users/7", "/orders?user=7", "/invoices?user=7"]
    return [
        span(root, "http.client", f"GET https://api.example.com{url}", start + 0.4 * i, 350)
        for i, url in enumerate(urls)
    ]


def envelope(payload: dict[str, Any]) -> bytes:
    return serialize_envelope(
        Envelope(
            {"event_id": payload["event_id"]},
            [Item({"type": "transaction"}, orjson.dumps(payload))],
        )
    )
