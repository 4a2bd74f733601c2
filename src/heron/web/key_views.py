"""A project's client keys: list with DSNs; create, disable, enable, rotate, rate limit.

Each change empties ingest's key cache in this process at once; other processes pick it
up within a few seconds (heron.ingest.keys).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import Project, Viewer
from heron.web.project_pages import (
    ViewerDep,
    dsn,
    keys_changed,
    project_or_404,
    project_url,
    render_project,
    require_manager,
)
from heron.web.session import require_csrf
from heron.web.settings_base import path_id

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
KEYS = "/projects/{org}/{project}/keys/"

NOTICES = {
    "created": "A new key was created.",
    "disabled": "The key was disabled: events sent with it are refused from now on.",
    "enabled": "The key was enabled again.",
    "rotated": "A new key replaces the old one, which is disabled. "
    "Put the new DSN in your apps' SENTRY_DSN.",
    "rate-limit": "The key's rate limit was saved.",
}


@router.get(KEYS)
def key_list(request: Request, viewer: ViewerDep, org: str, project: str) -> Response:
    found = project_or_404(request, viewer, org, project)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return _page(request, viewer, found, notice=notice)


@router.post(KEYS)
def create_key(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    label: Text = "",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    try:
        actions.create_key(
            request.app.state.db,
            found.organization.slug,
            found.slug,
            label,
            actor_id=viewer.user_id,
        )
    except actions.PermissionDenied:
        raise
    except actions.ActionError as exc:
        return _page(request, viewer, found, error=str(exc), status_code=400)
    return _done(found, "created")


@router.post(KEYS + "{key_id}/disable")
def disable_key(
    request: Request, viewer: ViewerDep, org: str, project: str, key_id: str, csrf_token: Text = ""
) -> Response:
    return _set_active(request, viewer, org, project, key_id, csrf_token, active=False)


@router.post(KEYS + "{key_id}/enable")
def enable_key(
    request: Request, viewer: ViewerDep, org: str, project: str, key_id: str, csrf_token: Text = ""
) -> Response:
    return _set_active(request, viewer, org, project, key_id, csrf_token, active=True)


@router.post(KEYS + "{key_id}/rotate")
def rotate_key(
    request: Request, viewer: ViewerDep, org: str, project: str, key_id: str, csrf_token: Text = ""
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    actions.rotate_key(
        request.app.state.db,
        found.organization.slug,
        found.slug,
        path_id(key_id),
        actor_id=viewer.user_id,
    )
    keys_changed(request)
    return _done(found, "rotated")


@router.post(KEYS + "{key_id}/rate-limit")
def set_rate_limit(
    request: Request,
    viewer: ViewerDep,
    org: str,
    project: str,
    key_id: str,
    rate_limit: Text = "",
    csrf_token: Text = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    number = path_id(key_id)
    try:
        actions.set_key_rate_limit(
            request.app.state.db,
            found.organization.slug,
            found.slug,
            number,
            actions.parse_rate_limit(rate_limit),
            actor_id=viewer.user_id,
        )
    except (actions.PermissionDenied, actions.NotFoundError):
        raise
    except actions.ActionError as exc:
        return _page(request, viewer, found, error=str(exc), status_code=400)
    keys_changed(request)
    return _done(found, "rate-limit")


def _set_active(
    request: Request,
    viewer: Viewer,
    org: str,
    project: str,
    key_id: str,
    csrf_token: str,
    *,
    active: bool,
) -> Response:
    require_csrf(request, csrf_token)
    found = _managed(request, viewer, org, project)
    actions.set_key_active(
        request.app.state.db,
        found.organization.slug,
        found.slug,
        path_id(key_id),
        active,
        actor_id=viewer.user_id,
    )
    keys_changed(request)
    return _done(found, "enabled" if active else "disabled")


def _managed(request: Request, viewer: Viewer, org: str, project: str) -> Project:
    found = project_or_404(request, viewer, org, project)
    require_manager(viewer, found)
    return found


def _done(project: Project, what: str) -> Response:
    return RedirectResponse(project_url(project, "keys/") + f"?done={what}", status_code=303)


def _page(
    request: Request,
    viewer: Viewer,
    project: Project,
    *,
    notice: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    keys = [(key, dsn(request, key)) for key in query.list_keys(request.app.state.db, project)]
    context = {"keys": keys, "notice": notice, "error": error}
    return render_project(
        request, viewer, project, "project_keys.html", context, status_code=status_code
    )
