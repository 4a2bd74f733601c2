"""The performance pages on both backends, fed real transactions through ingest and the
digest: the overview (figures, sorting, filters, "show more", the empty state), a
transaction's summary, the trace waterfall, profile downloads, 404s for what is not the
viewer's, and the apdex threshold setting."""

from __future__ import annotations

import html
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.api.harness import BACKENDS, Heron, TestClient, running
from tests.web.conftest import csrf_of, log_in, new_client
from tests.web.perf_helpers import (
    PROFILE,
    error_in,
    root_span,
    send_transactions,
    span,
    trace_of,
    transaction,
)

ORDERS = [10.0 * i for i in range(1, 21)]  # GET /orders: 10 … 200 ms
PAY = [1000.0, 1050.0, 1100.0, 1500.0, 1600.0]  # POST /pay, in staging, release shop@2.0
SETTINGS = "/projects/heron/default/settings/"


@dataclass
class Site:
    heron: Heron
    client: TestClient
    checkout: dict[str, Any]  # the root transaction of the trace (with a profile)
    child: dict[str, Any]  # a transaction of the same trace, under a span of the root
    issue_id: int  # the error raised in a span of the root
    rival_project: int
    rival: dict[str, Any]  # a transaction of another organization
    report: dict[str, Any]  # a transaction with a slow query: a performance issue


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with running(tmp_path_factory.mktemp("perf"), request.param) as heron:
        orders = [transaction("GET /orders", d, user=f"u-{i % 4}") for i, d in enumerate(ORDERS)]
        pay = [
            transaction(
                "POST /pay",
                d,
                environment="staging",
                release="shop@2.0",
                status="internal_error" if i < 2 else "ok",
            )
            for i, d in enumerate(PAY)
        ]
        old = [transaction("GET /old", 50.0, age=3 * 3600) for _ in range(3)]
        checkout = transaction(
            "GET /checkout",
            250.0,
            spans=3,
            measurements={"lcp": {"value": 4500.0, "unit": "millisecond"}},
        )
        child = transaction(
            "POST /charge",
            30.0,
            trace_id=trace_of(checkout),
            parent_span_id=checkout["spans"][0]["span_id"],
        )
        report = transaction("GET /report", 900.0)
        start = report["start_timestamp"] + 0.1
        slow = span(root_span(report), "db", "SELECT * FROM sales GROUP BY day", start, 700.0)
        report["spans"].append({**slow, "trace_id": trace_of(report)})
        send_transactions(heron, *orders, *pay, *old, child, report)
        send_transactions(heron, checkout, profile=True)
        heron.send(error_in(checkout, checkout["spans"][1]["span_id"], "ValueError", "bad cart"))
        rival_project, _token = heron.other_org()
        rival = transaction("GET /rival-secret", 80.0)
        send_transactions(heron, rival, project_id=rival_project, profile=True)
        client = new_client(heron)
        log_in(client)
        yield Site(
            heron,
            client,
            checkout,
            child,
            heron.issue_id("bad cart"),
            rival_project,
            rival,
            report,
        )


