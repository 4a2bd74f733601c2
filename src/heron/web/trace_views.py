"""A trace as a waterfall: every transaction and span of the viewer's projects in it, one row
each, indented by depth, with a bar placed in the trace's time; the errors and performance
issues of the trace are listed and marked on the span they belong to."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from heron import query
from heron.query import Trace, TraceError, TraceSpan, TransactionEvent
from heron.web.issue_common import ViewerDep
from heron.web.perf_charts import span_bar
from heron.web.perf_common import FORMATS, ms, profile_url, summary_url
from heron.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_DEPTH = 15  # deeper rows are indented like this one (performance.css has the classes)
# Span statuses that are not failures (OpenTelemetry's "unset" included).
OK_STATUSES = {"", "ok", "unset", "unknown"}


@router.get("/traces/{trace_id}/")
def trace_detail(request: Request, viewer: ViewerDep, trace_id: str) -> Response:
    db = request.app.state.db
    projects = {p.id: p for p in query.list_projects(db, viewer).items}
    wanted = query.normalize_trace_id(trace_id)
    trace = query.get_trace(db, list(projects), wanted) if wanted else None
    if trace is None:
        raise HTTPException(404, "No such trace")
    shown = {s.span_id for s in trace.spans}
    context = {
        "trace": trace,
        "projects": projects,
        "rows": _rows(trace),
        "errors": [_error(e, trace, shown) for e in trace.errors],
        "problems": [_error(e, trace, shown) for e in trace.performance_issues],
        **FORMATS,
    }
    return render(request, "trace.html", context, viewer=viewer)


def _rows(trace: Trace) -> list[dict[str, Any]]:
    errors, problems = _by_span(trace.errors), _by_span(trace.performance_issues)
    segments = {(t.project_id, t.span_id): t for t in trace.transactions}
    rows = []
    for span in trace.spans:
        txn = segments.get((span.project_id, span.span_id)) if span.is_segment else None
        row = _row(span, txn, trace, errors.get(span.span_id, []))
        row["problems"] = problems.get(span.span_id, [])
        rows.append(row)
    return rows


def _by_span(found: list[TraceError]) -> dict[str, list[TraceError]]:
    marks: dict[str, list[TraceError]] = defaultdict(list)
    for item in found:
        if item.span_id:
            marks[item.span_id].append(item)
    return marks


def _row(
    span: TraceSpan, txn: TransactionEvent | None, trace: Trace, errors: list[TraceError]
) -> dict[str, Any]:
    offset = (span.start - trace.start) * 1000
    failed = span.status not in OK_STATUSES
    kind = "segment" if span.is_segment else "span"
    title = f"{span.op or 'span'} {span.description}".strip()
    when = f"at +{ms(offset)}, {ms(span.duration_ms)}"
    return {
        "span": span,
        "depth": min(span.depth, MAX_DEPTH),
        "offset": offset,
        "bar": span_bar(
            offset,
            span.duration_ms,
            trace.duration_ms,
            title=f"{title}: {when}",
            kind=f"{kind} failed" if failed else kind,
        ),
        "failed": failed,
        "transaction": txn,
        "summary_url": summary_url(txn.project_id, txn.name) if txn else "",
        "profile_url": profile_url(txn.project_id, txn.event_id) if txn and txn.has_profile else "",
        "errors": errors,
    }


def _error(error: TraceError, trace: Trace, shown: set[str]) -> dict[str, Any]:
    return {
        "error": error,
        "url": f"/issues/{error.issue_id}/" if error.issue_id is not None else "",
        "span_anchor": f"#span-{error.span_id}" if error.span_id in shown else "",
        "offset": (error.timestamp - trace.start) * 1000,
    }
