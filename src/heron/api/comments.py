"""An issue's comments (``note`` activity) and its whole activity log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import actions, query
from heron.api.auth import api_viewer
from heron.api.responses import found_issue, json_object, json_response
from heron.api.serialize import activity_json
from heron.query import Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/issues/{issue_id}/comments/")
def issue_comments(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    """The issue's comments, newest first."""
    issue = found_issue(request, viewer, issue_id)
    notes = query.list_activity(request.app.state.db, issue, kinds=("note",))
    return json_response([activity_json(a) for a in notes])


@router.post("/api/0/issues/{issue_id}/comments/")
async def issue_comment_create(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    """Add a comment: ``{"text": "…"}``; 201 with the comment."""
    body = await request.body()
    return await run_in_threadpool(_create, request, viewer, issue_id, body)


@router.delete("/api/0/issues/{issue_id}/comments/{activity_id}/")
def issue_comment_delete(
    request: Request, viewer: ViewerDep, issue_id: str, activity_id: str
) -> Response:
    """Delete a comment (its id is its activity id): the author's own, or anyone's as an
    admin; 204."""
    issue = found_issue(request, viewer, issue_id)
    number = int(activity_id) if activity_id.isdigit() else 0
    actions.delete_comment(request.app.state.db, issue.id, number, actor_id=viewer.user_id)
    return Response(status_code=204)


@router.get("/api/0/issues/{issue_id}/activity/")
def issue_activity(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    """Everything that happened to the issue and who did it, newest first."""
    issue = found_issue(request, viewer, issue_id)
    entries = query.list_activity(request.app.state.db, issue)
    return json_response([activity_json(a) for a in entries])


def _create(request: Request, viewer: Viewer, issue_id: str, body: bytes) -> Response:
    issue = found_issue(request, viewer, issue_id)
    text = json_object(body).get("text")
    if not isinstance(text, str):
        raise HTTPException(400, "text must be a string")
    db = request.app.state.db
    note_id = actions.add_comment(db, issue.id, text, actor_id=viewer.user_id)
    note = query.get_activity(db, issue, note_id)
    if note is None:  # pragma: no cover - deleted between the two statements
        raise HTTPException(404, "The requested resource does not exist")
    return json_response(activity_json(note), status_code=201)
