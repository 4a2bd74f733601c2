"""The web pages: server-rendered, behind a login, usable without JavaScript."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.staticfiles import StaticFiles

from heron.web import (
    auth_views,
    issue_views,
    llm_views,
    member_views,
    performance_views,
    project_views,
    settings_views,
    team_views,
    theme_views,
)
from heron.web.errors import install_error_handlers

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages, ``/static`` and the error pages to ``app``."""
    guards = [Depends(_reject_nul)]
    app.include_router(auth_views.router, dependencies=guards)
    app.include_router(issue_views.router, dependencies=guards)
    app.include_router(performance_views.router, dependencies=guards)
    app.include_router(llm_views.router, dependencies=guards)
    app.include_router(project_views.router, dependencies=guards)
    app.include_router(theme_views.router, dependencies=guards)
    app.include_router(settings_views.router, dependencies=guards)
    app.include_router(member_views.router, dependencies=guards)
    app.include_router(team_views.router, dependencies=guards)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_handlers(app)


def _reject_nul(request: Request) -> None:
    # PostgreSQL text cannot hold NUL; such a value can only be a bad request.
    params = request.query_params.multi_items()
    if "\x00" in request.url.path or any("\x00" in k + v for k, v in params):
        raise HTTPException(400, "NUL characters are not allowed")
