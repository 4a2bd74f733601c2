"""Performance: the overview of the viewer's transactions (filters, charts over time, a
sortable table), and a transaction's profile as a download.

The transaction summary and the trace view live in :mod:`heron.web.summary_views` and
:mod:`heron.web.trace_views`; their routes are part of this router.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from heron import query
from heron.query import SeriesPoint, Viewer
from heron.web import summary_views, trace_views
from heron.web.issue_common import ViewerDep, int_param
from heron.web.perf_charts import Chart, Line, lines_chart
from heron.web.perf_common import (
    FilterError,
    Filters,
    chart_labels,
    fallback_filters,
    filter_context,
    ms,
    pct,
    per_minute,
    read_filters,
    summary_url,
    url,
)
from heron.web.templating import SECURITY_HEADERS, render

router = APIRouter(include_in_schema=False)
router.include_router(summary_views.router)
router.include_router(trace_views.router)

PAGE = 50  # transactions shown, and how many more "Show more" adds
MAX_ROWS = 1000
DEFAULT_SORT = "-count"
# The table's columns: (sort key or "" when not sortable, heading, numeric).
COLUMNS = (
    ("name", "Transaction", False),
    ("", "Project", False),
    ("tpm", "TPM", True),
    ("p50", "p50", True),
    ("p95", "p95", True),
    ("p99", "p99", True),
    ("failure_rate", "Failure rate", True),
    ("apdex", "Apdex", True),
    ("user_misery", "User misery", True),
    ("count", "Count", True),
)
SORT_KEYS = {key for key, _label, _num in COLUMNS if key}


@router.get("/performance/")
def performance_overview(request: Request, viewer: ViewerDep) -> Response:
    params = request.query_params
    sort = params.get("sort") or DEFAULT_SORT
    limit = min(max(int_param(params.get("limit"), PAGE), PAGE), MAX_ROWS)
    try:
        filters = read_filters(request, viewer)
        if sort.removeprefix("-") not in SORT_KEYS:
            raise FilterError(f"Unknown sort {sort!r}.")
    except FilterError as exc:
        context = _overview_context(request, viewer, fallback_filters(request, viewer), sort)
        context["error"] = str(exc)
        return render(request, "performance.html", context, status_code=400, viewer=viewer)
    db = request.app.state.db
    context = _overview_context(request, viewer, filters, sort)
    if not filters.project_ids:
        return render(request, "performance.html", context, viewer=viewer)
    scope = filters.scope()
    apdex = filters.apdex_ms
    rows = query.transaction_figures(db, scope, apdex_ms=apdex, sort=sort, limit=limit + 1)
    names = {p.id: p for p in filters.projects}
    context.update(
        totals=query.perf_totals(db, scope, apdex_ms=apdex),
        charts=overview_charts(query.perf_series(db, scope, apdex_ms=apdex, durations_only=True)),
        rows=[
            {
                "figures": f,
                "project": names.get(f.project_id),
                "url": summary_url(f.project_id, f.name, filters),
            }
            for f in rows[:limit]
        ],
    )
    if len(rows) > limit:
        context["more_url"] = url(
            "/performance/", filters.params(sort=sort, limit=str(limit + PAGE))
        )
    return render(request, "performance.html", context, viewer=viewer)


@router.get("/profiles/{project_id}/{transaction_id}.json")
def profile_download(
    request: Request, viewer: ViewerDep, project_id: str, transaction_id: str
) -> Response:
    """The profile SDKs sent with a transaction, as they sent it (for speedscope or
    Sentry's profile viewer)."""
    project = int_param(project_id, 0)
    visible = {p.id for p in query.list_projects(request.app.state.db, viewer).items}
    event_id = query.normalize_event_id(transaction_id)
    if project not in visible or event_id is None:
        raise HTTPException(404, "No such profile")
    body = query.profile_of(request.app.state.db, project, event_id)
    if body is None:
        raise HTTPException(404, "No such profile")
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="profile-{event_id}.json"',
    }
    return Response(body, media_type="application/json", headers=headers)


def overview_charts(points: Sequence[SeriesPoint]) -> list[Chart]:
    """Throughput, duration (p50, p95) and failure rate over the period."""
    labels = chart_labels(points)
    tpm = [p.figures.tpm if p.figures.count else 0.0 for p in points]
    p50 = [p.figures.p50_ms for p in points]
    p95 = [p.figures.p95_ms for p in points]
    failures = [_percent(p.figures.failure_rate) for p in points]
    worst = _peak(failures)
    return [
        lines_chart(
            "Throughput (per minute)",
            [Line("TPM", tpm, "/min")],
            labels,
            peak=per_minute(max(tpm, default=0.0)),
        ),
        lines_chart(
            "Duration",
            [Line("p50", p50, " ms"), Line("p95", p95, " ms")],
            labels,
            peak=ms(_peak(p50 + p95)),
        ),
        lines_chart(
            "Failure rate",
            [Line("Failure rate", failures, "%")],
            labels,
            peak=pct(worst / 100 if worst is not None else None),
        ),
    ]


def _peak(values: Sequence[float | None]) -> float | None:
    return max((v for v in values if v is not None), default=None)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _overview_context(
    request: Request, viewer: Viewer, filters: Filters, sort: str
) -> dict[str, Any]:
    setup = filters.project or (filters.projects[0] if filters.projects else None)
    return {
        **filter_context(request, viewer, filters),
        "sort": sort,
        "headers": _headers(filters, sort),
        "many_orgs": len({p.organization.id for p in filters.projects}) > 1,
        "totals": None,
        "charts": [],
        "rows": [],
        "more_url": "",
        "error": "",
        "setup_url": (
            f"/projects/{setup.organization.slug}/{setup.slug}/setup/" if setup else "/projects/"
        ),
    }


def _headers(filters: Filters, sort: str) -> list[dict[str, Any]]:
    """Each column's heading; a sortable one links to sorting by it (descending first, then
    ascending when it already sorts descending)."""
    headers = []
    for key, label, numeric in COLUMNS:
        current = sort.removeprefix("-") == key
        descending = sort.startswith("-")
        target = key if current and descending else f"-{key}"
        if key == "name" and not current:
            target = "name"
        order = "" if not current else ("descending" if descending else "ascending")
        headers.append(
            {
                "label": label,
                "numeric": numeric,
                "url": url("/performance/", filters.params(sort=target)) if key else "",
                "order": order,
            }
        )
    return headers
