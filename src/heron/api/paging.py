"""Sentry-style cursor pagination: ``cursor`` in, ``Link`` header out.

A cursor reads ``<value>:<offset>:<is_prev>``. Heron pages by row offset, so ``value`` is
always 0 and ``offset`` is the first row of the page; ``is_prev`` marks a link that goes
backwards. Clients never build cursors, they follow the ``Link`` header::

    <url?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1",
    <url?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request

from heron.query import Page

MAX_LIMIT = 100


@dataclass(frozen=True)
class PageRequest:
    offset: int
    limit: int


def page_request(request: Request, *, default_limit: int = 100) -> PageRequest:
    """Offset and limit from ``cursor`` and ``per_page``/``limit``; 400 when malformed."""
    params = request.query_params
    raw_limit = params.get("per_page") or params.get("limit")
    limit = default_limit
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise HTTPException(400, f"invalid per_page {raw_limit!r}") from None
        if limit < 1:
            raise HTTPException(400, "per_page must be at least 1")
    return PageRequest(offset=parse_cursor(params.get("cursor")), limit=min(limit, MAX_LIMIT))


def parse_cursor(cursor: str | None) -> int:
    """The row offset a cursor points at (0 for none)."""
    if not cursor:
        return 0
    parts = cursor.split(":")
    try:
        if len(parts) != 3 or parts[2] not in ("0", "1"):
            raise ValueError
        float(parts[0])
        offset = int(parts[1])
    except ValueError:
        raise HTTPException(400, f"invalid cursor {cursor!r}") from None
    if offset < 0:
        raise HTTPException(400, f"invalid cursor {cursor!r}")
    return offset


def link_header(request: Request, page: Page[Any]) -> str:
    """The ``Link`` header for ``page``: a previous and a next link, each with ``results``."""
    previous = f"0:{max(page.offset - page.limit, 0)}:1"
    following = f"0:{page.offset + page.limit}:0"
    return ", ".join(
        [
            _link(request, "previous", previous, page.has_previous),
            _link(request, "next", following, page.has_next),
        ]
    )


def _link(request: Request, rel: str, cursor: str, results: bool) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    url = str(request.url.replace(query=urlencode(params)))
    return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cursor}"'
