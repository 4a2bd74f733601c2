"""A project's client keys, as Sentry's API has them: ``/api/0/projects/{org}/{project}/keys/``.

Keys are named by their public key in the path, as in Sentry. Every member reads them (the
DSN goes into their apps); admins and owners create, change and delete them. Heron counts
rate limits per minute: ``rateLimit`` is ``{"window": 60, "count": N}`` or an equivalent
(``{"window": 3600, "count": 60 * N}``); a window that does not come to a whole number of
events per minute is refused rather than rounded.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api.auth import api_viewer
from heron.api.responses import found_project, json_response
from heron.api.serialize import key_json
from heron.query import ClientKey, Project, Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]
KEYS = "/api/0/projects/{org}/{project}/keys/"


@router.get(KEYS)
def key_list(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = found_project(request, viewer, org, project)
    keys = query.list_keys(request.app.state.db, found)
    config = request.app.state.config
    return json_response([key_json(k, config) for k in keys])


@router.post(KEYS)
async def key_create(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    """Create a key: ``name`` (default "Default") and an optional ``rateLimit``."""
    body = _object(await request.body())
    name = _string(body, "name") or ""
    rate_limit = _rate_limit(body["rateLimit"]) if body.get("rateLimit") is not None else None

    def create() -> Response:
        found = found_project(request, viewer, org, project)
        db = request.app.state.db
        key_id = actions.create_key(
            db,
            found.organization.slug,
            found.slug,
            name,
            rate_limit=rate_limit,
            actor_id=viewer.user_id,
        )
        return _key_response(request, found, key_id, status_code=201)

    return await run_in_threadpool(create)


@router.get(KEYS + "{key_id}/")
def key_detail(
    request: Request, viewer: ViewerDep, org: str, project: str, key_id: str
) -> Response:
    found = found_project(request, viewer, org, project)
    return json_response(key_json(_found_key(request, found, key_id), request.app.state.config))


@router.put(KEYS + "{key_id}/")
async def key_update(
    request: Request, viewer: ViewerDep, org: str, project: str, key_id: str
) -> Response:
    """Change ``name``, ``isActive`` and/or ``rateLimit`` (null: no limit of its own)."""
    body = _object(await request.body())
    changes: dict[str, Any] = {"label": _string(body, "name")}
    if body.get("isActive") is not None:
        if not isinstance(body["isActive"], bool):
            raise HTTPException(400, "isActive must be true or false")
        changes["active"] = body["isActive"]
    if "rateLimit" in body:
        changes["rate_limit"] = _rate_limit(body["rateLimit"])

    def update() -> Response:
        found = found_project(request, viewer, org, project)
        key = _found_key(request, found, key_id)
        actions.update_key(
            request.app.state.db,
            found.organization.slug,
            found.slug,
            key.id,
            actor_id=viewer.user_id,
            **changes,
        )
        request.app.state.key_cache.invalidate()
        return _key_response(request, found, key.id)

    return await run_in_threadpool(update)


@router.delete(KEYS + "{key_id}/")
def key_delete(
    request: Request, viewer: ViewerDep, org: str, project: str, key_id: str
) -> Response:
    found = found_project(request, viewer, org, project)
    key = _found_key(request, found, key_id)
    db = request.app.state.db
    actions.delete_key(db, found.organization.slug, found.slug, key.id, actor_id=viewer.user_id)
    request.app.state.key_cache.invalidate()
    return Response(status_code=204)


def _found_key(request: Request, project: Project, public_key: str) -> ClientKey:
    key = query.get_key(request.app.state.db, project, public_key)
    if key is None:
        raise HTTPException(404, "The requested resource does not exist")
    return key


def _key_response(
    request: Request, project: Project, key_id: int, *, status_code: int = 200
) -> Response:
    key = query.get_key(request.app.state.db, project, key_id)
    if key is None:  # deleted by someone else in between
        raise HTTPException(404, "The requested resource does not exist")
    return json_response(key_json(key, request.app.state.config), status_code=status_code)


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body: Any = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise HTTPException(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body


def _string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise HTTPException(400, f"{field} must be a string")
    return value


def _rate_limit(value: Any) -> int | None:
    """Sentry's ``{"window": seconds, "count": n}`` as events per minute; null: none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise HTTPException(400, 'rateLimit must be {"window": seconds, "count": events} or null')
    window, count = _whole(value.get("window")), _whole(value.get("count"))
    if value.get("window") is None and value.get("count") is None:
        return None
    if window is None or window <= 0 or count is None or count <= 0:
        raise HTTPException(
            400,
            "rateLimit needs a positive window (seconds) and count; "
            "to stop a key altogether, set isActive to false",
        )
    per_minute, rest = divmod(count * 60, window)
    if rest:
        raise HTTPException(
            400,
            "Heron counts events per minute: give rateLimit as "
            '{"window": 60, "count": N} (or a window that comes to whole events a minute)',
        )
    return int(per_minute)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
