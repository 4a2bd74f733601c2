from __future__ import annotations

import itertools
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from heron.protocol.envelope import parse_envelope
from heron.rollup import Finding, Thresholds, detect, from_transaction_event
from heron.rollup.detect import SpanView

_ids = itertools.count(1)
ROOT = SpanView("root", None, "http.server", "GET /books", 0.0, 10.0)


def span(
    op: str | None,
    description: str | None,
    start_ms: float,
    ms: float,
    parent: str | None = "root",
    data: dict[str, Any] | None = None,
) -> SpanView:
    start = 1_700_000_000.0 + start_ms / 1000
    sid = f"{next(_ids):016x}"
    return SpanView(sid, parent, op, description, start, start + ms / 1000, data or {})


def db_run(
    template: str, count: int, ms: float, at: float = 0.0, gap: float = 1.0
) -> list[SpanView]:
    return [span("db", template.format(i + 7), at + i * (ms + gap), ms) for i in range(count)]


def http_chain(urls: list[str], ms: float, at: float = 0.0, gap: float = 0.0) -> list[SpanView]:
    return [span("http.client", f"GET {u}", at + i * (ms + gap), ms) for i, u in enumerate(urls)]


def kinds(spans: list[SpanView], **thresholds: Any) -> list[str]:
    return [f.kind.value for f in detect("GET /books", [ROOT, *spans], Thresholds(**thresholds))]


AUTHOR = "SELECT * FROM author WHERE id = {}"
OTHER = "SELECT * FROM tag WHERE book_id = {}"
URLS = ["https://a.example/x", "https://b.example/y", "https://c.example/z"]


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        pytest.param(db_run(AUTHOR, 5, 11), ["n_plus_one_db"], id="n+1: 5 repeats, 55 ms"),
        pytest.param(db_run(AUTHOR, 4, 30), [], id="n+1 miss: 4 repeats"),
        pytest.param(db_run(AUTHOR, 8, 5), [], id="n+1 miss: 40 ms together"),
        pytest.param(
            [
                s
                for pair in zip(db_run(AUTHOR, 5, 20), db_run(OTHER, 5, 20, at=5), strict=True)
                for s in pair
            ],
            [],
            id="n+1 miss: interleaved different queries",
        ),
        pytest.param(
            [
                s
                for i, q in enumerate(db_run(AUTHOR, 5, 20))
                for s in (q, span("cache.get", "k", i * 21 + 20, 0.5))
            ],
            ["n_plus_one_db"],
            id="n+1: non-db spans between the repeats",
        ),
        pytest.param(
            [
                *db_run(AUTHOR, 3, 20),
                *(span("db", AUTHOR.format(i), i * 30, 20, parent="x") for i in range(3)),
            ],
            [],
            id="n+1 miss: repeats split over two parents",
        ),
        pytest.param(
            [span("db", "SELECT * FROM a WHERE x = %s", i * 30, 20) for i in range(5)],
            ["n_plus_one_db"],
            id="n+1: same placeholder query",
        ),
        pytest.param([span("db", None, i * 30, 20) for i in range(6)], [], id="n+1: no desc"),
        pytest.param(
            [span("db.query", "SELECT pg_sleep(1)", 0, 500)], ["slow_db_query"], id="slow: 500 ms"
        ),
        pytest.param([span("db.query", "SELECT pg_sleep(1)", 0, 499)], [], id="slow miss: 499"),
        pytest.param([span("http.client", "GET /x", 0, 900)], [], id="slow: http is not db"),
        pytest.param(http_chain(URLS, 300), ["consecutive_http"], id="http: 3 x 300 ms"),
        pytest.param(http_chain(URLS, 300, gap=-50), [], id="http miss: overlapping calls"),
        pytest.param(http_chain(URLS, 200), [], id="http miss: saves only 400 ms"),
        pytest.param(http_chain(URLS[:2], 900), [], id="http miss: only 2 calls"),
        pytest.param(http_chain(["https://a.example/x"] * 3, 400), [], id="http miss: same URL"),
        pytest.param(
            http_chain([f"https://a.example/items?page={i}" for i in range(4)], 400),
            [],
            id="http miss: page cursor on one path",
        ),
        pytest.param(
            http_chain(["https://a.example/x", "https://a.example/y", "https://a.example/z"], 300),
            ["consecutive_http"],
            id="http: same host, different paths",
        ),
        pytest.param(
            [*http_chain(URLS, 300), span("http.client", "GET https://d.example/", 100, 50)],
            ["consecutive_http"],
            id="http: a short parallel call does not matter",
        ),
        pytest.param(
            [
                span(
                    "http.client",
                    "GET https://cdn.example/big",
                    0,
                    10,
                    data={"http.response_content_length": 2_000_000},
                )
            ],
            ["large_http_payload"],
            id="payload: 2 MB",
        ),
        pytest.param(
            [
                span(
                    "http.client",
                    "GET https://cdn.example/big",
                    0,
                    10,
                    data={"http.response.body.size": "1000000"},
                )
            ],
            ["large_http_payload"],
            id="payload: size as a string, at the threshold",
        ),
        pytest.param(
            [
                span(
                    "http.client",
                    "GET https://cdn.example/big",
                    0,
                    10,
                    data={"http.response_transfer_size": 999_999, "x": True},
                )
            ],
            [],
            id="payload miss: just under 1 MB",
        ),
        pytest.param(
            [
                span(
                    "http.client",
                    "GET https://cdn.example/big",
                    0,
                    10,
                    data={"http.response_content_length": True},
                )
            ],
            [],
            id="payload: a boolean is no size",
        ),
    ],
)
def test_detectors(spans: list[SpanView], expected: list[str]) -> None:
    assert kinds(spans) == expected


