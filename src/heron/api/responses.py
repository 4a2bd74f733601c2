"""JSON responses for the API (orjson) and the shared lookups that end in 404."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

from heron import query
from heron.query import Issue, Project, Viewer


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def json_response(
    content: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> FastJSONResponse:
    return FastJSONResponse(content, status_code=status_code, headers=headers)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (empty means ``{}``); else 400."""
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise HTTPException(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body


def found_project(request: Request, viewer: Viewer, org: str, project: str) -> Project:
    found = query.get_project(request.app.state.db, viewer, org, project)
    if found is None:
        raise HTTPException(404, "The requested resource does not exist")
    return found


def found_issue(request: Request, viewer: Viewer, issue_id: str) -> Issue:
    try:
        number = int(issue_id)
    except ValueError:
        raise HTTPException(404, "The requested resource does not exist") from None
    found = query.get_issue(request.app.state.db, viewer, number) if number > 0 else None
    if found is None:
        raise HTTPException(404, "The requested resource does not exist")
    return found
