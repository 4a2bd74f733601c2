"""The SVG charts: bars scaled to the peak, one hover title per bar, everything escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from heron.web.charts import CHART_HEIGHT, SPARK_HEIGHT, bar_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    # The markup carries no namespace (HTML parses it as SVG); add one to read it as XML.
    return ET.fromstring(str(markup).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def test_sparkline_draws_one_bar_per_nonzero_count_scaled_to_the_peak() -> None:
    svg = _parse(sparkline([0, 2, 4, 0, 1], title="7 events"))
    assert svg.get("viewBox") == f"0 0 20 {SPARK_HEIGHT}"
    assert svg.get("class") == "spark"
    assert svg.findtext(f"{SVG}title") == "7 events"
    path = svg.find(f"{SVG}path")
    assert path is not None
    bars = re.findall(r"M(\d+) (\d+)v-([\d.]+)h(\d+)", path.get("d", ""))
    assert [(int(x), float(h)) for x, _, h, _ in bars] == [(4, 10.0), (8, 20.0), (16, 5.0)]


def test_sparkline_without_events_is_a_baseline() -> None:
    svg = _parse(sparkline([0] * 24))
    assert svg.get("class") == "spark empty"
    path = svg.find(f"{SVG}path")
    assert path is not None and path.get("d") == f"M0 {SPARK_HEIGHT - 0.5}h96"
    assert _parse(sparkline([])).get("viewBox") == f"0 0 4 {SPARK_HEIGHT}"


def test_small_counts_stay_visible() -> None:
    svg = sparkline([1000, 1])
    assert "M4 20v-1h3v1z" in svg


def test_bar_chart_has_a_title_per_bar_and_scales_to_the_peak() -> None:
    svg = _parse(bar_chart([("10:00", 0), ("11:00", 3), ("12:00", 6)], title="9 events"))
    assert svg.get("aria-label") == "9 events"
    groups = svg.findall(f"{SVG}g")
    assert [g.findtext(f"{SVG}title") for g in groups] == [
        "10:00: 0 events",
        "11:00: 3 events",
        "12:00: 6 events",
    ]
    heights = [
        [float(r.get("height", "0")) for r in g.findall(f"{SVG}rect") if r.get("class") == "bar"]
        for g in groups
    ]
    assert heights == [[], [CHART_HEIGHT / 2], [CHART_HEIGHT]]
    # Every bar keeps a full-height hover area, even without events.
    hits = [g.find(f"{SVG}rect[@class='hit']") for g in groups]
    assert all(h is not None and float(h.get("height", "0")) == CHART_HEIGHT for h in hits)


def test_bar_chart_singular_and_empty() -> None:
    assert "<title>now: 1 event</title>" in bar_chart([("now", 1)])
    empty = _parse(bar_chart([]))
    assert empty.findall(f"{SVG}g") == []


def test_labels_and_titles_are_escaped() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    chart = bar_chart([(hostile, 1)], title=hostile)
    spark = sparkline([1], title=hostile)
    for markup in (chart, spark):
        assert "<script>" not in markup
        assert "&lt;script&gt;" in markup
        _parse(markup)  # still well-formed
    assert 'aria-label="&lt;script&gt;alert(&#34;x&#34;)' in chart
