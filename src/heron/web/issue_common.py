"""What the issue pages share: the viewer dependency, finding an issue, numbers and links."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request

from heron import query
from heron.query import Issue, Viewer
from heron.web.session import page_viewer

ViewerDep = Annotated[Viewer, Depends(page_viewer)]
PAGE_SIZE = 50


def find_issue(request: Request, viewer: Viewer, issue_id: str) -> Issue:
    """The viewer's issue with this id, else a 404 (also for another organization's)."""
    number = int_param(issue_id, 0)
    issue = query.get_issue(request.app.state.db, viewer, number) if number > 0 else None
    if issue is None:
        raise HTTPException(404, "No such issue")
    return issue


def int_param(value: str | None, default: int) -> int:
    """A non-negative whole number from a form or query value, else ``default``."""
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return max(number, 0)


def page_url(path: str, params: dict[str, str], *, offset: int = 0) -> str:
    """``path`` with the non-empty ``params`` (an empty ``query`` is kept: it means "all")."""
    values = {k: v for k, v in params.items() if v != ""}
    if "query" in params:
        values["query"] = params["query"]
    if offset:
        values["offset"] = str(offset)
    return f"{path}?{urlencode(values)}" if values else path


def back_to(target: str | None, default: str) -> str:
    """Where a form goes back to: a path of the issue pages, never another site."""
    if target and target.startswith("/issues/") and "\\" not in target and "//" not in target:
        return target
    return default
