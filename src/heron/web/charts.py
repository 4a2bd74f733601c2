"""Charts drawn on the server as small SVG documents: no chart library, no script.

Pure functions from numbers to markup. Every text that goes in is escaped; colours come
from CSS classes (so dark mode applies), sizes from the viewBox (the SVG stretches to its
box with ``preserveAspectRatio="none"``, so labels stay outside it, in HTML).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

SPARK_BAR = 4  # viewBox units per sparkline bar (3 drawn, 1 gap)
SPARK_HEIGHT = 20
CHART_BAR = 10  # viewBox units per chart bar (8 drawn, 2 gap)
CHART_HEIGHT = 60


def sparkline(counts: Sequence[int], *, title: str = "") -> Markup:
    """Bars of ``counts`` (oldest first) as one path: cheap enough for every row of a list."""
    width = max(len(counts), 1) * SPARK_BAR
    peak = max(counts, default=0)
    parts: list[str] = []
    for index, count in enumerate(counts):
        if count <= 0 or peak <= 0:
            continue
        height = max(SPARK_HEIGHT * count / peak, 1.0)
        x = index * SPARK_BAR
        parts.append(f"M{x} {SPARK_HEIGHT}v-{_n(height)}h{SPARK_BAR - 1}v{_n(height)}z")
    path = "".join(parts) or f"M0 {SPARK_HEIGHT - 0.5}h{width}"
    empty = "" if parts else " empty"
    return Markup(
        f'<svg class="spark{empty}" viewBox="0 0 {width} {SPARK_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title><path d="{path}"></path></svg>'
    )


def bar_chart(points: Sequence[tuple[str, int]], *, title: str = "") -> Markup:
    """One bar per ``(label, count)``; hovering a bar shows its label and count (a
    ``<title>`` per bar). Zero bars keep a hover area the full height of the chart."""
    width = max(len(points), 1) * CHART_BAR
    peak = max((count for _, count in points), default=0)
    bars: list[str] = []
    for index, (label, count) in enumerate(points):
        x = index * CHART_BAR
        height = max(CHART_HEIGHT * count / peak, 1.0) if count > 0 and peak > 0 else 0.0
        noun = "event" if count == 1 else "events"
        bar = (
            f'<rect class="bar" x="{x}" y="{_n(CHART_HEIGHT - height)}" '
            f'width="{CHART_BAR - 2}" height="{_n(height)}"></rect>'
            if height
            else ""
        )
        bars.append(
            f"<g><title>{escape(label)}: {count} {noun}</title>"
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


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
