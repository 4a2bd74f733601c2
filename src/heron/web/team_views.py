"""An organization's teams and who is in them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import Organization, Team, Viewer
from heron.web.session import require_csrf
from heron.web.settings_base import ViewerDep, organization, path_id, render_settings

router = APIRouter(include_in_schema=False)


@router.get("/settings/{org}/teams/")
def teams(request: Request, viewer: ViewerDep, org: str) -> Response:
    return _list_page(request, viewer, organization(request, viewer, org))


@router.post("/settings/{org}/teams/")
def create_team(
    request: Request,
    viewer: ViewerDep,
    org: str,
    name: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    try:
        slug = actions.create_team(request.app.state.db, viewer.user_id, found.id, name)
    except (actions.NotFoundError, actions.PermissionDenied):
        raise
    except actions.ActionError as exc:
        return _list_page(request, viewer, found, error=str(exc), name=name, status_code=400)
    return RedirectResponse(f"/settings/{found.slug}/teams/{slug}/", status_code=303)


@router.get("/settings/{org}/teams/{team}/")
def team(request: Request, viewer: ViewerDep, org: str, team: str) -> Response:
    found = organization(request, viewer, org)
    return _team_page(request, viewer, found, _team(request, found, team))


@router.post("/settings/{org}/teams/{team}/members")
def add_member(
    request: Request,
    viewer: ViewerDep,
    org: str,
    team: str,
    user_id: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    db = request.app.state.db
    if not user_id.strip():
        return _refused(request, viewer, found, team, "Choose a member to add.")
    target = path_id(user_id.strip())
    return _act(
        request,
        viewer,
        found,
        team,
        lambda: actions.add_team_member(db, viewer.user_id, found.id, team, target),
    )


@router.post("/settings/{org}/teams/{team}/members/{user_id}/remove")
def remove_member(
    request: Request,
    viewer: ViewerDep,
    org: str,
    team: str,
    user_id: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    db = request.app.state.db
    target = path_id(user_id)
    return _act(
        request,
        viewer,
        found,
        team,
        lambda: actions.remove_team_member(db, viewer.user_id, found.id, team, target),
    )


@router.post("/settings/{org}/teams/{team}/delete")
def delete_team(
    request: Request,
    viewer: ViewerDep,
    org: str,
    team: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    found = organization(request, viewer, org)
    actions.delete_team(request.app.state.db, viewer.user_id, found.id, team)
    return RedirectResponse(f"/settings/{found.slug}/teams/", status_code=303)


def _act(
    request: Request, viewer: Viewer, org: Organization, slug: str, change: Callable[[], None]
) -> Response:
    try:
        change()
    except (actions.NotFoundError, actions.PermissionDenied):
        raise
    except actions.ActionError as exc:
        return _refused(request, viewer, org, slug, str(exc))
    return RedirectResponse(f"/settings/{org.slug}/teams/{slug}/", status_code=303)


def _refused(
    request: Request, viewer: Viewer, org: Organization, slug: str, error: str
) -> Response:
    found = _team(request, org, slug)
    if not viewer.may_manage(org.id):
        raise actions.PermissionDenied("Only admins and owners may manage teams.")
    return _team_page(request, viewer, org, found, error=error, status_code=400)


def _team(request: Request, org: Organization, slug: str) -> Team:
    for candidate in query.list_teams(request.app.state.db, org.id):
        if candidate.slug == slug:
            return candidate
    raise HTTPException(404, "No such team")


def _list_page(
    request: Request,
    viewer: Viewer,
    org: Organization,
    *,
    error: str = "",
    name: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "org": org,
        "teams": query.list_teams(request.app.state.db, org.id),
        "manage": viewer.may_manage(org.id),
        "name": name,
        "error": error,
    }
    return render_settings(request, viewer, "settings_teams.html", context, status_code=status_code)


def _team_page(
    request: Request,
    viewer: Viewer,
    org: Organization,
    team: Team,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    people = query.list_members(request.app.state.db, org.id)
    context = {
        "org": org,
        "team": team,
        "in_team": [m for m in people if m.user_id in team.member_ids],
        "candidates": [m for m in people if m.user_id not in team.member_ids],
        "manage": viewer.may_manage(org.id),
        "error": error,
    }
    return render_settings(request, viewer, "settings_team.html", context, status_code=status_code)
