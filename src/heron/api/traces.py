"""One trace: its transactions, its spans as a tree (depth-first) and the errors in it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from heron import query
from heron.api.auth import api_viewer
from heron.api.responses import json_response
from heron.query import Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/organizations/{org}/trace/{trace_id}/")
def trace_detail(request: Request, viewer: ViewerDep, org: str, trace_id: str) -> Response:
    db = request.app.state.db
    if query.get_organization(db, viewer, org) is None:
        raise HTTPException(404, "The requested resource does not exist")
    projects = {p.id: p.slug for p in query.list_projects(db, viewer, organization_slug=org).items}
    trace = query.get_trace(db, list(projects), trace_id)
    if trace is None:
        raise HTTPException(404, "The requested resource does not exist")
    body: dict[str, Any] = {
        "trace_id": trace.trace_id,
        "start": _iso(trace.start),
        "end": _iso(trace.end),
        "duration_ms": trace.duration_ms,
        "transactions": [
            {
                "event_id": t.event_id,
                "project_id": t.project_id,
                "project": projects.get(t.project_id, ""),
                "transaction": t.name,
                "op": t.op,
                "span_id": t.span_id,
                "parent_span_id": _parent(trace, t.span_id),
                "start_timestamp": t.timestamp - t.duration_ms / 1000,
                "timestamp": t.timestamp,
                "duration_ms": t.duration_ms,
                "status": t.status,
                "profile": t.has_profile,
            }
            for t in trace.transactions
        ],
        "spans": [
            {
                "span_id": s.span_id,
                "parent_span_id": s.parent_span_id,
                "op": s.op,
                "description": s.description,
                "start_timestamp": s.start,
                "timestamp": s.end,
                "duration_ms": s.duration_ms,
                "status": s.status,
                "depth": s.depth,
                "event_id": s.event_id,
                "project_id": s.project_id,
                "is_segment": s.is_segment,
            }
            for s in trace.spans
        ],
        "errors": [_error(e, projects) for e in trace.errors],
        "performance_issues": [_error(e, projects) for e in trace.performance_issues],
        "dropped_spans": trace.dropped,
    }
    return json_response(body)


def _error(e: query.TraceError, projects: dict[int, str]) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "issue_id": str(e.issue_id) if e.issue_id is not None else None,
        "short_id": e.short_id,
        "title": e.title,
        "level": e.level,
        "project": projects.get(e.project_id, ""),
        "project_id": e.project_id,
        "timestamp": _iso(e.timestamp),
        "span_id": e.span_id,
    }


def _parent(trace: query.Trace, span_id: str) -> str | None:
    for span in trace.spans:
        if span.span_id == span_id:
            return span.parent_span_id
    return None


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