def test_n_plus_one_finding_content() -> None:
    run = db_run(AUTHOR, 6, 10)
    [finding] = detect("GET /books", [ROOT, span("db", "SELECT * FROM book", -5, 3), *run])
    assert finding.title == "N+1 Query"
    assert finding.culprit == "GET /books"
    assert finding.fingerprint == (
        "n_plus_one_db",
        "http.server",
        "SELECT * FROM author WHERE id = ?",
    )
    assert finding.span_ids == tuple(s.span_id for s in run)
    assert finding.evidence["count"] == 6
    assert finding.evidence["total_ms"] == pytest.approx(60)
    assert finding.evidence["slowest_ms"] == pytest.approx(10)
    assert finding.evidence["subtitle"] == "SELECT * FROM author WHERE id = ?"


def test_n_plus_one_one_finding_per_statement_and_parent() -> None:
    spans = [*db_run(AUTHOR, 5, 20), span("db", "SELECT 1", 200, 1), *db_run(AUTHOR, 7, 20, at=300)]
    [finding] = detect("t", [ROOT, *spans])
    assert finding.evidence["count"] == 7


def test_slow_queries_group_by_statement() -> None:
    spans = [
        span("db", "SELECT * FROM big WHERE a = 1", 0, 600),
        span("db", "SELECT * FROM big WHERE a = 2", 700, 900, parent="elsewhere"),
        span("db", "UPDATE big SET a = 3", 1700, 800),
    ]
    found = detect("t", [ROOT, *spans])
    assert [(f.title, f.evidence["count"]) for f in found] == [
        ("Slow DB Query", 2),
        ("Slow DB Query", 1),
    ]
    assert found[0].evidence["slowest_ms"] == pytest.approx(900)
    assert found[0].fingerprint == ("slow_db_query", "*", "SELECT * FROM big WHERE a = ?")


def test_consecutive_http_evidence() -> None:
    chain = http_chain(URLS, 300, gap=10)
    [finding] = detect("t", [ROOT, *chain])
    assert finding.evidence["saved_ms"] == pytest.approx(600)
    assert finding.span_ids == tuple(s.span_id for s in chain)


def events(statement: str, base: float, ms: float, param: int) -> list[SpanView]:
    root = SpanView(f"r{param}", None, "http.server", "GET /books", base, base + 5)
    kids = [
        SpanView(
            f"{param}-{i}",
            root.span_id,
            "db.sql.query",
            statement.format(param + i),
            base + i * ms / 1000,
            base + (i + 1) * ms / 1000,
            {},
        )
        for i in range(6)
    ]
    calls = [
        SpanView(
            f"{param}-h{i}",
            root.span_id,
            "http.client",
            f"GET https://{h}.example/u/{param}",
            base + 1 + i,
            base + 1.5 + i,
            {"http.response_content_length": 5_000_000},
        )
        for i, h in enumerate("abc")
    ]
    slow = SpanView(f"{param}-s", root.span_id, "db", f"SELECT '{param}'", base + 4, base + 4.8, {})
    return [root, *kids, *calls, slow]


def fingerprints(spans: list[SpanView]) -> list[tuple[str, ...]]:
    return [f.fingerprint for f in detect("GET /books", spans)]


