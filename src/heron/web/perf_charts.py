"""The performance pages' charts, drawn on the server as SVG like :mod:`heron.web.charts`:
lines over time, a histogram, a share bar, and one waterfall bar per span.

Pure functions from numbers to markup. Colours come from CSS classes (``s0``…``s3`` for the
series of a chart), sizes from the viewBox; labels stay outside the SVG, in HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from heron.web.charts import CHART_BAR, CHART_HEIGHT

LINE_STEP = 10  # viewBox units between two points of a line
BAR_WIDTH = 1000  # viewBox width of a waterfall or share bar (per mille of the whole)
BAR_HEIGHT = 10


@dataclass(frozen=True)
class Line:
    """One series of a line chart: a label and a value per bucket (None: no data there)."""

    label: str
    values: Sequence[float | None]
    unit: str = ""  # after each value in the hover text: " ms", "/min", "%"


def line_chart(lines: Sequence[Line], labels: Sequence[str], *, title: str) -> Markup:
    """The lines over the same buckets (``labels`` name them, oldest first), scaled to the
    highest value of all; a gap where a value is None. Hovering a bucket shows its values."""
    count = max(len(labels), 1)
    width = max(count - 1, 1) * LINE_STEP
    peak = max((v for line in lines for v in line.values if v is not None), default=0.0)
    paths = [
        f'<path class="line s{index}" d="{_path(line.values, peak)}"></path>'
        for index, line in enumerate(lines)
    ]
    hits = []
    for index, label in enumerate(labels):
        shown = "; ".join(
            f"{line.label} {_value(line.values[index], line.unit)}"
            for line in lines
            if index < len(line.values)
        )
        left = max(index * LINE_STEP - LINE_STEP / 2, 0)
        right = min(index * LINE_STEP + LINE_STEP / 2, width)
        hits.append(
            f"<g><title>{escape(label)}: {escape(shown)}</title>"
            f'<rect class="hit" x="{_n(left)}" y="0" width="{_n(right - left)}" '
            f'height="{CHART_HEIGHT}"></rect></g>'
        )
    return Markup(
        f'<svg class="chart lines" viewBox="0 0 {width} {CHART_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
        f'<line class="axis" x1="0" y1="{CHART_HEIGHT}" x2="{width}" y2="{CHART_HEIGHT}"></line>'
        + "".join(hits)
        + "".join(paths)
        + "</svg>"
    )


def histogram(bins: Sequence[tuple[str, int]], *, title: str, noun: str) -> Markup:
    """One bar per ``(label, count)``; the bar's ``<title>`` says ``label: N noun``."""
    width = max(len(bins), 1) * CHART_BAR
    peak = max((count for _, count in bins), default=0)
    bars = []
    for index, (label, count) in enumerate(bins):
        x = index * CHART_BAR
        height = max(CHART_HEIGHT * count / peak, 1.0) if count > 0 and peak > 0 else 0.0
        bar = (
            f'<rect class="bar" x="{x}" y="{_n(CHART_HEIGHT - height)}" '
            f'width="{CHART_BAR - 2}" height="{_n(height)}"></rect>'
            if height
            else ""
        )
        bars.append(
            f"<g><title>{escape(label)}: {count} {escape(noun)}</title>"
            f'<rect class="hit" x="{x}" y="0" width="{CHART_BAR}" height="{CHART_HEIGHT}"></rect>'
            f"{bar}</g>"
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {CHART_HEIGHT}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(title)}">'
        f'<line class="axis" x1="0" y1="{CHART_HEIGHT}" x2="{width}" y2="{CHART_HEIGHT}"></line>'
        + "".join(bars)
        + "</svg>"
    )


def share_bar(parts: Sequence[tuple[str, float]], *, title: str) -> Markup:
    """One bar split into ``(label, share)`` pieces (shares of 1), coloured in turn."""
    rects = []
    x = 0.0
    for index, (label, share) in enumerate(parts):
        width = max(share, 0.0) * BAR_WIDTH
        if width <= 0:
            continue
        rects.append(
            f'<rect class="s{index % 8}" x="{_n(x)}" y="0" width="{_n(width)}" '
            f'height="{BAR_HEIGHT}"><title>{escape(label)}: {share:.1%}</title></rect>'
        )
        x += width
    return Markup(
        f'<svg class="share" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(title)}">' + "".join(rects) + "</svg>"
    )


def span_bar(
    start: float, duration: float, total: float, *, title: str, kind: str = "span"
) -> Markup:
    """A waterfall bar: ``start`` and ``duration`` within a trace of ``total`` (same unit)."""
    whole = total if total > 0 else 1.0
    x = min(max(start / whole, 0.0), 1.0) * BAR_WIDTH
    width = min(max(duration / whole * BAR_WIDTH, 1.0), BAR_WIDTH - x) if x < BAR_WIDTH else 1.0
    return Markup(
        f'<svg class="waterfall-bar" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect class="{escape(kind)}" x="{_n(min(x, BAR_WIDTH - 1))}" y="1" '
        f'width="{_n(width)}" height="{BAR_HEIGHT - 2}"></rect></svg>'
    )


def _path(values: Sequence[float | None], peak: float) -> str:
    points: list[tuple[float, float] | None] = []
    for index, value in enumerate(values):
        if value is None:
            points.append(None)
            continue
        y = CHART_HEIGHT - (CHART_HEIGHT * value / peak if peak > 0 else 0.0)
        points.append((index * LINE_STEP, y))
    parts: list[str] = []
    for index, point in enumerate(points):
        if point is None:
            continue
        x, y = point
        joined = index > 0 and points[index - 1] is not None
        if joined:
            parts.append(f"L{x} {_n(y)}")
        elif index + 1 < len(points) and points[index + 1] is not None:
            parts.append(f"M{x} {_n(y)}")
        else:
            # A point between gaps: a short dash across its bucket, so it shows.
            left = max(x - LINE_STEP / 3, 0)
            parts.append(f"M{_n(left)} {_n(y)}H{_n(x + LINE_STEP / 3)}")
    return "".join(parts) or f"M0 {CHART_HEIGHT}"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}{unit}"


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Chart:
    """A chart with what the page writes around it: its title, the highest value (top left),
    the first and last bucket (under it) and a legend of (label, series class)."""

    title: str
    svg: Markup
    peak: str
    first: str
    last: str
    legend: list[tuple[str, str]]


def lines_chart(title: str, lines: Sequence[Line], labels: Sequence[str], *, peak: str) -> Chart:
    """A :class:`Chart` of ``lines`` over the buckets ``labels`` names."""
    legend = [(line.label, f"s{index}") for index, line in enumerate(lines)]
    return Chart(
        title=title,
        svg=line_chart(lines, labels, title=title),
        peak=peak,
        first=labels[0] if labels else "",
        last=labels[-1] if labels else "",
        legend=legend if len(lines) > 1 else [],
    )
