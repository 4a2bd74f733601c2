"""The light/dark switch: a form that stores the choice in a cookie (no script needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from heron.web.session import require_csrf, safe_next
from heron.web.templating import THEME_COOKIE, THEMES

router = APIRouter(include_in_schema=False)

YEAR = 365 * 86400


@router.post("/theme")
def set_theme(
    request: Request,
    theme: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """``light`` or ``dark`` sticks; anything else ("auto") follows the browser again.
    Open to anyone (the login page has the switch too): it only sets a cookie."""
    require_csrf(request, csrf_token)
    response = RedirectResponse(safe_next(next), status_code=303)
    secure = request.app.state.config.effective_public_url.startswith("https://")
    if theme in THEMES:
        response.set_cookie(
            THEME_COOKIE, theme, max_age=YEAR, httponly=True, samesite="lax", secure=secure
        )
    else:
        response.delete_cookie(THEME_COOKIE, httponly=True, samesite="lax", secure=secure)
    return response
