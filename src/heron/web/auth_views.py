"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from heron import query
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
