"""An organization's members, their roles, and invitations by link."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import ROLES, Organization, Viewer
from heron.web.session import require_csrf
from heron.web.settings_base import ViewerDep, organization, path_id, render_settings

router = APIRouter(include_in_schema=False)


@router.get("/settings/{org}/members/")
def members(request: Request, viewer: ViewerDep, org: str) -> Response:
    return _page(request, viewer, organization(request, viewer, org))


@router.post("/settings/{org}/invites/")
def invite(
    request: Request,
    viewer: ViewerDep,
    org: str,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Invite someone; the link is shown on this response only (the token is not kept)."""
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    db = request.app.state.db
    try:
        made = actions.invite_member(db, viewer.user_id, found.id, email, role)
    except (actions.NotFoundError, actions.PermissionDenied):
        raise
    except actions.ActionError as exc:
        return _page(request, viewer, found, error=str(exc), status_code=400)
    link = f"{request.app.state.config.effective_public_url}/invite/{made.token}"
    response = _page(request, viewer, found, invite_link=link, invited=made.email)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/{org}/invites/{invite_id}/revoke")
def revoke_invite(
    request: Request,
    viewer: ViewerDep,
    org: str,
    invite_id: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    db, number = request.app.state.db, path_id(invite_id)
    return _act(
        request, viewer, found, lambda: actions.revoke_invite(db, viewer.user_id, found.id, number)
    )


@router.post("/settings/{org}/members/{user_id}/role")
def set_role(
    request: Request,
    viewer: ViewerDep,
    org: str,
    user_id: str,
    role: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    db, target = request.app.state.db, path_id(user_id)
    return _act(
        request,
        viewer,
        found,
        lambda: actions.set_member_role(db, viewer.user_id, found.id, target, role),
    )


@router.post("/settings/{org}/members/{user_id}/remove")
def remove(
    request: Request,
    viewer: ViewerDep,
    org: str,
    user_id: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    db, target = request.app.state.db, path_id(user_id)
    done = _act(
        request, viewer, found, lambda: actions.remove_member(db, viewer.user_id, found.id, target)
    )
    if target == viewer.user_id and done.status_code == 303:
        return RedirectResponse("/settings/account/", status_code=303)  # left the organization
    return done


def _act(
    request: Request, viewer: Viewer, org: Organization, change: Callable[[], None]
) -> Response:
    """Carry out a change, then back to the members page; a refusal is shown on the page.

    Not found and not allowed are left to the error pages (404, 403).
    """
    try:
        change()
    except (actions.NotFoundError, actions.PermissionDenied):
        raise
    except actions.ActionError as exc:
        return _page(request, viewer, org, error=str(exc), status_code=400)
    return RedirectResponse(f"/settings/{org.slug}/members/", status_code=303)


def _page(
    request: Request,
    viewer: Viewer,
    org: Organization,
    *,
    error: str = "",
    invite_link: str = "",
    invited: str = "",
    status_code: int = 200,
) -> Response:
    db = request.app.state.db
    manage = viewer.may_manage(org.id)
    is_owner = viewer.role(org.id) == "owner"
    teams = query.list_teams(db, org.id)
    people = query.list_members(db, org.id)
    owners = sum(1 for m in people if m.role == "owner")
    rows = [
        {
            "member": m,
            "teams": [t for t in teams if m.user_id in t.member_ids],
            # Admins manage members and admins; owners are for owners to change.
            "editable": manage and (is_owner or m.role != "owner"),
            "last_owner": m.role == "owner" and owners <= 1,
        }
        for m in people
    ]
    context = {
        "org": org,
        "rows": rows,
        "manage": manage,
        "roles": ROLES if is_owner else tuple(r for r in ROLES if r != "owner"),
        "invites": query.pending_invites(db, org.id) if manage else [],
        "now": time.time(),
        "invite_link": invite_link,
        "invited": invited,
        "error": error,
    }
    return render_settings(
        request, viewer, "settings_members.html", context, status_code=status_code
    )
