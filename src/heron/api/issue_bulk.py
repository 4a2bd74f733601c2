"""Changing many issues at once, as Sentry's bulk mutations do: ``PUT`` and ``DELETE`` on a
project's (or an organization's) issue list act on the issues named by ``?id=``.

``PUT`` takes ``{"merge": 1}`` (project lists) or the fields of one issue's update
(:mod:`heron.api.issue_updates`) and answers with the fields it set; ``DELETE`` (admins)
answers 204.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api.auth import api_viewer
from heron.api.issue_updates import read_update, update_json
from heron.api.responses import found_project, json_object, json_response
from heron.api.serialize import assignee_json, status_details
from heron.query import Issue, Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]

_MAX_IDS = 1000


@router.put("/api/0/projects/{org}/{project}/issues/")
async def project_issues_update(
    request: Request, viewer: ViewerDep, org: str, project: str
) -> Response:
    body = await request.body()
    return await run_in_threadpool(_bulk_update, request, viewer, body, (org, project))


@router.delete("/api/0/projects/{org}/{project}/issues/")
def project_issues_delete(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    issues = _issues(request, viewer, (org, project))
    actions.delete_issues(request.app.state.db, [i.id for i in issues], actor_id=viewer.user_id)
    return Response(status_code=204)


@router.put("/api/0/organizations/{org}/issues/")
async def organization_issues_update(request: Request, viewer: ViewerDep, org: str) -> Response:
    body = await request.body()
    return await run_in_threadpool(_bulk_update, request, viewer, body, (org, None))


@router.delete("/api/0/organizations/{org}/issues/")
def organization_issues_delete(request: Request, viewer: ViewerDep, org: str) -> Response:
    issues = _issues(request, viewer, (org, None))
    actions.delete_issues(request.app.state.db, [i.id for i in issues], actor_id=viewer.user_id)
    return Response(status_code=204)


def _bulk_update(
    request: Request, viewer: Viewer, raw: bytes, scope: tuple[str, str | None]
) -> Response:
    db = request.app.state.db
    issues = _issues(request, viewer, scope)
    body = json_object(raw)
    if scope[1] is not None and body.get("merge") in (1, True, "1", "true"):
        return _merge(request, viewer, issues)
    update = read_update(body)
    for issue in issues:
        update.apply(db, issue.id, viewer.user_id)
    changed: dict[str, Any] = {}
    last = query.get_issue(db, viewer, issues[-1].id)
    if last is not None:
        changed = {
            "statusDetails": status_details(last),
            "assignedTo": assignee_json(last.assignee),
        }
    return json_response(update_json(update, changed))


def _issues(request: Request, viewer: Viewer, scope: tuple[str, str | None]) -> list[Issue]:
    """The issues ``?id=`` names, all of the organization (and project) in the path; 404
    when one is not (the path is checked first: another organization's is 404 outright)."""
    org, project = scope
    db = request.app.state.db
    if project is not None:
        project_id: int | None = found_project(request, viewer, org, project).id
    elif query.get_organization(db, viewer, org) is None:
        raise HTTPException(404, "The requested resource does not exist")
    else:
        project_id = None
    ids = _issue_ids(request)
    found = [query.get_issue(db, viewer, i) for i in ids]
    issues = [i for i in found if i is not None]
    if len(issues) != len(ids) or any(
        i.project.organization.slug != org or (project_id and i.project.id != project_id)
        for i in issues
    ):
        raise HTTPException(404, "The requested resource does not exist")
    return issues


def _issue_ids(request: Request) -> list[int]:
    raw = request.query_params.getlist("id")
    if not raw:
        raise HTTPException(400, "name the issues with ?id=…")
    try:
        ids = sorted({int(i) for i in raw})
    except ValueError:
        raise HTTPException(400, "id must be a list of issue ids") from None
    if len(ids) > _MAX_IDS:
        raise HTTPException(400, f"at most {_MAX_IDS} issues at once")
    return ids


def _merge(request: Request, viewer: Viewer, issues: list[Issue]) -> Response:
    ids = [i.id for i in issues]
    project_id = issues[0].project.id
    parent = actions.merge_issues(request.app.state.db, project_id, ids, user_id=viewer.user_id)
    children = [str(i) for i in ids if i != parent]
    return json_response({"merge": {"parent": str(parent), "children": children}})