def rows(page: str, table: str = "perf-table") -> list[list[str]]:
    """The body rows of the first table with class ``table``, as cell texts."""
    match = re.search(rf'<table class="[^"]*\b{table}\b[^"]*">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert match, f"no {table} table on the page"
    return [
        [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)
    ]


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def ms_of(text: str) -> float:
    match = re.fullmatch(r"([\d.]+) (ms|s)", text)
    assert match, f"not a duration: {text!r}"
    return float(match.group(1)) * (1000 if match.group(2) == "s" else 1)


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def no_inline_code(page: str) -> None:
    """The pages live under a CSP without 'unsafe-inline': no style or script in them."""
    assert " style=" not in page and "<style" not in page
    assert "<script>" not in page and " on" + "click=" not in page


# --- the overview --------------------------------------------------------------------------


def test_overview_shows_each_transaction_with_its_figures(site: Site) -> None:
    response = site.client.get("/performance/")
    assert response.status_code == 200
    page = response.text
    no_inline_code(page)
    table = {r[0]: r for r in rows(page)}
    assert set(table) == {
        "GET /orders",
        "POST /pay",
        "GET /old",
        "GET /checkout",
        "POST /charge",
        "GET /report",
    }
    # Columns: name, project, TPM, p50, p95, p99, failure rate, apdex, misery, count.
    orders = table["GET /orders"]
    assert orders[1] == "default"
    assert orders[9] == "20"
    assert ms_of(orders[4]) == pytest.approx(exact(ORDERS, 0.95), rel=0.02)
    assert ms_of(orders[3]) == pytest.approx(exact(ORDERS, 0.5), rel=0.02)
    assert orders[6] == "0%"
    assert orders[7] == "1.00"  # all under the default 300 ms
    pay = table["POST /pay"]
    assert (pay[6], pay[9]) == ("40%", "5")
    # Apdex by hand, T = 300 ms: none satisfied (≤ T), three tolerated (≤ 4T), two frustrated.
    assert pay[7] == f"{(0 + 3 / 2) / 5:.2f}"
    # The totals above the charts, and the three charts.
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert facts["Transactions"] == str(len(ORDERS) + len(PAY) + 3 + 3)
    assert page.count('<svg class="chart lines"') == 3
    assert 'href="/performance/summary/?project=1&amp;transaction=GET+%2Forders"' in page
    assert "rival" not in page


def test_sorting_by_a_column_header(site: Site) -> None:
    def names(sort: str) -> list[str]:
        page = site.client.get("/performance/", params={"sort": sort}).text
        return [r[0] for r in rows(page)]

    assert names("-p95")[:3] == ["POST /pay", "GET /report", "GET /checkout"]
    assert names("p95")[-1] == "POST /pay"
    assert names("name") == sorted(names("name"))
    assert names("-count")[0] == "GET /orders"
    assert names("-failure_rate")[0] == "POST /pay"
    # The header of the sorted column says so, and its link turns the order around.
    page = site.client.get("/performance/", params={"sort": "-p95"}).text
    header = re.search(r'<th class="num" aria-sort="descending"><a href="([^"]+)">p95', page)
    assert header and html.unescape(header.group(1)) == "/performance/?sort=p95"
    response = site.client.get("/performance/", params={"sort": "-nonsense"})
    assert response.status_code == 400
    assert "Unknown sort" in response.text


def test_filters_narrow_the_table(site: Site) -> None:
    def names(**params: str) -> set[str]:
        response = site.client.get("/performance/", params=params)
        assert response.status_code == 200, response.text
        return {r[0] for r in rows(response.text)} if "perf-table" in response.text else set()

    assert names(environment="staging") == {"POST /pay"}
    assert names(release="shop@2.0") == {"POST /pay"}
    assert names(release="nope") == set()
    assert "GET /old" in names(period="24h")
    assert "GET /old" not in names(period="1h")
    assert names(project="1") == names()
    page = site.client.get("/performance/", params={"environment": "staging"}).text
    assert '<option value="staging" selected>' in page
    bad = site.client.get("/performance/", params={"period": "2y"})
    assert bad.status_code == 400 and "Unknown period" in bad.text


def test_another_organizations_project_is_404(site: Site) -> None:
    for params in ({"project": str(site.rival_project)}, {"project": "abc"}, {"project": "0"}):
        assert site.client.get("/performance/", params=params).status_code == 404
    summary = {"project": str(site.rival_project), "transaction": "GET /rival-secret"}
    assert site.client.get("/performance/summary/", params=summary).status_code == 404
    assert site.client.get(f"/traces/{trace_of(site.rival)}/").status_code == 404
    url = f"/profiles/{site.rival_project}/{site.rival['event_id']}.json"
    assert site.client.get(url).status_code == 404


def test_the_header_links_the_overview(site: Site) -> None:
    page = site.client.get("/issues/").text
    assert '<a href="/performance/">Performance</a>' in page
    current = site.client.get("/performance/").text
    assert '<a href="/performance/" aria-current="page">Performance</a>' in current


def test_show_more_and_the_empty_state(heron: Heron) -> None:
    client = new_client(heron)
    log_in(client)
    empty = client.get("/performance/").text
    assert "traces_sample_rate" in empty and "tracesSampleRate" in empty
    assert 'href="/projects/heron/default/setup/"' in empty
    send_transactions(heron, *[transaction(f"GET /page/{i:02d}", 10.0 + i) for i in range(55)])
    page = client.get("/performance/", params={"sort": "name"}).text
    assert len(rows(page)) == 50
    more = re.search(r'<a href="([^"]+)">Show more</a>', page)
    assert more
    assert "traces_sample_rate" not in page
    everything = client.get(html.unescape(more.group(1))).text
    assert [r[0] for r in rows(everything)] == [f"GET /page/{i:02d}" for i in range(55)]
    assert "Show more" not in everything


# --- the summary ---------------------------------------------------------------------------


def summary(site: Site, name: str, **params: str) -> str:
    response = site.client.get(
        "/performance/summary/", params={"project": "1", "transaction": name, **params}
    )
    assert response.status_code == 200, response.text
    return response.text


def test_summary_figures_and_charts(site: Site) -> None:
    page = summary(site, "GET /orders")
    no_inline_code(page)
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert facts["Transactions"] == "20"
    assert facts["Users"] == "4"
    assert ms_of(facts["p75"]) == pytest.approx(exact(ORDERS, 0.75), rel=0.02)
    assert ms_of(facts["p99"]) == pytest.approx(exact(ORDERS, 0.99), rel=0.02)
    assert facts["Failure rate"] == "0%"
    legend = re.findall(r'<span class="legend (s\d)">(p\d\d)</span>', page)
    assert legend == [("s0", "p50"), ("s1", "p75"), ("s2", "p95"), ("s3", "p99")]
    bars = re.findall(r"<title>([\d.]+ ms) to ([\d.]+ ms): (\d+) transactions</title>", page)
    assert sum(int(n) for _lo, _hi, n in bars) == 20
    # Ten slowest, slowest first, each linking its trace.
    slowest = rows(page, "slowest")
    assert [ms_of(r[0]) for r in slowest] == pytest.approx(sorted(ORDERS)[::-1][:10], rel=0.01)
    assert page.count('class="trace-link" href="/traces/') == 10


def test_summary_spans_vitals_profile_and_related_issues(site: Site) -> None:
    page = summary(site, "GET /checkout")
    ops = {r[0]: r for r in rows(page, "span-ops")}
    assert set(ops) == {"db", "http.client"}
    assert ops["db"][1] == "3"
    groups = rows(page, "span-groups")
    assert groups[0][:3] == ["db", "SELECT * FROM orders WHERE id = ?", "3"]
    [lcp] = rows(page, "measurements")
    assert lcp[0] == "lcp Largest contentful paint"
    assert (lcp[2], lcp[5]) == ("4.50 s", "poor")
    [event] = rows(page, "slowest")
    assert event[3:5] == ["u-1", "shop@1.0"]
    profile = f"/profiles/1/{site.checkout['event_id']}.json"
    assert f'href="{profile}"' in page
    assert f'href="/traces/{trace_of(site.checkout)}/"' in page
    assert f'<a href="/issues/{site.issue_id}/">ValueError: bad cart</a>' in page
    # A transaction without issues says so.
    assert "No issues were seen" in summary(site, "GET /orders")


def test_summary_filters_and_missing_choices(site: Site) -> None:
    staging = summary(site, "POST /pay", environment="staging")
    assert dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", staging))["Transactions"] == "5"
    production = summary(site, "POST /pay", environment="production")
    assert "No POST /pay transactions in the last 24 hours with these filters" in production
    bare = site.client.get("/performance/summary/", follow_redirects=False)
    assert (bare.status_code, bare.headers["location"]) == (302, "/performance/")
    nameless = site.client.get("/performance/summary/", params={"project": "1"})
    assert nameless.status_code == 400
    long = site.client.get(
        "/performance/summary/", params={"project": "1", "transaction": "x" * 201}
    )
    assert long.status_code == 400
    unknown = site.client.get(
        "/performance/summary/", params={"project": "999999", "transaction": "GET /orders"}
    )
    assert unknown.status_code == 404


def test_profile_download(site: Site) -> None:
    response = site.client.get(f"/profiles/1/{site.checkout['event_id']}.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="profile-{site.checkout["event_id"]}.json"'
    assert orjson.loads(response.content) == PROFILE
    no_profile = f"/profiles/1/{site.child['event_id']}.json"
    for path in (no_profile, "/profiles/1/not-an-id.json", "/profiles/x/abc.json"):
        assert site.client.get(path).status_code == 404, path


# --- the trace -----------------------------------------------------------------------------


def test_trace_waterfall(site: Site) -> None:
    response = site.client.get(f"/traces/{trace_of(site.checkout)}/")
    assert response.status_code == 200
    page = response.text
    no_inline_code(page)
    found = re.findall(
        r'<tr id="span-([0-9a-f]+)" class="([^"]*)">\s*<td class="span-name depth-(\d+)">'
        r'\s*<span class="op">([^<]*)</span>',
        page,
    )
    checkout, child = site.checkout, site.child
    first_db = checkout["spans"][0]["span_id"]
    assert [(span, int(depth), op) for span, _cls, depth, op in found] == [
        (root_span(checkout), 0, "http.server"),
        (first_db, 1, "db"),
        (checkout["spans"][3]["span_id"], 2, "http.client"),  # children by start time
        (root_span(child), 2, "http.server"),  # the child transaction, under the db span
        (checkout["spans"][1]["span_id"], 1, "db"),
        (checkout["spans"][2]["span_id"], 1, "db"),
    ]
    classes = {span: cls for span, cls, _depth, _op in found}
    assert classes[root_span(child)] == "segment"
    assert classes[checkout["spans"][1]["span_id"]] == "span has-error"
    # Transactions link their summaries; the error links its issue, on its span and above.
    assert 'href="/performance/summary/?project=1&amp;transaction=POST+%2Fcharge"' in page
    short_id = re.search(rf'href="/issues/{site.issue_id}/" title="[^"]*">([A-Z]+-\w+)</a>', page)
    expected = site.heron.api(f"/api/0/issues/{site.issue_id}/").json()["shortId"]
    assert short_id and short_id.group(1) == expected
    assert f'<a href="/issues/{site.issue_id}/">ValueError: bad cart</a>' in page
    assert f'href="#span-{checkout["spans"][1]["span_id"]}"' in page
    # Each bar sits where its span starts, as a share of the whole trace (viewBox 0…1000).
    bars = re.findall(r'<rect class="[^"]+" x="([\d.]+)" y="1" width="([\d.]+)"', page)
    assert len(bars) == 6
    assert float(bars[0][1]) == pytest.approx(1000.0, abs=1.0)  # the root spans the trace
    assert f'href="/profiles/1/{checkout["event_id"]}.json"' in page


def test_trace_marks_its_performance_issues(site: Site) -> None:
    page = site.client.get(f"/traces/{trace_of(site.report)}/").text
    assert "Performance issues in this trace" in page
    issue = re.search(r'<a href="/issues/(\d+)/">([^<]*Slow DB Query[^<]*)</a>', page)
    assert issue, page
    marks = re.findall(rf'class="badge perf-mark" href="/issues/{issue.group(1)}/"', page)
    assert len(marks) == 1
    assert "Errors in this trace" not in page
    # The GET /orders traces have neither.
    plain = site.client.get(f"/traces/{trace_of(site.checkout)}/").text
    assert "Performance issues in this trace" not in plain


def test_unknown_and_malformed_traces_are_404(site: Site) -> None:
    for trace_id in (uuid.uuid4().hex, "xyz", "0" * 31, "g" * 32, "0" * 33, "%20"):
        response = site.client.get(f"/traces/{trace_id}/")
        assert response.status_code == 404, trace_id
    # The same trace id with dashes or in capitals is the same trace.
    dashed = str(uuid.UUID(trace_of(site.checkout))).upper()
    assert site.client.get(f"/traces/{dashed}/").status_code == 200


# --- the apdex threshold -------------------------------------------------------------------


def test_apdex_threshold_round_trip(heron: Heron, tmp_path: Path) -> None:
    client = new_client(heron)
    log_in(client)
    page = client.get(SETTINGS).text
    assert 'name="apdex_threshold_ms" value="300"' in page
    send_transactions(heron, *[transaction("GET /slowish", 100.0) for _ in range(4)])

    def apdex() -> str:
        [row] = rows(client.get("/performance/").text)
        return row[7]

    assert apdex() == "1.00"
    form = {"name": "Default", "platform": "python", "issue_tracker_url": ""}
    token = csrf_of(page)
    saved = client.post(
        SETTINGS + "general",
        data={**form, "apdex_threshold_ms": "50", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert 'name="apdex_threshold_ms" value="50"' in client.get(SETTINGS).text
    assert apdex() == "0.50"  # 100 ms is now tolerated (T < 100 ≤ 4T)
    for bad in ("abc", "0", "60001", "-5", "1.5"):
        response = client.post(
            SETTINGS + "general", data={**form, "apdex_threshold_ms": bad, "csrf_token": token}
        )
        assert response.status_code == 400, bad
        assert "apdex threshold" in response.text
    # The API reads and changes the same setting.
    url = "/api/0/projects/heron/default/"
    assert heron.api(url).json()["apdexThreshold"] == 50
    put = heron.client.put(url, json={"apdexThreshold": 400}, headers=heron.auth())
    assert put.status_code == 200 and put.json()["apdexThreshold"] == 400
    assert apdex() == "1.00"
    for bad_value in (0, 60001, "300", 1.5, True):
        response = heron.client.put(url, json={"apdexThreshold": bad_value}, headers=heron.auth())
        assert response.status_code == 400, bad_value
    assert heron.api(url).json()["apdexThreshold"] == 400
