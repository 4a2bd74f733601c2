"""Issue lists (per project and per organization), issue detail and status, issue events.

``PUT`` on a project's issue list acts on the issues named by ``?id=`` (Sentry's bulk
mutation): ``{"merge": 1}`` merges them, ``{"status": …}`` sets their status.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api.auth import api_viewer
from heron.api.event_json import event_json
from heron.api.paging import link_header, page_request
from heron.api.responses import found_issue, found_project, json_response
from heron.api.serialize import issue_detail_json, issue_json, tag_value_json
from heron.query import QueryError, Term, Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/projects/{org}/{project}/issues/")
def project_issues(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = found_project(request, viewer, org, project)
    return _issue_page(request, viewer, organization_slug=org, project_ids=[found.id])


@router.put("/api/0/projects/{org}/{project}/issues/")
async def project_issues_update(
    request: Request, viewer: ViewerDep, org: str, project: str
) -> Response:
    body = _json_object(await request.body())
    ids = _issue_ids(request)
    if body.get("merge") in (1, True, "1", "true"):
        return await run_in_threadpool(_merge, request, viewer, org, project, ids)
    if "status" in body:
        status = body.get("status")
        if status not in actions.STATUSES:
            raise HTTPException(400, f"status must be one of {', '.join(actions.STATUSES)}")
        return await run_in_threadpool(_bulk_status, request, viewer, org, project, ids, status)
    raise HTTPException(400, 'nothing to do: send {"merge": 1} or {"status": …}')


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
    issue = found_issue(request, viewer, issue_id)
    tags = query.tag_summaries(request.app.state.db, issue)
    return json_response(issue_detail_json(issue, tags, request.app.state.config))


@router.put("/api/0/issues/{issue_id}/")
async def issue_update(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    body = _json_object(await request.body())
    status = body.get("status")
    if status not in actions.STATUSES:
        choices = ", ".join(actions.STATUSES)
        raise HTTPException(400, f"status must be one of {choices}")
    # The database work is blocking: keep it off the event loop.
    return await run_in_threadpool(_update_status, request, viewer, issue_id, str(status))


@router.get("/api/0/issues/{issue_id}/events/")
def issue_events(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    issue = found_issue(request, viewer, issue_id)
    paging = page_request(request)
    full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
    page = query.list_events(request.app.state.db, issue, offset=paging.offset, limit=paging.limit)
    return json_response(
        [event_json(e, full=full) for e in page.items],
        headers={"Link": link_header(request, page)},
    )


@router.get("/api/0/issues/{issue_id}/events/latest/")
def issue_latest_event(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    db = request.app.state.db
    event = query.latest_event(db, found_issue(request, viewer, issue_id))
    if event is None:
        raise HTTPException(404, "No events for this issue")
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
    return json_response(
        [issue_json(i, config) for i in page.items],
        headers={"Link": link_header(request, page), "X-Hits": str(hits)},
    )


def _update_status(request: Request, viewer: Viewer, issue_id: str, status: str) -> Response:
    issue = found_issue(request, viewer, issue_id)
    db = request.app.state.db
    try:
        actions.set_issue_status(db, issue.id, status)
    except actions.NotFoundError:
        raise HTTPException(404, "The requested resource does not exist") from None
    updated = query.get_issue(db, viewer, issue.id)
    if updated is None:
        raise HTTPException(404, "The requested resource does not exist")
    return json_response(issue_json(updated, request.app.state.config))


def _issue_ids(request: Request) -> list[int]:
    raw = request.query_params.getlist("id")
    if not raw:
        raise HTTPException(400, "name the issues with ?id=…")
    try:
        ids = sorted({int(i) for i in raw})
    except ValueError:
        raise HTTPException(400, "id must be a list of issue ids") from None
    return ids


def _merge(request: Request, viewer: Viewer, org: str, project: str, ids: list[int]) -> Response:
    found = found_project(request, viewer, org, project)
    parent = actions.merge_issues(request.app.state.db, found.id, ids)
    children = [str(i) for i in ids if i != parent]
    return json_response({"merge": {"parent": str(parent), "children": children}})


def _bulk_status(
    request: Request, viewer: Viewer, org: str, project: str, ids: list[int], status: str
) -> Response:
    found = found_project(request, viewer, org, project)
    db = request.app.state.db
    issues = [query.get_issue(db, viewer, i) for i in ids]
    if any(i is None or i.project.id != found.id for i in issues):
        raise HTTPException(404, "The requested resource does not exist")
    for issue_id in ids:
        actions.set_issue_status(db, issue_id, status)
    return json_response({"status": status, "statusDetails": {}})


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise HTTPException(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body
