"""Organizations, projects, client keys and single events by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from heron import query
from heron.api.auth import api_viewer
from heron.api.event_json import event_json
from heron.api.paging import link_header, page_request
from heron.api.responses import found_project, json_response
from heron.api.serialize import key_json, organization_json, project_json
from heron.query import Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/organizations/")
def organization_list(request: Request, viewer: ViewerDep) -> Response:
    orgs = query.list_organizations(request.app.state.db, viewer)
    return json_response([organization_json(o) for o in orgs])


@router.get("/api/0/organizations/{org}/")
def organization_detail(request: Request, viewer: ViewerDep, org: str) -> Response:
    found = query.get_organization(request.app.state.db, viewer, org)
    if found is None:
        raise HTTPException(404, "The requested resource does not exist")
    return json_response(organization_json(found))


@router.get("/api/0/organizations/{org}/projects/")
def organization_projects(request: Request, viewer: ViewerDep, org: str) -> Response:
    if query.get_organization(request.app.state.db, viewer, org) is None:
        raise HTTPException(404, "The requested resource does not exist")
    return _project_page(request, viewer, org)


@router.get("/api/0/projects/")
def project_list(request: Request, viewer: ViewerDep) -> Response:
    return _project_page(request, viewer, None)


@router.get("/api/0/projects/{org}/{project}/")
def project_detail(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    return json_response(project_json(found_project(request, viewer, org, project)))


@router.get("/api/0/projects/{org}/{project}/keys/")
def project_keys(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = found_project(request, viewer, org, project)
    keys = query.list_keys(request.app.state.db, found)
    config = request.app.state.config
    return json_response([key_json(k, config) for k in keys])


@router.get("/api/0/projects/{org}/{project}/events/{event_id}/")
def project_event(
    request: Request, viewer: ViewerDep, org: str, project: str, event_id: str
) -> Response:
    event = _found_event(request, viewer, org, project, event_id)
    body = event_json(event)
    body["previousEventID"], body["nextEventID"] = query.neighbours(request.app.state.db, event)
    return json_response(body)


@router.get("/api/0/projects/{org}/{project}/events/{event_id}/json/")
def project_event_json(
    request: Request, viewer: ViewerDep, org: str, project: str, event_id: str
) -> Response:
    """The stored event exactly as the digest normalized and scrubbed it."""
    return json_response(_found_event(request, viewer, org, project, event_id).data)


def _found_event(
    request: Request, viewer: Viewer, org: str, project: str, event_id: str
) -> query.Event:
    db = request.app.state.db
    event = query.get_event(db, found_project(request, viewer, org, project), event_id)
    if event is None:
        raise HTTPException(404, "Event not found")
    return event


def _project_page(request: Request, viewer: Viewer, org: str | None) -> Response:
    paging = page_request(request)
    page = query.list_projects(
        request.app.state.db,
        viewer,
        organization_slug=org,
        offset=paging.offset,
        limit=paging.limit,
    )
    return json_response(
        [project_json(p) for p in page.items], headers={"Link": link_header(request, page)}
    )
