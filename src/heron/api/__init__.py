"""The REST API under ``/api/0/``: Sentry's paths and field names for what Heron shares.

Authentication is an ``Authorization: Bearer <token>`` header; a user sees the
organizations they are a member of. Errors are JSON ``{"detail": …}``: 400 for a bad
query, cursor or body, 401 for a missing or wrong token, 404 for anything not found or not
the caller's.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError

from heron.api import hashes, issues, llm, members, performance, profiles, projects, traces
from heron.api.responses import json_response


def install(app: FastAPI) -> None:
    """Add the REST routes to ``app``."""
    guards = [Depends(_reject_nul)]
    app.include_router(projects.router, tags=["projects"], dependencies=guards)
    app.include_router(issues.router, tags=["issues"], dependencies=guards)
    app.include_router(hashes.router, tags=["issues"], dependencies=guards)
    app.include_router(members.router, tags=["members"], dependencies=guards)
    app.include_router(performance.router, tags=["performance"], dependencies=guards)
    app.include_router(traces.router, tags=["performance"], dependencies=guards)
    app.include_router(profiles.router, tags=["performance"], dependencies=guards)
    app.include_router(llm.router, tags=["llm"], dependencies=guards)
    app.add_exception_handler(RequestValidationError, _invalid_request)


def _reject_nul(request: Request) -> None:
    # PostgreSQL text cannot hold NUL; such a value can only be a bad request.
    params = request.query_params.multi_items()
    if "\x00" in request.url.path or any("\x00" in k + v for k, v in params):
        raise HTTPException(400, "NUL characters are not allowed")


async def _invalid_request(request: Request, exc: Exception) -> Response:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = "; ".join(str(e.get("msg", "invalid")) for e in errors) or "invalid request"
    return json_response({"detail": detail}, status_code=400)
