"""The viewer's own settings: name and password, and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from heron import actions, query
from heron.query import Viewer
from heron.web.session import log_in, require_csrf
from heron.web.settings_base import ViewerDep, path_id, render_settings

router = APIRouter(include_in_schema=False)

SAVED = {"name": "Your name was saved.", "password": "Your password was changed."}


@router.get("/settings/")
def settings_home(viewer: ViewerDep) -> Response:
    return RedirectResponse("/settings/account/", status_code=302)


@router.get("/settings/account/")
def account(request: Request, viewer: ViewerDep) -> Response:
    notice = SAVED.get(request.query_params.get("saved", ""), "")
    return _account_page(request, viewer, notice=notice)


@router.post("/settings/account/")
def save_account(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str | None, Form()] = None,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """One address, two forms: a password change when a password was typed, else the name."""
    require_csrf(request, csrf_token)
    db = request.app.state.db
    try:
        if current_password or new_password:
            actions.change_password(db, viewer.user_id, current_password, new_password)
            # Other sessions of this user end with the old password; this one carries on.
            renewed = query.viewer_for_user(db, viewer.user_id)
            if renewed is not None:
                log_in(request, renewed)
            saved = "password"
        else:
            actions.rename_user(db, viewer.user_id, name or "")
            saved = "name"
    except actions.ActionError as exc:
        return _account_page(request, viewer, error=str(exc), status_code=400)
    return RedirectResponse(f"/settings/account/?saved={saved}", status_code=303)


@router.get("/settings/account/tokens/")
def tokens(request: Request, viewer: ViewerDep) -> Response:
    return _tokens_page(request, viewer)


@router.post("/settings/account/tokens/")
def create_token(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Mint a token and show it on this response only: it is not stored anywhere readable."""
    require_csrf(request, csrf_token)
    try:
        token = actions.create_user_token(request.app.state.db, viewer.user_id, name)
    except actions.ActionError as exc:
        return _tokens_page(request, viewer, error=str(exc), status_code=400)
    response = _tokens_page(request, viewer, new_token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    viewer: ViewerDep,
    token_id: str,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, csrf_token)
    actions.revoke_user_token(request.app.state.db, viewer.user_id, path_id(token_id))
    return RedirectResponse("/settings/account/tokens/", status_code=303)


def _account_page(
    request: Request, viewer: Viewer, *, notice: str = "", error: str = "", status_code: int = 200
) -> Response:
    context = {"notice": notice, "error": error}
    return render_settings(
        request, viewer, "settings_account.html", context, status_code=status_code
    )


def _tokens_page(
    request: Request,
    viewer: Viewer,
    *,
    new_token: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "tokens": query.list_tokens(request.app.state.db, viewer.user_id),
        "new_token": new_token,
        "error": error,
    }
    return render_settings(
        request, viewer, "settings_tokens.html", context, status_code=status_code
    )
