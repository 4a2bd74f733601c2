"""The forms of the issue page: status, assignment, bookmark, comments, delete, unmerge.

Each checks the CSRF token, acts as the logged-in person (the action checks their role)
and goes back to the issue page with a 303.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions
from heron.web.issue_common import ViewerDep, find_issue, int_param
from heron.web.session import require_csrf

router = APIRouter(include_in_schema=False)


def _back(issue_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/issues/{issue_id}/{anchor}", status_code=303)


def _number(value: str, name: str) -> int | None:
    """An optional positive whole number from a form field."""
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) == 0:
        raise HTTPException(400, f"{name} must be a whole number above zero.")
    return int(value)


@router.post("/issues/{issue_id}/status")
def issue_status(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    status: Annotated[str, Form()] = "",
    ignore_minutes: Annotated[str, Form()] = "",
    ignore_count: Annotated[str, Form()] = "",
    ignore_users: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    actions.set_issue_status(
        request.app.state.db,
        issue.id,
        status,
        actor_id=viewer.user_id,
        ignore_minutes=_number(ignore_minutes, "ignore_minutes"),
        ignore_count=_number(ignore_count, "ignore_count"),
        ignore_users=_number(ignore_users, "ignore_users"),
    )
    return _back(issue.id)


@router.post("/issues/{issue_id}/assign")
def issue_assign(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    assignee: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    actions.assign_issue(request.app.state.db, issue.id, assignee, actor_id=viewer.user_id)
    return _back(issue.id)


@router.post("/issues/{issue_id}/bookmark")
def issue_bookmark(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    bookmarked: Annotated[str, Form()] = "1",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    actions.set_bookmark(request.app.state.db, issue.id, bookmarked == "1", actor_id=viewer.user_id)
    return _back(issue.id)


@router.post("/issues/{issue_id}/comments")
def issue_comment(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    text: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    actions.add_comment(request.app.state.db, issue.id, text, actor_id=viewer.user_id)
    return _back(issue.id, "#activity")


@router.post("/issues/{issue_id}/comments/{activity_id}/delete")
def issue_comment_delete(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    activity_id: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    number = int_param(activity_id, 0)
    actions.delete_comment(request.app.state.db, issue.id, number, actor_id=viewer.user_id)
    return _back(issue.id, "#activity")


@router.post("/issues/{issue_id}/delete")
def issue_delete(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Delete the issue and its events (admins); back to the stream."""
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    actions.delete_issues(request.app.state.db, [issue.id], actor_id=viewer.user_id)
    return RedirectResponse("/issues/", status_code=303)


@router.post("/issues/{issue_id}/unmerge")
def issue_unmerge(
    request: Request,
    viewer: ViewerDep,
    issue_id: str,
    hash: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Split one hash (and the events it routed) off into a new issue, then show that issue."""
    require_csrf(request, csrf_token)
    issue = find_issue(request, viewer, issue_id)
    new_id = actions.unmerge_hash(request.app.state.db, issue.id, hash, user_id=viewer.user_id)
    return RedirectResponse(f"/issues/{new_id}/", status_code=303)
