"""One place that turns failures into responses: JSON under /api/, an HTML page elsewhere."""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException

from heron.actions import ActionError, NotFoundError, PermissionDenied
from heron.web.session import LoginRequired, current_viewer
from heron.web.templating import render

log = logging.getLogger("heron.web")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(NotFoundError, _action_error)
    app.add_exception_handler(PermissionDenied, _action_error)
    app.add_exception_handler(ActionError, _action_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Exception, _server_error)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return await http_exception_handler(request, exc)
    viewer = current_viewer(request) if exc.status_code != 401 else None
    return error_page(request, exc.status_code, str(exc.detail), viewer=viewer)


async def _action_error(request: Request, exc: Exception) -> Response:
    """What people asked for could not be done: 404 when a thing is missing, 403 when the
    person's role does not allow it, else 400."""
    if isinstance(exc, PermissionDenied):
        return await _http_error(request, HTTPException(403, str(exc)))
    if isinstance(exc, NotFoundError):
        detail = "The requested resource does not exist" if _wants_json(request) else str(exc)
        return await _http_error(request, HTTPException(404, detail))
    return await _http_error(request, HTTPException(400, str(exc)))


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse("/login?next=" + quote(exc.next_url, safe="/"), status_code=302)


async def _server_error(request: Request, exc: Exception) -> Response:
    # Logged with its traceback for the operator; the person sees a plain page.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
    return error_page(request, 500, "Something went wrong on our side.")


def error_page(request: Request, status: int, message: str, *, viewer: object = None) -> Response:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    if status == 404:
        message = "There is nothing here, or it is not yours to see."
    context = {"status": status, "title": title, "message": message}
    return render(request, "error.html", context, status_code=status, viewer=viewer)
