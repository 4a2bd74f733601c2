"""Logged-in sessions and CSRF tokens, kept in the signed session cookie."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

from heron import query
from heron.query import Viewer

USER_KEY = "user_id"
STAMP_KEY = "stamp"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """The page needs a logged-in user; turned into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def current_viewer(request: Request) -> Viewer | None:
    user_id = request.session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    viewer = query.viewer_for_user(request.app.state.db, user_id)
    if viewer is None or request.session.get(STAMP_KEY) != viewer.credential_stamp:
        return None  # the user is gone, or their password changed since this session began
    return viewer


def page_viewer(request: Request) -> Viewer:
    """FastAPI dependency for pages: the logged-in viewer, else off to the login page."""
    viewer = current_viewer(request)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


def log_in(request: Request, viewer: Viewer) -> None:
    # A fresh session (and CSRF token) on login, so a planted cookie is worth nothing.
    request.session.clear()
    request.session[USER_KEY] = viewer.user_id
    request.session[STAMP_KEY] = viewer.credential_stamp
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.session.get(CSRF_KEY)
    if not isinstance(expected, str) or not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def require_csrf(request: Request, submitted: str) -> None:
    if not csrf_ok(request, submitted):
        raise HTTPException(403, "The form's security token is missing or out of date.")


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this site, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/issues/"
