"""Issue lists (per project and per organization), one issue (read, update, delete), its
events and tag values. Bulk changes live in :mod:`heron.api.issue_bulk`, comments and the
activity log in :mod:`heron.api.comments`; their routes are part of this router.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api import comments, issue_bulk
from heron.api.auth import api_viewer
from heron.api.event_json import event_json
from heron.api.issue_updates import read_update
from heron.api.paging import link_header, page_request
from heron.api.responses import found_issue, found_project, json_object, json_response
from heron.api.serialize import issue_detail_json, issue_json, tag_value_json
from heron.query import Issue, QueryError, Term, Viewer

router = APIRouter()
router.include_router(issue_bulk.router)
router.include_router(comments.router)
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/projects/{org}/{project}/issues/")
def project_issues(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = found_project(request, viewer, org, project)
    return _issue_page(request, viewer, organization_slug=org, project_ids=[found.id])


@router.get("/api/0/organizations/{org}/issues/")
def organization_issues(request: Request, viewer: ViewerDep, org: str) -> Response:
    if query.get_organization(request.app.state.db, viewer, org) is None:
        raise HTTPException(404, "The requested resource does not exist")
    wanted = request.query_params.getlist("project")
    try:
        ids = [int(p) for p in wanted]
    except ValueError:
        raise HTTPException(400, "project must be a list of project ids") from None
    project_ids = None if not ids or -1 in ids else ids
    return _issue_page(request, viewer, organization_slug=org, project_ids=project_ids)


@router.get("/api/0/issues/{issue_id}/")
def issue_detail(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    return json_response(_detail(request, found_issue(request, viewer, issue_id)))


@router.put("/api/0/issues/{issue_id}/")
async def issue_update(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    body = await request.body()
    # The database work is blocking: keep it off the event loop.
    return await run_in_threadpool(_update, request, viewer, issue_id, body)


@router.delete("/api/0/issues/{issue_id}/")
def issue_delete(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    """Delete the issue and its events (admins and owners); 202 as Sentry answers."""
    issue = found_issue(request, viewer, issue_id)
    actions.delete_issues(request.app.state.db, [issue.id], actor_id=viewer.user_id)
    return Response(status_code=202)


@router.get("/api/0/issues/{issue_id}/events/")
def issue_events(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    """The issue's events, newest first; ``?query=`` searches them (release:, environment:,
    level:, user: and words of the title)."""
    issue = found_issue(request, viewer, issue_id)
    paging = page_request(request)
    full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
    try:
        search = query.parse_query(request.query_params.get("query", ""))
        page = query.list_events(
            request.app.state.db, issue, search=search, offset=paging.offset, limit=paging.limit
        )
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return json_response(
        [event_json(e, full=full) for e in page.items],
        headers={"Link": link_header(request, page)},
    )


@router.get("/api/0/issues/{issue_id}/events/{event_id}/")
def issue_event(request: Request, viewer: ViewerDep, issue_id: str, event_id: str) -> Response:
    """One event of the issue: ``latest``, ``oldest`` or an event id; with its neighbours."""
    db = request.app.state.db
    issue = found_issue(request, viewer, issue_id)
    if event_id == "latest":
        event = query.latest_event(db, issue)
    elif event_id == "oldest":
        event = query.oldest_event(db, issue)
    else:
        event = query.get_issue_event(db, issue, event_id)
    if event is None:
        raise HTTPException(404, "No such event for this issue")
    body = event_json(event)
    body["previousEventID"], body["nextEventID"] = query.neighbours(db, event)
    return json_response(body)


@router.get("/api/0/issues/{issue_id}/tags/{key}/values/")
def issue_tag_values(request: Request, viewer: ViewerDep, issue_id: str, key: str) -> Response:
    issue = found_issue(request, viewer, issue_id)
    paging = page_request(request)
    page = query.tag_values(
        request.app.state.db, issue, key, offset=paging.offset, limit=paging.limit
    )
    return json_response(
        [tag_value_json(v) for v in page.items], headers={"Link": link_header(request, page)}
    )


def _issue_page(
    request: Request,
    viewer: Viewer,
    *,
    organization_slug: str,
    project_ids: list[int] | None,
) -> Response:
    params = request.query_params
    raw = params.get("query")
    try:
        search = query.parse_query(query.DEFAULT_QUERY if raw is None else raw)
        environments = tuple(e for e in params.getlist("environment") if e)
        if environments:
            search = query.Search(
                (*search.terms, Term("environment", environments)),
                search.text,
                search.negated_text,
            )
        period = query.parse_period(params["statsPeriod"]) if params.get("statsPeriod") else None
        sort = query.check_sort(params.get("sort") or "date")
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    paging = page_request(request)
    db = request.app.state.db
    scope: dict[str, Any] = {
        "organization_slug": organization_slug,
        "project_ids": project_ids,
        "period": period,
    }
    page = query.list_issues(
        db, viewer, search, sort=sort, offset=paging.offset, limit=paging.limit, **scope
    )
    hits = query.count_issues(db, viewer, search, **scope)
    config = request.app.state.config
    comments = query.comment_counts(db, [i.id for i in page.items])
    return json_response(
        [issue_json(i, config, num_comments=comments.get(i.id, 0)) for i in page.items],
        headers={"Link": link_header(request, page), "X-Hits": str(hits)},
    )


def _detail(request: Request, issue: Issue) -> dict[str, Any]:
    db = request.app.state.db
    tags = query.tag_summaries(db, issue)
    activity = query.list_activity(db, issue)
    return issue_detail_json(issue, tags, activity, request.app.state.config)


def _update(request: Request, viewer: Viewer, issue_id: str, body: bytes) -> Response:
    issue = found_issue(request, viewer, issue_id)
    update = read_update(json_object(body))
    db = request.app.state.db
    update.apply(db, issue.id, viewer.user_id)
    updated = query.get_issue(db, viewer, issue.id)
    if updated is None:
        raise HTTPException(404, "The requested resource does not exist")
    counts = query.comment_counts(db, [updated.id])
    return json_response(
        issue_json(updated, request.app.state.config, num_comments=counts.get(updated.id, 0))
    )
