"""A transaction's summary: its figures, percentiles over time, the duration histogram, web
vitals and other measurements, where its spans spend the time, its slowest events and the
issues seen in it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from heron import query
from heron.query import HistogramBin, MeasurementFigures, SeriesPoint
from heron.web.issue_common import ViewerDep
from heron.web.perf_charts import Chart, Line, histogram, lines_chart, share_bar
from heron.web.perf_common import (
    FilterError,
    chart_labels,
    fallback_filters,
    filter_context,
    ms,
    profile_url,
    read_filters,
    url,
)
from heron.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_NAME_CHARS = 200  # the longest transaction name the tables hold
SLOWEST = 10
SPAN_GROUPS = 25
RELATED = 10
# Web vitals: (good up to, poor from) at the 75th percentile, in the measurement's unit.
VITALS = {
    "lcp": ("Largest contentful paint", 2500.0, 4000.0),
    "fcp": ("First contentful paint", 1800.0, 3000.0),
    "inp": ("Interaction to next paint", 200.0, 500.0),
    "fid": ("First input delay", 100.0, 300.0),
    "cls": ("Cumulative layout shift", 0.1, 0.25),
    "ttfb": ("Time to first byte", 800.0, 1800.0),
}
PERCENTILES = ("p50", "p75", "p95", "p99")


@router.get("/performance/summary/")
def transaction_summary(request: Request, viewer: ViewerDep) -> Response:
    params = request.query_params
    name = params.get("transaction", "")
    if not params.get("project") and not name:
        # Nothing chosen: the overview is where transactions are picked.
        return RedirectResponse("/performance/", status_code=302)
    try:
        filters = read_filters(request, viewer, need_project=True)
        if not name or len(name) > MAX_NAME_CHARS:
            raise FilterError(
                f"Choose a transaction (a name of up to {MAX_NAME_CHARS} characters)."
            )
    except FilterError as exc:
        context = filter_context(request, viewer, fallback_filters(request, viewer))
        context.update(_empty(name), error=str(exc))
        return render(request, "performance_summary.html", context, status_code=400, viewer=viewer)
    assert filters.project is not None  # need_project
    db = request.app.state.db
    scope = filters.scope(transaction=name)
    apdex = filters.apdex_ms
    totals = query.perf_totals(db, scope, apdex_ms=apdex)
    ops = query.span_ops(db, scope)
    context = filter_context(request, viewer, filters)
    context.update(
        _empty(name),
        project=filters.project,
        totals=totals,
        percentiles=_percentile_chart(
            query.perf_series(db, scope, apdex_ms=apdex, durations_only=True)
        ),
        histogram=_histogram(query.duration_histogram(db, scope)),
        measurements=[_measurement(k, m) for k, m in totals.measurements.items()],
        ops=ops,
        ops_bar=share_bar([(o.op, o.share) for o in ops], title="Share of span time per op"),
        groups=query.span_groups(db, scope, limit=SPAN_GROUPS),
        slowest=[
            {
                "event": e,
                "trace_url": f"/traces/{e.trace_id}/",
                "profile_url": profile_url(e.project_id, e.event_id) if e.has_profile else "",
            }
            for e in query.slowest_transactions(db, scope, limit=SLOWEST)
        ],
        related=query.related_issues(db, scope, viewer=viewer, limit=RELATED),
        overview_url=url("/performance/", filters.params()),
    )
    return render(request, "performance_summary.html", context, viewer=viewer)


def _empty(name: str) -> dict[str, Any]:
    return {
        "transaction": name,
        "project": None,
        "totals": None,
        "percentiles": None,
        "histogram": None,
        "measurements": [],
        "ops": [],
        "ops_bar": "",
        "groups": [],
        "slowest": [],
        "related": [],
        "overview_url": "/performance/",
        "error": "",
    }


def _percentile_chart(points: Sequence[SeriesPoint]) -> Chart:
    lines = [
        Line(label, [getattr(p.figures, f"{label}_ms") for p in points], " ms")
        for label in PERCENTILES
    ]
    values = [v for line in lines for v in line.values if v is not None]
    return lines_chart(
        "Duration percentiles", lines, chart_labels(points), peak=ms(max(values, default=None))
    )


def _histogram(bins: Sequence[HistogramBin]) -> dict[str, Any]:
    labels = [(f"{ms(b.start_ms)} to {ms(b.end_ms)}", b.count) for b in bins]
    return {
        "svg": histogram(labels, title="Transactions by duration", noun="transactions"),
        "first": ms(bins[0].start_ms) if bins else "",
        "last": ms(bins[-1].end_ms) if bins else "",
        "peak": max((b.count for b in bins), default=0),
    }


def _measurement(key: str, figures: MeasurementFigures) -> dict[str, Any]:
    """A measurement row; web vitals also get their name and a rating of the p75."""
    label, good, poor = VITALS.get(key, ("", 0.0, 0.0))
    rating = ""
    if label and figures.p75 is not None:
        rating = "good" if figures.p75 <= good else "poor" if figures.p75 > poor else "meh"
    return {
        "key": key,
        "label": label,
        "count": figures.count,
        "shown": [_in_unit(v, figures.unit) for v in (figures.p50, figures.p75, figures.p95)],
        "rating": rating,
    }


def _in_unit(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("millisecond", "ms", ""):
        return ms(value) if unit else f"{value:.4g}"
    if unit == "second":
        return ms(value * 1000)
    if unit == "none":
        return f"{value:.4g}"
    return f"{value:.4g} {unit}"
