"""A real Django app (ORM on SQLite, an outgoing urllib call, a raising view) traced by
sentry-sdk's DjangoIntegration in a child process, against the live server: Heron's figures,
span groups, N+1 issue and trace links agree with what the SDK itself measured and sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import LiveServer
from tests.sdk.helpers import marker
from tests.sdk.perf_helpers import (
    assert_close,
    assert_error_in_trace,
    assert_trace_of,
    nearest_rank,
    run_traced_app,
    span_groups,
    transaction_figures,
    wait_performance_issue,
    wait_transactions,
)

BOOKS, BOOK_CALLS = 7, 20  # as in apps/django_shop.py
AUTHOR_LOOKUP = (
    'SELECT "shop_author"."id", "shop_author"."name" FROM "shop_author" '
    'WHERE "shop_author"."id" = ? LIMIT ?'
)


@pytest.fixture(scope="module")
def shop(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app's traffic, once per backend: the recorder's JSON plus the marker."""
    mark = marker()
    db = tmp_path_factory.mktemp("django-shop") / "shop.db"
    sent: dict[str, Any] = run_traced_app(
        server, "django_shop.py", HERON_MARK=mark, HERON_DB=str(db)
    )
    sent["mark"] = mark
    names = {t["name"] for t in sent["transactions"]}
    wait_transactions(server, names, len(sent["transactions"]))
    return sent


def test_the_sdk_sent_what_the_scenario_promises(shop: dict[str, Any]) -> None:
    mark = shop["mark"]
    names = [t["name"] for t in shop["transactions"]]
    assert names.count(f"/{mark}/books/") == BOOK_CALLS
    assert names.count(f"/{mark}/prices/{{book_id}}/") == 5
    assert names.count(f"/{mark}/checkout/") == 3
    books = next(t for t in shop["transactions"] if t["name"] == f"/{mark}/books/")
    lookups = [d for op, d in books["spans"] if op == "db" and '"shop_author"' in d]
    # Django's own placeholder style: the server is the one to turn %s and 21 into ?.
    assert lookups == [AUTHOR_LOOKUP.replace("= ? LIMIT ?", "= %s LIMIT 21")] * BOOKS


@pytest.mark.parametrize("view", ["books/", "prices/{book_id}/", "checkout/"])
def test_counts_and_percentiles_match_the_sdks_durations(
    server: LiveServer, shop: dict[str, Any], view: str
) -> None:
    name = f"/{shop['mark']}/{view}"
    durations = [t["duration_ms"] for t in shop["transactions"] if t["name"] == name]
    row = transaction_figures(server, name)
    assert row["transaction"] == name
    assert row["count()"] == len(durations)
    assert row["failure_rate()"] == (1.0 if view == "checkout/" else 0.0)
    assert_close(row["p50()"], nearest_rank(durations, 0.5), f"{name} p50")
    assert_close(row["p95()"], nearest_rank(durations, 0.95), f"{name} p95")


def test_n_plus_one_queries_form_one_span_group(server: LiveServer, shop: dict[str, Any]) -> None:
    name = f"/{shop['mark']}/books/"
    groups = {g["span.description"]: g for g in span_groups(server, name, "db")}
    assert AUTHOR_LOOKUP in groups, sorted(groups)
    assert groups[AUTHOR_LOOKUP]["count()"] == BOOKS * BOOK_CALLS
    assert groups[AUTHOR_LOOKUP]["transaction"] == name
    book_list = (
        'SELECT "shop_book"."id", "shop_book"."title", "shop_book"."author_id" '
        'FROM "shop_book" ORDER BY "shop_book"."id" ASC'
    )
    assert groups[book_list]["count()"] == BOOK_CALLS


def test_outgoing_http_is_an_http_client_group_by_host_and_route(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    name = f"/{shop['mark']}/prices/{{book_id}}/"
    [group] = span_groups(server, name, "http.client")
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
        for path in ("books/", "prices/{book_id}/")
    )
    n_plus_one = wait_performance_issue(server, slow["name"], "performance_n_plus_one_db_queries")
    # The N+1 request's trace lists its performance issue beside the spans; the plain
    # request's trace has nothing but the spans.
    assert_trace_of(server, slow, problems=[n_plus_one["id"]])
    assert_trace_of(server, fetch)


def test_the_n_plus_one_becomes_a_performance_issue(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    name = f"/{shop['mark']}/books/"
    issue = wait_performance_issue(server, name, "performance_n_plus_one_db_queries")
    assert issue["issueCategory"] == "performance"
    assert int(issue["count"]) == BOOK_CALLS


def test_the_raising_view_links_its_error_and_trace(
    server: LiveServer, shop: dict[str, Any]
) -> None:
    mark = shop["mark"]
    assert_error_in_trace(
        server, shop, f"/{mark}/checkout/", f"order {mark} declined by the payment provider"
    )
