"""One issue: its page (chart, event, tags, actions, activity), its events and raw JSON.

The stream and the forms live in :mod:`heron.web.issue_stream_views` and
:mod:`heron.web.issue_actions`; their routes are part of this router.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request, Response

from heron import query
from heron.query import Event, Issue, QueryError, Series
from heron.web import issue_actions, issue_stream_views
from heron.web.charts import bar_chart
from heron.web.event_view import event_view
from heron.web.issue_common import PAGE_SIZE, ViewerDep, find_issue, int_param, page_url
from heron.web.templating import SECURITY_HEADERS, render

router = APIRouter(include_in_schema=False)
router.include_router(issue_stream_views.router)
router.include_router(issue_actions.router)

HASHES_SHOWN = 50
IGNORE_DURATIONS = (30, 60, 1440, 10080)  # minutes: 30 min, 1 h, 24 h, 7 d
CHART_LABELS = {"24h": "24 hours", "30d": "30 days"}


@router.get("/issues/{issue_id}/")
def issue_detail(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    db = request.app.state.db
    issue = find_issue(request, viewer, issue_id)
    event = _chosen_event(request, issue)
    previous_id, next_id = query.neighbours(db, event) if event else (None, None)
    chart = request.query_params.get("chart", "24h")
    chart = chart if chart in query.CHART_PERIODS else "24h"
    series = query.issue_series(db, issue, chart)
    org = issue.project.organization
    context = {
        "issue": issue,
        "grouping": query.grouped_by(db, event) if event else None,
        "hashes": query.list_hashes(db, issue, limit=HASHES_SHOWN),
        "tags": query.tag_summaries(db, issue),
        "event": event_view(event) if event else None,
        "previous_id": previous_id,
        "next_id": next_id,
        "chart": chart,
        "chart_labels": CHART_LABELS,
        "chart_svg": _chart(series, CHART_LABELS[chart]),
        "chart_total": series.total,
        "chart_peak": max((b.count for b in series.buckets), default=0),
        "chart_start": _bucket_label(series, series.buckets[0].start) if series.buckets else "",
        "event_param": request.query_params.get("event", ""),
        "activity": query.list_activity(db, issue),
        "members": query.list_members(db, org.id),
        "teams": query.list_teams(db, org.id),
        "may_delete": viewer.may_manage(org.id),
        "ignore_durations": IGNORE_DURATIONS,
        "tracker_url": _tracker_url(request, issue),
    }
    return render(request, "issue.html", context, viewer=viewer)


@router.get("/issues/{issue_id}/events/")
def issue_events(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    issue = find_issue(request, viewer, issue_id)
    offset = int_param(request.query_params.get("offset"), 0)
    text = request.query_params.get("query", "")
    path = f"/issues/{issue.id}/events/"
    context: dict[str, Any] = {
        "issue": issue,
        "query": text,
        "filters": query.EVENT_FILTERS,
        "events": [],
        "error": "",
        "previous_url": None,
        "next_url": None,
    }
    try:
        search = query.parse_query(text)
        page = query.list_events(
            request.app.state.db, issue, search=search, offset=offset, limit=PAGE_SIZE
        )
    except QueryError as exc:
        context["error"] = str(exc)
        return render(request, "events.html", context, status_code=400, viewer=viewer)
    params = {"query": text} if text else {}
    context["events"] = [event_view(e) for e in page.items]
    if page.has_previous:
        context["previous_url"] = page_url(path, params, offset=max(offset - PAGE_SIZE, 0))
    if page.has_next:
        context["next_url"] = page_url(path, params, offset=offset + PAGE_SIZE)
    return render(request, "events.html", context, viewer=viewer)


@router.get("/issues/{issue_id}/events/{event_id}/json")
def issue_event_json(request: Request, viewer: ViewerDep, issue_id: str, event_id: str) -> Response:
    """The stored (normalized, scrubbed) event as JSON, for reading or downloading."""
    issue = find_issue(request, viewer, issue_id)
    event = query.get_issue_event(request.app.state.db, issue, event_id)
    if event is None:
        raise HTTPException(404, "No such event in this issue")
    body = orjson.dumps(
        event.data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS
    )
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'inline; filename="{event.event_id}.json"',
    }
    return Response(body, media_type="application/json", headers=headers)


def _chosen_event(request: Request, issue: Issue) -> Event | None:
    """The event ``?event=`` names (an id, ``latest`` or ``oldest``); the latest by default."""
    db = request.app.state.db
    wanted = request.query_params.get("event", "")
    if wanted == "oldest":
        return query.oldest_event(db, issue)
    if not wanted or wanted == "latest":
        return query.latest_event(db, issue)
    event = query.get_issue_event(db, issue, wanted)
    if event is None:
        raise HTTPException(404, "No such event in this issue")
    return event


def _chart(series: Series, period: str) -> Any:
    points = [(_bucket_label(series, b.start), b.count) for b in series.buckets]
    return bar_chart(points, title=f"{series.total} events in the last {period}")


def _bucket_label(series: Series, start: float) -> str:
    moment = datetime.fromtimestamp(start, UTC)
    if series.size >= 86400:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:00 UTC")


def _tracker_url(request: Request, issue: Issue) -> str:
    template = issue.project.issue_tracker_url
    # Only web links: a javascript: or data: URL in a button would run in this page's origin.
    if not template.lower().startswith(("https://", "http://")):
        return ""
    base = request.app.state.config.effective_public_url
    return query.issue_tracker_link(
        template,
        title=issue.title,
        url=f"{base}/issues/{issue.id}/",
        short_id=issue.short_code,
        culprit=issue.culprit,
    )
