"""A performance issue's page shows its evidence and links to the transaction and its trace;
every event with a trace id links to its trace; the issue JSON names the issue type."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

from heron.digest import drain
from tests.api.harness import Heron, error_event
from tests.store.perf_issue_helpers import envelope, n_plus_one, transaction
from tests.web.conftest import log_in, new_client


def _perf_issue(heron: Heron, payload: dict[str, Any]) -> int:
    heron.post_envelope(envelope(payload), heron.project_id, heron.public_key)
    drain(heron.db)
    return heron.issue_id("N+1 Query")


def test_a_performance_issue_page_shows_the_evidence(heron: Heron) -> None:
    payload = transaction("GET /orders/{id} & more", children=n_plus_one(1))
    trace_id = payload["contexts"]["trace"]["trace_id"]
    issue_id = _perf_issue(heron, payload)
    browser = new_client(heron)
    log_in(browser)

    page = browser.get(f"/issues/{issue_id}/")
    assert page.status_code == 200
    text = page.text
    [section] = re.findall(r'<section class="perf-problem">.*?</section>', text, re.S)
    assert "N+1 Query" in section
    assert "SELECT * FROM items WHERE order_id = ?" in html.unescape(section)
    assert re.search(r'class="perf-count">6<', section)
    assert re.search(r'class="perf-total">90\.0 ms<', section)
    assert re.search(r'class="perf-slowest">15\.0 ms<', section)
    # Every offending span, with its own literal.
    for i in range(1, 7):
        assert f"SELECT * FROM items WHERE order_id = {i}" in html.unescape(section)
    summary = (
        f"/performance/summary/?project={heron.project_id}"
        "&amp;transaction=GET%20/orders/%7Bid%7D%20%26%20more"
    )
    assert f'href="{summary}"' in section
    assert f'<a href="/traces/{trace_id}/" class="view-trace">View trace</a>' in text
    assert 'class="badge performance"' in text

    body = heron.api(f"/api/0/issues/{issue_id}/").json()
    assert (body["issueType"], body["issueCategory"]) == (
        "performance_n_plus_one_db_queries",
        "performance",
    )
    event = heron.api(f"/api/0/issues/{issue_id}/events/latest/").json()
    assert (event["type"], event["title"]) == ("transaction", "N+1 Query")
    assert event["contexts"]["trace"]["trace_id"] == trace_id
    assert {"key": "transaction", "value": payload["transaction"]} in event["tags"]
    assert browser.get(f"/issues/{issue_id}/events/").status_code == 200
    raw = browser.get(f"/issues/{issue_id}/events/{event['eventID']}/json")
    assert raw.json()["perf_problem"]["kind"] == "n_plus_one_db"


def test_an_error_with_a_trace_links_to_it_and_stays_an_error(heron: Heron) -> None:
    traced = error_event("ValueError", "traced failure")
    trace_id = uuid.uuid4().hex
    traced["contexts"] = {"trace": {"trace_id": trace_id, "span_id": uuid.uuid4().hex[:16]}}
    # A field the SDK made up is not evidence: only performance issues' events show it.
    traced["perf_problem"] = {"evidence": {"total_ms": "lots"}, "spans": "nope"}
    heron.send(traced, error_event("KeyError", "failure without a trace"))
    browser = new_client(heron)
    log_in(browser)

    page = browser.get(f"/issues/{heron.issue_id('traced failure')}/")
    assert page.status_code == 200
    assert f'href="/traces/{trace_id}/" class="view-trace"' in page.text
    assert 'class="badge performance"' not in page.text
    assert "perf-problem" not in page.text
    plain = browser.get(f"/issues/{heron.issue_id('failure without a trace')}/")
    assert plain.status_code == 200
    assert "View trace" not in plain.text

    body = heron.api(f"/api/0/issues/{heron.issue_id('traced failure')}/").json()
    assert (body["issueType"], body["issueCategory"]) == ("error", "error")


def test_issues_can_be_searched_by_category_and_type(heron: Heron) -> None:
    heron.send(error_event("ValueError", "plain failure"))
    perf_id = _perf_issue(heron, transaction(children=n_plus_one(1)))
    error_id = heron.issue_id("plain failure")

    def found(query: str) -> list[int]:
        response = heron.api("/api/0/organizations/heron/issues/", params={"query": query})
        assert response.status_code == 200, response.text
        return sorted(int(i["id"]) for i in response.json())

    assert found("issue.category:performance") == [perf_id]
    assert found("issue.category:error") == [error_id]
    assert found("!issue.category:error") == [perf_id]
    assert found("issue.category:[error, performance]") == sorted([perf_id, error_id])
    assert found("issue.type:performance_n_plus_one_db_queries") == [perf_id]
    assert found("issue.type:performance_*") == [perf_id]
    assert found("issue.type:performance_slow_db_query") == []
    bad = heron.api("/api/0/organizations/heron/issues/", params={"query": "issue.category:x"})
    assert bad.status_code == 400
    assert "issue.category" in bad.json()["detail"]
