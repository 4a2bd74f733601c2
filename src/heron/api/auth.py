"""Who is calling the REST API: the user behind an ``Authorization: Bearer`` token."""

from __future__ import annotations

from fastapi import HTTPException, Request

from heron import actions, query
from heron.query import Viewer


def api_viewer(request: Request) -> Viewer:
    """FastAPI dependency: the token's viewer, or 401 with Sentry's wording."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401,
            "Authentication credentials were not provided.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    viewer = query.viewer_for_token(request.app.state.db, token)
    if viewer is None:
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
    actions.note_token_use(request.app.state.db, token)  # "last used" on the tokens page
    return viewer
