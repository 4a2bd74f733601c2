"""Organizations, projects (read, change, delete), client keys and single events by id."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api import project_keys
from heron.api.auth import api_viewer
from heron.api.event_json import event_json
from heron.api.paging import link_header, page_request
from heron.api.responses import found_project, json_response
from heron.api.serialize import organization_json, project_detail_json, project_json
from heron.query import Project, Viewer

router = APIRouter()
router.include_router(project_keys.router)
ViewerDep = Annotated[Viewer, Depends(api_viewer)]

# The fields a PUT may change: Sentry's JSON name → the keyword of actions.update_project.
EDITABLE = {
    "name": "name",
    "platform": "platform",
    "fingerprintingRules": "fingerprinting_rules",
    "groupingEnhancements": "enhancements",
    "llmJobTag": "llm_job_tag",
    "llmChannelTag": "llm_channel_tag",
}
RULE_FIELDS = {
    "fingerprinting_rules": "fingerprintingRules",
    "enhancements": "groupingEnhancements",
}


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
    return _detail(request, found_project(request, viewer, org, project))


@router.put("/api/0/projects/{org}/{project}/")
async def project_update(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """Change ``name``, ``platform``, ``fingerprintingRules``, ``groupingEnhancements``,
    ``apdexThreshold`` (milliseconds, 1 to 60000), or for LLM usage ``llmJobTag`` and
    ``llmChannelTag`` (the tags naming a call's job and channel) and ``llmStorePrompts``
    (keep prompts and responses; otherwise only their lengths are kept).

    Admins and owners may (a member gets 403). Other fields are ignored, as Sentry ignores
    fields a caller may not change; a bad rule is a 400 naming its line.
    """
    changes = _changes(await request.body())
    # The database work is blocking: keep it off the event loop.
    return await run_in_threadpool(_update, request, viewer, org, project, changes)


@router.delete("/api/0/projects/{org}/{project}/")
def project_delete(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """Delete the project with all its data (admins and owners); its keys stop at once."""
    found = found_project(request, viewer, org, project)
    actions.delete_project(
        request.app.state.db,
        found.organization.slug,
        found.slug,
        actor_id=viewer.user_id,
        keys_disabled=request.app.state.key_cache.invalidate,
    )
    request.app.state.key_cache.invalidate()
    return Response(status_code=204)


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


def _detail(request: Request, project: Project) -> Response:
    grouping = actions.grouping_settings(request.app.state.db, project.id)
    return json_response(project_detail_json(project, grouping))


def _changes(raw: bytes) -> dict[str, Any]:
    try:
        body: Any = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise HTTPException(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    changes: dict[str, Any] = {}
    apdex = body.get("apdexThreshold")
    if apdex is not None:
        if isinstance(apdex, bool) or not isinstance(apdex, int):
            raise HTTPException(400, "apdexThreshold must be a whole number of milliseconds")
        changes["apdex_threshold_ms"] = apdex
    store_prompts = body.get("llmStorePrompts")
    if store_prompts is not None:
        if not isinstance(store_prompts, bool):
            raise HTTPException(400, "llmStorePrompts must be true or false")
        changes["llm_store_prompts"] = store_prompts
    for field, keyword in EDITABLE.items():
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise HTTPException(400, f"{field} must be a string")
        changes[keyword] = value
    return changes


def _update(
    request: Request, viewer: Viewer, org: str, project: str, changes: dict[str, Any]
) -> Response:
    found = found_project(request, viewer, org, project)
    db = request.app.state.db
    try:
        actions.update_project(
            db, found.organization.slug, found.slug, actor_id=viewer.user_id, **changes
        )
    except actions.InvalidRulesError as exc:
        body: dict[str, Any] = {"detail": "Invalid grouping rules: " + str(exc)}
        body.update({RULE_FIELDS[f]: [e] for f, e in exc.errors.items()})
        return json_response(body, status_code=400)
    updated = query.get_project(db, viewer, found.organization.slug, found.slug)
    if updated is None:
        raise HTTPException(404, "The requested resource does not exist")
    return _detail(request, updated)


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
