"""The performance charts and figures: lines with gaps, bars placed in a trace, share bars,
and how durations, rates and scores are written."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from heron.web.charts import CHART_HEIGHT
from heron.web.perf_charts import BAR_WIDTH, Line, histogram, line_chart, share_bar, span_bar
from heron.web.perf_common import ms, pct, per_minute, score, user_label

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def test_lines_share_one_scale_and_break_at_missing_values() -> None:
    svg = _parse(
        line_chart(
            [Line("p50", [10.0, None, 20.0, 40.0], " ms"), Line("p95", [40.0, 40.0, None, None])],
            ["a", "b", "c", "d"],
            title="Duration",
        )
    )
    assert svg.get("viewBox") == f"0 0 30 {CHART_HEIGHT}"
    p50, p95 = (p.get("d") for p in svg.iter(f"{SVG}path"))
    # 10 ms stands alone between the start and a gap: a short dash across its bucket.
    assert p50 == "M0 45H3.33M20 30L30 0"
    assert p95 == "M0 0L10 0"
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert titles == [
        "a: p50 10 ms; p95 40",
        "b: p50 —; p95 40",
        "c: p50 20 ms; p95 —",
        "d: p50 40 ms; p95 —",
    ]


def test_an_empty_line_is_a_baseline() -> None:
    svg = _parse(line_chart([Line("TPM", [None, None])], ["a", "b"], title="x"))
    path = svg.find(f"{SVG}path")
    assert path is not None and path.get("d") == f"M0 {CHART_HEIGHT}"


def test_labels_are_escaped() -> None:
    markup = str(line_chart([Line("<b>", [1.0])], ["<i>"], title="<script>"))
    assert "<b>" not in markup and "<i>" not in markup and "<script>" not in markup
    assert "&lt;script&gt;" in markup
    assert "&lt;b&gt;" in str(histogram([("<b>", 1)], title="t", noun="transactions"))


def test_span_bar_is_placed_in_the_trace() -> None:
    rect = _parse(span_bar(250.0, 500.0, 1000.0, title="db")).find(f"{SVG}rect")
    assert rect is not None
    assert (rect.get("x"), rect.get("width")) == ("250", "500")
    # A zero-length span still shows; a span past the end is cut to the trace.
    tiny = _parse(span_bar(0.0, 0.0, 1000.0, title="t")).find(f"{SVG}rect")
    assert tiny is not None and tiny.get("width") == "1"
    late = _parse(span_bar(900.0, 500.0, 1000.0, title="t")).find(f"{SVG}rect")
    assert late is not None and late.get("width") == "100"
    empty = _parse(span_bar(0.0, 0.0, 0.0, title="t")).find(f"{SVG}rect")
    assert empty is not None and float(empty.get("x", "-1")) < BAR_WIDTH


def test_share_bar_pieces_follow_each_other() -> None:
    rects = list(_parse(share_bar([("db", 0.75), ("http", 0.25), ("none", 0.0)], title="t")))
    assert [(r.get("class"), r.get("x"), r.get("width")) for r in rects] == [
        ("s0", "0", "750"),
        ("s1", "750", "250"),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (0.42, "0.42 ms"),
        (4.0, "4 ms"),
        (12.34, "12.3 ms"),
        (30.0, "30 ms"),
        (340.4, "340 ms"),
        (1250.0, "1.25 s"),
        (150_000.0, "2.5 min"),
    ],
)
def test_durations(value: float | None, text: str) -> None:
    assert ms(value) == text


def test_rates_scores_and_users() -> None:
    assert [pct(None), pct(0.0), pct(0.0004), pct(0.025), pct(1.0)] == [
        "—",
        "0%",
        "<0.1%",
        "2.5%",
        "100%",
    ]
    assert [score(None), score(0.876)] == ["—", "0.88"]
    assert [per_minute(0.0), per_minute(0.001), per_minute(12.345), per_minute(12345.0)] == [
        "0",
        "<0.01",
        "12.3",
        "12,345",
    ]
    assert [user_label("id:u-1"), user_label("ip_address:10.0.0.1"), user_label(None)] == [
        "u-1",
        "10.0.0.1",
        "",
    ]
