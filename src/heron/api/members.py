"""An organization's members and teams, in the shapes of Sentry's Web API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from heron import query
from heron.api.auth import api_viewer
from heron.api.paging import link_header, page_request
from heron.api.responses import json_response
from heron.api.serialize import iso
from heron.query import Member, Organization, Page, Team, Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]

ROLE_NAMES = {"member": "Member", "admin": "Admin", "owner": "Owner"}


@router.get("/api/0/organizations/{org}/members/")
def organization_members(request: Request, viewer: ViewerDep, org: str) -> Response:
    found = _organization(request, viewer, org)
    db = request.app.state.db
    teams = query.list_teams(db, found.id)
    members = query.list_members(db, found.id)
    return _paged(request, [member_json(m, teams) for m in members])


@router.get("/api/0/organizations/{org}/teams/")
def organization_teams(request: Request, viewer: ViewerDep, org: str) -> Response:
    found = _organization(request, viewer, org)
    teams = query.list_teams(request.app.state.db, found.id)
    return _paged(request, [team_json(t, viewer) for t in teams])


def member_json(member: Member, teams: list[Team]) -> dict[str, Any]:
    """One member as Sentry lists it; ``id`` is the user's id (one membership per user)."""
    slugs = [t.slug for t in teams if member.user_id in t.member_ids]
    return {
        "id": str(member.user_id),
        "email": member.email,
        "name": member.name or member.email,
        "user": {
            "id": str(member.user_id),
            "name": member.name or member.email,
            "username": member.email,
            "email": member.email,
            "isActive": True,
        },
        "role": member.role,
        "orgRole": member.role,
        "roleName": ROLE_NAMES.get(member.role, member.role),
        "pending": False,
        "expired": False,
        "inviteStatus": "approved",
        "teams": slugs,
        "teamRoles": [{"teamSlug": s, "role": None} for s in slugs],
    }


def team_json(team: Team, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": str(team.id),
        "slug": team.slug,
        "name": team.name,
        "dateCreated": iso(team.created_at),
        "isMember": viewer.user_id in team.member_ids,
        "memberCount": len(team.member_ids),
        "hasAccess": True,
        "isPending": False,
        "teamRole": None,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
    }


def _organization(request: Request, viewer: Viewer, slug: str) -> Organization:
    found = query.get_organization(request.app.state.db, viewer, slug)
    if found is None:
        raise HTTPException(404, "The requested resource does not exist")
    return found


def _paged(request: Request, rows: list[dict[str, Any]]) -> Response:
    paging = page_request(request)
    items = rows[paging.offset : paging.offset + paging.limit]
    page = Page(items, paging.offset, paging.limit, paging.offset + paging.limit < len(rows))
    return json_response(items, headers={"Link": link_header(request, page)})
