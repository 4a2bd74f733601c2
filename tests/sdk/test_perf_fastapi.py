"""A real FastAPI app (SQLAlchemy on SQLite, an outgoing HTTP call, a raising endpoint) traced
by sentry-sdk in a child process, against the live server: Heron's figures, span groups,
N+1 issue and trace links agree with what the SDK itself measured and sent."""

from __future__ import annotations

from typing import Any

import pytest

from heron.rollup import span_group
from tests.live import LiveServer
from tests.sdk.helpers import marker
from tests.sdk.perf_helpers import (
    ORG,
    assert_close,
    assert_error_in_trace,
    assert_trace_of,
    nearest_rank,
    org_events,
    run_traced_app,
    span_groups,
    transaction_figures,
    wait_performance_issue,
    wait_transactions,
)

ITEMS, ITEM_CALLS = 8, 20  # as in apps/fastapi_shop.py


@pytest.fixture(scope="module")
def shop(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's traffic, once per backend: the recorder's JSON plus the marker."""
    mark = marker()
    db = tmp_path_factory.mktemp("fastapi-shop") / "shop.db"
    sent: dict[str, Any] = run_traced_app(
        server, "fastapi_shop.py", HERON_MARK=mark, HERON_DB=str(db)
    )
    sent["mark"] = mark
    names = {t["name"] for t in sent["transactions"]}
    wait_transactions(server, names, len(sent["transactions"]))
    return sent


def _durations(shop: dict[str, Any], name: str) -> list[float]:
    return [t["duration_ms"] for t in shop["transactions"] if t["name"] == name]


def test_the_sdk_sent_what_the_scenario_promises(shop: dict[str, Any]) -> None:
    # Guards the scenario itself: if the SDK stopped instrumenting something, the API
    # assertions below would fail for the wrong reason.
    mark = shop["mark"]
    names = [t["name"] for t in shop["transactions"]]
    assert names.count(f"/{mark}/items") == ITEM_CALLS
    assert names.count(f"/{mark}/prices/{{item_id}}") == 5
    assert names.count(f"/{mark}/checkout") == 3
    items = next(t for t in shop["transactions"] if t["name"] == f"/{mark}/items")
    assert [op for op, _ in items["spans"]] == ["db"] * (1 + ITEMS)


@pytest.mark.parametrize("endpoint", ["items", "prices/{item_id}", "checkout"])
def test_counts_and_percentiles_match_the_sdks_durations(
    server: LiveServer, shop: dict[str, Any], endpoint: str
) -> None:
    name = f"/{shop['mark']}/{endpoint}"
    durations = _durations(shop, name)
    row = transaction_figures(server, name)
    assert row["transaction"] == name
    assert row["count()"] == len(durations)
    assert row["failure_rate()"] == (1.0 if endpoint == "checkout" else 0.0)
    assert_close(row["p50()"], nearest_rank(durations, 0.5), f"{name} p50")
    assert_close(row["p95()"], nearest_rank(durations, 0.95), f"{name} p95")


def test_release_filter_gives_one_row_per_transaction(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    rows = org_events(
        server,
        field=["transaction", "count()", "failure_count()"],
        query=f'release:"shop@{shop["mark"]}"',
    )
    sent = shop["transactions"]
    expected = {
        name: (
            [t["name"] for t in sent].count(name),
            sum(t["name"] == name and t["status"] != "ok" for t in sent),
        )
        for name in {t["name"] for t in sent}
    }
    assert {r["transaction"]: (r["count()"], r["failure_count()"]) for r in rows} == expected


def test_raw_rows_are_the_transactions_the_sdk_sent(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    name = f"/{shop['mark']}/checkout"
    rows = org_events(
        server,
        field=["id", "trace", "transaction", "transaction.duration", "transaction.status"],
        query=f'transaction:"{name}"',
        sort="-timestamp",
    )
    sent = {t["event_id"]: t for t in shop["transactions"] if t["name"] == name}
    assert sorted(r["id"] for r in rows) == sorted(sent)
    for row in rows:
        txn = sent[row["id"]]
        assert (row["trace"], row["transaction"], row["transaction.status"]) == (
            txn["trace_id"],
            name,
            "internal_error",
        )
        assert abs(row["transaction.duration"] - txn["duration_ms"]) < 1e-3


def test_the_series_counts_every_request(server: LiveServer, shop: dict[str, Any]) -> None:
    name = f"/{shop['mark']}/items"
    response = server.api(
        f"/api/0/organizations/{ORG}/events-stats/",
        params={
            "project": server.project_id,
            "statsPeriod": "24h",
            "interval": "1h",
            "yAxis": "count()",
            "query": f'transaction:"{name}"',
        },
    )
    assert response.status_code == 200, response.text
    counts = [point[1][0]["count"] for point in response.json()["data"]]
    assert len(counts) in (24, 25)  # whole hours covering the last day
    assert sum(counts) == ITEM_CALLS


def test_n_plus_one_queries_form_one_span_group(server: LiveServer, shop: dict[str, Any]) -> None:
    name = f"/{shop['mark']}/items"
    groups = {g["span.description"]: g for g in span_groups(server, name, "db")}
    lazy_load = (
        "SELECT reviews.id, reviews.item_id, reviews.stars FROM reviews WHERE ? = reviews.item_id"
    )
    assert set(groups) == {"SELECT items.id, items.name FROM items ORDER BY items.id", lazy_load}
    assert groups[lazy_load]["count()"] == ITEMS * ITEM_CALLS
    assert groups[lazy_load]["span.op"] == "db"
    assert groups[lazy_load]["transaction"] == name
    assert groups[lazy_load]["span.group"] == span_group("db", lazy_load)


def test_outgoing_http_is_an_http_client_group_by_host_and_route(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    name = f"/{shop['mark']}/prices/{{item_id}}"
    [group] = span_groups(server, name, "http.client")
    # Five calls to /rates/100…/rates/104?currency=eur: one route, ids and query gone.
    assert group["span.op"] == "http.client"
    assert group["count()"] == 5
    description = group["span.description"]
    assert description.startswith("GET http://127.0.0.1:"), description
    assert description.endswith("/rates/*"), description


def test_a_request_trace_holds_the_spans_the_sdk_sent(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    mark = shop["mark"]
    slow, fetch = (
        next(t for t in shop["transactions"] if t["name"] == f"/{mark}/{path}")
        for path in ("items", "prices/{item_id}")
    )
    n_plus_one = wait_performance_issue(server, slow["name"], "performance_n_plus_one_db_queries")
    # The N+1 request's trace lists its performance issue beside the spans; the plain
    # request's trace has nothing but the spans.
    assert_trace_of(server, slow, problems=[n_plus_one["id"]])
    assert_trace_of(server, fetch)


def test_the_n_plus_one_becomes_a_performance_issue(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    name = f"/{shop['mark']}/items"
    issue = wait_performance_issue(server, name, "performance_n_plus_one_db_queries")
    assert issue["issueCategory"] == "performance"
    # Every request ran the same eight lazy loads, so every transaction is an occurrence.
    assert int(issue["count"]) == ITEM_CALLS


def test_the_raising_endpoint_links_its_error_and_trace(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    mark = shop["mark"]
    assert_error_in_trace(
        server, shop, f"/{mark}/checkout", f"basket {mark} declined by the payment provider"
    )
