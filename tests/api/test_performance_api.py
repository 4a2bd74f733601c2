"""The performance endpoints over transactions sent through ingest: ``/events/`` tables
(aggregates, single transactions, span groups), ``/events-stats/`` series and ``/trace/``."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from heron.digest import drain
from heron.protocol import Envelope, Item, serialize_envelope
from tests.api.harness import BACKENDS, Heron, error_event, running

NOW = time.time()
BASE = "/api/0/organizations/heron"


def _txn(
    name: str,
    ms: float,
    end: float,
    *,
    status: str = "ok",
    trace: str | None = None,
    db_spans: int = 2,
) -> dict[str, Any]:
    trace_id, root = trace or uuid.uuid4().hex, uuid.uuid4().hex[:16]
    start = end - ms / 1000
    return {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": name,
        "start_timestamp": start,
        "timestamp": end,
        "environment": "production",
        "release": "shop@3.0",
        "user": {"id": f"u{int(ms) % 4}"},
        "contexts": {
            "trace": {"trace_id": trace_id, "span_id": root, "op": "http.server", "status": status}
        },
        "measurements": {"lcp": {"value": ms * 2, "unit": "millisecond"}},
        "spans": [
            {
                "trace_id": trace_id,
                "span_id": uuid.uuid4().hex[:16],
                "parent_span_id": root,
                "op": "db",
                "description": f"SELECT * FROM carts WHERE id = {i}",
                "start_timestamp": start,
                "timestamp": start + 0.004,
            }
            for i in range(db_spans)
        ],
    }


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


CARTS = [float(20 + (i * 61) % 900) for i in range(30)]
LOGIN = [float(5 + (i * 7) % 60) for i in range(12)]


@pytest.fixture(scope="module", params=BACKENDS)
def perf(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Heron]:
    with running(tmp_path_factory.mktemp("perf"), request.param) as app:
        end = NOW - 120
        payloads = [_txn("GET /carts", ms, end - i) for i, ms in enumerate(CARTS)]
        payloads += [
            _txn("POST /login", ms, end - i, status="internal_error" if i < 3 else "ok")
            for i, ms in enumerate(LOGIN)
        ]
        for p in payloads:
            body = serialize_envelope(
                Envelope(
                    {"event_id": p["event_id"]}, [Item({"type": "transaction"}, orjson.dumps(p))]
                )
            )
            app.post_envelope(body, app.project_id, app.public_key)
        drain(app.db)
        yield app


def test_aggregates_per_transaction(perf: Heron) -> None:
    fields = [
        "transaction",
        "project",
        "count()",
        "p50()",
        "p95()",
        "p99()",
        "failure_rate()",
        "tpm()",
        "apdex()",
        "user_misery()",
        "count_unique(user)",
        "avg(transaction.duration)",
        "failure_count()",
        "p75(measurements.lcp)",
    ]
    r = perf.api(
        f"{BASE}/events/", params={"field": fields, "statsPeriod": "24h", "sort": "-count()"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    rows = body["data"]
    assert [(x["transaction"], x["count()"], x["failure_count()"]) for x in rows] == [
        ("GET /carts", 30, 0),
        ("POST /login", 12, 3),
    ]
    assert rows[0]["project"] == "default"
    for row, values in zip(rows, (CARTS, LOGIN), strict=True):
        for field, q in (("p50()", 0.5), ("p95()", 0.95), ("p99()", 0.99)):
            assert abs(row[field] - _exact(values, q)) <= 0.0101 * _exact(values, q)
        assert row["avg(transaction.duration)"] == pytest.approx(
            sum(values) / len(values), rel=1e-6
        )
        lcp = [v * 2 for v in values]
        assert abs(row["p75(measurements.lcp)"] - _exact(lcp, 0.75)) <= 0.0101 * _exact(lcp, 0.75)
    assert rows[1]["failure_rate()"] == pytest.approx(0.25)
    assert rows[0]["count_unique(user)"] == 4
    assert body["meta"]["fields"]["p95()"] == "duration"
    assert body["meta"]["units"]["p95()"] == "millisecond"

    by_p95 = perf.api(
        f"{BASE}/events/", params={"field": ["transaction", "p95()"], "sort": "p95()"}
    )
    assert [x["transaction"] for x in by_p95.json()["data"]] == ["POST /login", "GET /carts"]
    one = perf.api(
        f"{BASE}/events/",
        params={
            "field": ["count()", "p95()"],
            "query": 'event.type:transaction transaction:"POST /login"',
        },
    )
    assert one.json()["data"] == [{"count()": 12, "p95()": one.json()["data"][0]["p95()"]}]
    assert one.json()["data"][0]["count()"] == 12
    totals = perf.api(f"{BASE}/events/", params={"field": ["count()"], "environment": "production"})
    assert totals.json()["data"] == [{"count()": 42}]
    none = perf.api(f"{BASE}/events/", params={"field": ["count()"], "environment": "staging"})
    assert none.json()["data"] == [{"count()": 0}]


def test_single_transactions_and_span_groups(perf: Heron) -> None:
    r = perf.api(
        f"{BASE}/events/",
        params={
            "field": ["id", "trace", "transaction", "transaction.duration", "timestamp", "user"],
            "query": 'transaction:"GET /carts"',
            "sort": "-transaction.duration",
            "per_page": "3",
        },
    )
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert [round(x["transaction.duration"]) for x in rows] == sorted(CARTS, reverse=True)[:3]
    assert all(len(x["trace"]) == 32 and x["timestamp"].endswith("Z") for x in rows)

    spans = perf.api(
        f"{BASE}/events/",
        params={
            "dataset": "spans",
            "field": ["span.op", "span.description", "count()", "sum(span.duration)"],
            "query": 'transaction:"GET /carts" span.op:db',
        },
    )
    assert spans.status_code == 200, spans.text
    assert spans.json()["data"] == [
        {
            "span.op": "db",
            "span.description": "SELECT * FROM carts WHERE id = ?",
            "count()": 60,
            "sum(span.duration)": pytest.approx(240.0, rel=0.02),
        }
    ]


def test_series(perf: Heron) -> None:
    r = perf.api(
        f"{BASE}/events-stats/", params={"yAxis": "count()", "interval": "1h", "statsPeriod": "24h"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert sum(point[1][0]["count"] for point in body["data"]) == 42
    assert len(body["data"]) in (24, 25)
    both = perf.api(
        f"{BASE}/events-stats/", params={"yAxis": ["count()", "p95()"], "statsPeriod": "1h"}
    )
    assert set(both.json()) == {"count()", "p95()"}
    counts = [p[1][0]["count"] for p in both.json()["count()"]["data"]]
    assert sum(counts) == 42 and len(counts) in (60, 61)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"field": ["nope()"]}, "unknown field"),
        ({"field": ["transaction", "count()"], "sort": "-nope()"}, "cannot sort"),
        ({"field": ["release", "count()"]}, "cannot group"),
        ({"field": ["count()"], "statsPeriod": "1y"}, "invalid period"),
        ({"field": ["count()"], "query": "color:blue"}, "unknown filter"),
        ({"field": ["count()"], "query": "span.op:db"}, "unknown filter"),
        ({"field": ["count()"], "project": "abc"}, "project"),
        ({"field": ["count()"], "start": "yesterday", "end": "today"}, "invalid time"),
        ({"field": ["count()"], "dataset": "logs"}, "unknown dataset"),
        ({"field": ["id", "nope"]}, "unknown field"),
        ({}, "field"),
    ],
)
def test_bad_requests_say_why(perf: Heron, params: dict[str, Any], message: str) -> None:
    r = perf.api(f"{BASE}/events/", params=params)
    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]


def test_trace_endpoint_links_the_error(tmp_path: Path) -> None:
    with running(tmp_path, "sqlite") as app:
        txn = _txn("GET /checkout", 80.0, NOW - 60)
        trace_id = txn["contexts"]["trace"]["trace_id"]
        body = serialize_envelope(
            Envelope(
                {"event_id": txn["event_id"]}, [Item({"type": "transaction"}, orjson.dumps(txn))]
            )
        )
        app.post_envelope(body, app.project_id, app.public_key)
        error = error_event("KeyError", "'cart'", function="checkout")
        error["contexts"] = {"trace": {"trace_id": trace_id, "span_id": txn["spans"][0]["span_id"]}}
        app.send(error)
        r = app.api(f"{BASE}/trace/{trace_id}/")
        assert r.status_code == 200, r.text
        trace = r.json()
        assert [t["transaction"] for t in trace["transactions"]] == ["GET /checkout"]
        assert [s["depth"] for s in trace["spans"]] == [0, 1, 1]
        issue = str(app.issue_id("'cart'"))
        assert [(e["issue_id"], e["span_id"]) for e in trace["errors"]] == [
            (issue, txn["spans"][0]["span_id"])
        ]
        assert app.api(f"{BASE}/trace/{uuid.uuid4().hex}/").status_code == 404
        assert app.api(f"{BASE}/trace/zzz/").status_code == 404
        _project, rival = app.other_org()
        assert (
            app.api(f"/api/0/organizations/rivals/trace/{trace_id}/", token=rival).status_code
            == 404
        )
        assert app.api(f"{BASE}/trace/{trace_id}/", token=rival).status_code == 404
        assert (
            app.api(f"{BASE}/events/", params={"field": "count()"}, token=rival).status_code == 404
        )
        assert app.client.get(f"{BASE}/events/?field=count()").status_code == 401


def test_a_profile_is_served_by_its_transaction_id(tmp_path: Path) -> None:
    with running(tmp_path, "sqlite") as app:
        txn = _txn("GET /profiled", 40.0, NOW - 60)
        profile = {
            "event_id": uuid.uuid4().hex,
            "platform": "python",
            "version": "1",
            "transaction": {"id": txn["event_id"], "name": "GET /profiled"},
        }
        body = serialize_envelope(
            Envelope(
                {"event_id": txn["event_id"]},
                [
                    Item({"type": "transaction"}, orjson.dumps(txn)),
                    Item({"type": "profile"}, orjson.dumps(profile)),
                ],
            )
        )
        app.post_envelope(body, app.project_id, app.public_key)
        drain(app.db)
        path = "/api/0/projects/heron/default/profiling/profiles"
        r = app.api(f"{path}/{txn['event_id']}/")
        assert r.status_code == 200, r.text
        assert r.json() == profile
        rows = app.api(f"{BASE}/events/", params={"field": ["id", "profile.id"]}).json()["data"]
        assert rows == [{"id": txn["event_id"], "profile.id": txn["event_id"]}]
        assert app.api(f"{path}/{uuid.uuid4().hex}/").status_code == 404
        assert app.api(f"{path}/nope/").status_code == 404
        _project, rival = app.other_org()
        assert app.api(f"{path}/{txn['event_id']}/", token=rival).status_code == 404