def test_fingerprints_stable_across_events() -> None:
    first = fingerprints(events("SELECT * FROM a WHERE id = {}", 100.0, 20, 1))
    second = fingerprints(events("SELECT * FROM a WHERE id = {}", 9_000.0, 35, 42))
    assert len(first) == 1 + 1 + 1 + 3  # n+1, slow, consecutive, three large payloads
    assert first == second
    other = fingerprints(events("SELECT * FROM b WHERE id = {}", 100.0, 20, 1))
    assert other[0] != first[0]
    assert other[1:] == first[1:]


@pytest.mark.parametrize(
    "spans",
    [
        pytest.param([], id="empty"),
        pytest.param([span("db", "SELECT 1", 0, 0, parent=None)] * 6, id="zero durations"),
        pytest.param([span("db", "SELECT 1", 10, -5) for _ in range(6)], id="negative durations"),
        pytest.param([span(None, None, 0, 1), span("http.client", None, 0, 900)], id="no op"),
        pytest.param(http_chain(["", "", ""], 400), id="http without URLs"),
    ],
)
def test_robust_to_odd_spans(spans: list[SpanView]) -> None:
    assert detect("t", spans) == []


def test_missing_parent_uses_empty_parent_op() -> None:
    orphans = [span("db", AUTHOR.format(i), i * 20, 15, parent="gone") for i in range(5)]
    [finding] = detect("t", orphans)
    assert finding.fingerprint[1] == ""
    assert isinstance(finding, Finding)


def test_thousand_spans_stay_fast() -> None:
    spans = [ROOT]
    for block in range(100):
        parent = span("function", f"step {block}", block * 100, 99)
        spans.append(parent)
        for i in range(9):
            op, desc = ("db", AUTHOR.format(i)) if i < 6 else ("http.client", f"GET {URLS[i - 6]}")
            kid = span(op, desc, block * 100 + i * 10, 9, parent=parent.span_id)
            spans.append(kid)
    assert len(spans) == 1001
    began = time.perf_counter()
    found = detect("t", spans)
    assert time.perf_counter() - began < 0.5
    # The blocks repeat one problem: one finding, the 9 ms calls are not consecutive HTTP.
    assert [f.kind.value for f in found] == ["n_plus_one_db"]


CAPTURED = Path("/work/shared/conformance/envelopes/captured/python-sentry-sdk-2.75.0/basic")


def test_real_transaction_spans() -> None:
    path = CAPTURED / "004-profile+transaction.envelope"
    if not path.exists():
        pytest.skip("conformance corpus not available")
    [item] = [i for i in parse_envelope(path.read_bytes()).items if i.type == "transaction"]
    transaction = from_transaction_event(json.loads(item.payload))
    assert detect(transaction.name, transaction.spans) == []
    query = next(s for s in transaction.spans if s.op == "db.query")
    repeats = [
        replace(query, span_id=f"{i:016x}", start=query.start + i, end=query.end + i)
        for i in range(5)
    ]
    [finding] = detect(transaction.name, [*transaction.spans, *repeats])
    assert finding.title == "N+1 Query"
    assert finding.evidence["subtitle"] == "SELECT * FROM orders WHERE id = ?"


def test_spans_and_views_find_the_same() -> None:
    """Span records bring their normalized description; bare views are normalized here."""
    events = []
    for k in range(3):
        statements = [f"SELECT * FROM t{k % 2} WHERE id = {i}" for i in range(6)]
        statements += ["SELECT pg_sleep(1)", "UPDATE t SET a = 'x' WHERE id = 3"]
        children = [
            {"span_id": f"{k}{i:015x}", "parent_span_id": "r", "op": "db", "description": sql,
             "start_timestamp": 100.0 + i, "timestamp": 100.0 + i + (0.02 if i < 6 else 0.9),
             "data": {"db.system": "postgresql"}}
            for i, sql in enumerate(statements)
        ] + [
            {"span_id": f"{k}h{i:014x}", "parent_span_id": "r", "op": "http.client",
             "description": f"GET https://a.io/u/{i}", "start_timestamp": 110.0 + i,
             "timestamp": 110.0 + i + 0.4}
            for i in range(4)
        ]  # fmt: skip
        events.append(
            {
                "type": "transaction",
                "transaction": "GET /x",
                "start_timestamp": 99.0,
                "timestamp": 120.0,
                "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "r", "op": "http"}},
                "spans": children,
            }
        )
    for event in events:
        spans = from_transaction_event(event).spans
        views = [
            SpanView(s.span_id, s.parent_span_id, s.op, s.description, s.start, s.end, s.data)
            for s in spans
        ]
        found = detect("GET /x", spans)
        kinds = {f.kind.value for f in found}
        assert kinds == {"n_plus_one_db", "slow_db_query", "consecutive_http"}
        assert found == detect("GET /x", views)
