"""The issue list, one issue with its latest (or a chosen) event, and its events."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import Issue, QueryError, Viewer
from heron.web.event_view import event_view
from heron.web.session import page_viewer, require_csrf
from heron.web.templating import render

router = APIRouter(include_in_schema=False)
ViewerDep = Annotated[Viewer, Depends(page_viewer)]

PAGE_SIZE = 50
HASHES_SHOWN = 50
PERIODS = ("", "1h", "24h", "7d", "14d", "30d", "90d")
SORT_LABELS = {"date": "Last seen", "new": "First seen", "freq": "Events", "user": "Users"}
STATUS_TABS = (
    ("Unresolved", "is:unresolved"),
    ("Resolved", "is:resolved"),
    ("Ignored", "is:ignored"),
    ("All", ""),
)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/issues/", status_code=302)


@router.get("/issues/")
def issue_list(request: Request, viewer: ViewerDep) -> Response:
    params = request.query_params
    raw_query = params.get("query")
    text = query.DEFAULT_QUERY if raw_query is None else raw_query
    project = params.get("project", "")
    period = params.get("statsPeriod", "")
    sort = params.get("sort") or "date"
    offset = _int(params.get("offset"), 0)
    db = request.app.state.db
    projects = query.list_projects(db, viewer).items
    context: dict[str, Any] = {
        "query": text,
        "project": project,
        "projects": projects,
        "period": period,
        "periods": PERIODS,
        "sort": sort,
        "sorts": SORT_LABELS,
        "tabs": STATUS_TABS,
        "issues": [],
        "total": 0,
        "error": "",
        "previous_url": None,
        "next_url": None,
    }
    try:
        search = query.parse_query(text)
        seconds = query.parse_period(period) if period else None
        query.check_sort(sort)
        if project and not project.isdigit():
            raise QueryError(f"invalid project {project!r}")
        project_ids = [int(project)] if project else None
    except QueryError as exc:
        context["error"] = str(exc)
        return render(request, "issues.html", context, status_code=400, viewer=viewer)
    scope: dict[str, Any] = {"project_ids": project_ids, "period": seconds}
    page = query.list_issues(db, viewer, search, sort=sort, offset=offset, limit=PAGE_SIZE, **scope)
    context.update(issues=page.items, total=query.count_issues(db, viewer, search, **scope))
    base = {"query": text, "project": project, "statsPeriod": period, "sort": sort}
    if page.has_previous:
        context["previous_url"] = _url("/issues/", base, offset=max(offset - PAGE_SIZE, 0))
    if page.has_next:
        context["next_url"] = _url("/issues/", base, offset=offset + PAGE_SIZE)
    return render(request, "issues.html", context, viewer=viewer)


@router.get("/issues/{issue_id}/")
def issue_detail(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    db = request.app.state.db
    issue = _issue(request, viewer, issue_id)
    wanted = request.query_params.get("event")
    if wanted:
        event = query.get_issue_event(db, issue, wanted)
        if event is None:
            raise HTTPException(404, "No such event in this issue")
    else:
        event = query.latest_event(db, issue)
    previous_id, next_id = query.neighbours(db, event) if event else (None, None)
    context = {
        "issue": issue,
        "grouping": query.grouped_by(db, event) if event else None,
        "hashes": query.list_hashes(db, issue, limit=HASHES_SHOWN),
        "tags": query.tag_summaries(db, issue),
        "event": event_view(event) if event else None,
        "previous_id": previous_id,
        "next_id": next_id,
        "statuses": actions.STATUSES,
    }
    return render(request, "issue.html", context, viewer=viewer)


@router.post("/issues/{issue_id}/status")
def issue_status(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    status: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    issue = _issue(request, viewer, issue_id)
    actions.set_issue_status(request.app.state.db, issue.id, status)
    return RedirectResponse(f"/issues/{issue.id}/", status_code=303)


@router.post("/issues/{issue_id}/unmerge")
def issue_unmerge(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    hash: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Split one hash (and the events it routed) off into a new issue, then show that issue."""
    require_csrf(request, csrf_token)
    issue = _issue(request, viewer, issue_id)
    new_id = actions.unmerge_hash(request.app.state.db, issue.id, hash)
    return RedirectResponse(f"/issues/{new_id}/", status_code=303)


@router.post("/issues/merge")
def issues_merge(
    request: Request,
    viewer: ViewerDep,
    issue: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Merge the issues ticked on the list (all of one project) into the one with most events."""
    require_csrf(request, csrf_token)
    chosen = [_issue(request, viewer, i) for i in dict.fromkeys(issue or [])]
    if len(chosen) < 2:
        raise HTTPException(400, "Tick at least two issues to merge.")
    if len({i.project.id for i in chosen}) != 1:
        raise HTTPException(400, "Only issues of the same project can be merged.")
    parent = actions.merge_issues(
        request.app.state.db, chosen[0].project.id, [i.id for i in chosen]
    )
    return RedirectResponse(f"/issues/{parent}/", status_code=303)


@router.get("/issues/{issue_id}/events/")
def issue_events(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    issue = _issue(request, viewer, issue_id)
    offset = _int(request.query_params.get("offset"), 0)
    page = query.list_events(request.app.state.db, issue, offset=offset, limit=PAGE_SIZE)
    path = f"/issues/{issue.id}/events/"
    context = {
        "issue": issue,
        "events": [event_view(e) for e in page.items],
        "previous_url": _url(path, {}, offset=max(offset - PAGE_SIZE, 0))
        if page.has_previous
        else None,
        "next_url": _url(path, {}, offset=offset + PAGE_SIZE) if page.has_next else None,
    }
    return render(request, "events.html", context, viewer=viewer)


def _issue(request: Request, viewer: Viewer, issue_id: str) -> Issue:
    number = _int(issue_id, 0)
    issue = query.get_issue(request.app.state.db, viewer, number) if number > 0 else None
    if issue is None:
        raise HTTPException(404, "No such issue")
    return issue


def _int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return max(number, 0)


def _url(path: str, params: dict[str, str], *, offset: int) -> str:
    values = {k: v for k, v in params.items() if v != ""}
    if "query" in params:
        values["query"] = params["query"]  # an empty query means "all", keep it
    if offset:
        values["offset"] = str(offset)
    return f"{path}?{urlencode(values)}" if values else path
