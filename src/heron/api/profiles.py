"""Profiles, by the event id of the transaction they were sampled with (the SDK sends both
in one envelope): the profile exactly as the SDK sent it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from heron import query
from heron.api.auth import api_viewer
from heron.api.responses import found_project
from heron.query import Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/projects/{org}/{project}/profiling/profiles/{event_id}/")
def profile(request: Request, viewer: ViewerDep, org: str, project: str, event_id: str) -> Response:
    found = found_project(request, viewer, org, project)
    wanted = event_id.replace("-", "").lower()
    if len(wanted) != 32 or any(c not in "0123456789abcdef" for c in wanted):
        raise HTTPException(404, "The requested resource does not exist")
    body = query.profile_of(request.app.state.db, found.id, wanted)
    if body is None:
        raise HTTPException(404, "The requested resource does not exist")
    return Response(body, media_type="application/json")
