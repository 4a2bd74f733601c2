"""Logging in and out, and joining an organization through an invitation link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import Viewer
from heron.web.session import csrf_ok, current_viewer, log_in, log_out, require_csrf, safe_next
from heron.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    if current_viewer(request) is not None:
        return RedirectResponse(safe_next(next), status_code=302)
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": ""})


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next)
    form = {"next": target, "email": email}
    if not csrf_ok(request, csrf_token):
        error = "The form had expired. Please try again."
        return render(request, "login.html", {**form, "error": error}, status_code=403)
    viewer = query.authenticate(request.app.state.db, email, password)
    if viewer is None:
        error = "Wrong e-mail or password."
        return render(request, "login.html", {**form, "error": error}, status_code=401)
    log_in(request, viewer)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    require_csrf(request, csrf_token)
    log_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/invite/{token}")
def invite_page(request: Request, token: str) -> Response:
    """Accept an invitation: a Join button when logged in, else a form for a new account."""
    invite = _invite(request, token)
    return _invite_page(request, invite, token, current_viewer(request))


@router.post("/invite/{token}")
def accept_invite(
    request: Request,
    token: str,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    invite = _invite(request, token)
    viewer = current_viewer(request)
    db = request.app.state.db
    try:
        if viewer is not None:
            user_id = actions.accept_invite(db, token, user_id=viewer.user_id)
        else:
            if password != password2:
                raise actions.ActionError("The two passwords differ.")
            user_id = actions.accept_invite(db, token, name=name, password=password)
    except actions.NotFoundError:
        raise
    except actions.ActionError as exc:
        status = 403 if isinstance(exc, actions.PermissionDenied) else 400
        context = {"error": str(exc), "name": name}
        return _invite_page(request, invite, token, viewer, context, status_code=status)
    joined = query.viewer_for_user(db, user_id)
    if joined is None:  # pragma: no cover - the user was deactivated in between
        raise HTTPException(403, "This account is deactivated.")
    log_in(request, joined)
    return RedirectResponse("/issues/", status_code=303)


def _invite(request: Request, token: str) -> query.InviteView:
    invite = query.invite_for_token(request.app.state.db, token)
    if invite is None:
        raise HTTPException(404, "No such invitation")
    return invite


def _invite_page(
    request: Request,
    invite: query.InviteView,
    token: str,
    viewer: Viewer | None,
    extra: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    context = {
        "invite": invite,
        "token": token,
        "error": "",
        "name": "",
        # Logged in as someone else: say so, and offer no button that cannot work.
        "mismatch": viewer is not None and viewer.email != invite.email,
        **(extra or {}),
    }
    response = render(request, "invite.html", context, status_code=status_code, viewer=viewer)
    response.headers["Cache-Control"] = "no-store"
    return response
