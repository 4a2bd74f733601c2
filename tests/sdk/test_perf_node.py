"""@sentry/node with tracing on (tests/js/perf_spans.mjs), against the live server: nested
spans sent as span-v2 items (the SDK's default "stream" lifecycle) or as classic transactions
("static") give the same figures, which agree with the durations the SDK measured."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.live import LiveServer
from tests.sdk.helpers import marker
from tests.sdk.perf_helpers import (
    assert_close,
    assert_trace_of,
    nearest_rank,
    run_node_script,
    span_groups,
    stored_items,
    transaction_figures,
    wait_transactions,
)

QUERIES = 6  # db spans per root span, as in perf_spans.mjs


@pytest.fixture(scope="module", params=["stream", "static"])
def sent(request: pytest.FixtureRequest, server: LiveServer) -> dict[str, Any]:
    """One node run per lifecycle and backend: the root spans it printed, plus the marker."""
    mark = marker()
    output = run_node_script(
        server, "perf_spans.mjs", HERON_MARK=mark, HERON_LIFECYCLE=request.param
    )
    result: dict[str, Any] = orjson.loads(output.strip().splitlines()[-1])
    result["mark"] = mark
    result["lifecycle"] = request.param
    names = {t["name"] for t in result["transactions"]}
    wait_transactions(server, names, len(result["transactions"]))
    return result


def test_the_sdk_sent_its_lifecycles_item_type(server: LiveServer, sent: dict[str, Any]) -> None:
    # Guards the scenario: "stream" must really mean span-v2 items, or the span-v2 path of
    # the digest would go untested without anyone noticing.
    kinds = set(stored_items(server, [t["trace_id"] for t in sent["transactions"]]))
    if sent["lifecycle"] == "stream":
        assert kinds == {("span", "application/vnd.sentry.items.span.v2+json")}
    else:
        assert {kind for kind, _ in kinds} == {"transaction"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_counts_and_percentiles_match_the_sdks_durations(
    server: LiveServer, sent: dict[str, Any], method: str
) -> None:
    name = f"{method} /{sent['mark']}/orders"
    durations = [t["duration_ms"] for t in sent["transactions"] if t["name"] == name]
    assert len(durations) == (15 if method == "GET" else 5)
    row = transaction_figures(server, name)
    assert row["transaction"] == name
    assert row["count()"] == len(durations)
    assert row["failure_rate()"] == 0.0
    assert_close(row["p50()"], nearest_rank(durations, 0.5), f"{name} p50")
    assert_close(row["p95()"], nearest_rank(durations, 0.95), f"{name} p95")


def test_db_and_http_children_form_span_groups(server: LiveServer, sent: dict[str, Any]) -> None:
    name = f"GET /{sent['mark']}/orders"
    calls = sum(t["name"] == name for t in sent["transactions"])
    [db] = span_groups(server, name, "db.query")
    # Six statements differing only in their literal: one group.
    assert db["span.description"] == "SELECT * FROM order_lines WHERE order_id = ?"
    assert db["count()"] == QUERIES * calls
    assert db["transaction"] == name
    [http] = span_groups(server, name, "http.client")
    assert http["span.description"] == "GET http://127.0.0.1:9/rates/*"
    assert http["count()"] == calls


def test_a_root_span_trace_holds_its_children(server: LiveServer, sent: dict[str, Any]) -> None:
    assert_trace_of(server, sent["transactions"][-1])
