"""What the settings pages share: the left-hand menu, the organization lookup, ids in paths."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response

from heron import query
from heron.query import Organization, Viewer
from heron.query.models import MAX_ID
from heron.web.session import page_viewer
from heron.web.templating import render

ViewerDep = Annotated[Viewer, Depends(page_viewer)]


def organization(request: Request, viewer: Viewer, slug: str) -> Organization:
    """The viewer's organization ``slug``; any other is not found (404), never forbidden."""
    found = query.get_organization(request.app.state.db, viewer, slug)
    if found is None:
        raise HTTPException(404, "No such organization")
    return found


def path_id(value: str) -> int:
    """A numeric id from the path; anything else (or out of range) is a 404."""
    if (
        not (value.isascii() and value.isdigit() and len(value) <= 10)
        or not 0 < int(value) <= MAX_ID
    ):
        raise HTTPException(404, "Not found")
    return int(value)


def render_settings(
    request: Request,
    viewer: Viewer,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A settings page with its menu: the account, then each of the viewer's organizations."""
    menu = query.list_organizations(request.app.state.db, viewer)
    values = {"menu_orgs": menu, "error": "", "notice": "", **context}
    return render(request, template, values, status_code=status_code, viewer=viewer)
