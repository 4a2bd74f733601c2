"""The ``request`` interface: headers, cookies and query strings as ``[key, value]`` pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from heron.normalize.coerce import json_text, text

Pairs = list[list[str]]


def normalize_request(value: Any) -> dict[str, Any] | None:
    """A request dict with pair lists, an upper-case method and the URL's query split off."""
    if not isinstance(value, dict):
        return None
    request = dict(value)
    for key in ("url", "method", "fragment"):
        if key in request:
            _set(request, key, text(request[key]) or None)
    if "method" in request:
        request["method"] = request["method"].upper()
    _split_url(request)
    if "headers" in request:
        request["headers"] = _pairs(request["headers"], _parse_header_block)
    if request.get("cookies") is not None:
        request["cookies"] = _pairs(request["cookies"], parse_cookie_header)
    elif cookie_header := _header(request.get("headers"), "cookie"):
        # Old SDKs send cookies only as a header; split them out so they show and scrub per name.
        request["cookies"] = parse_cookie_header(cookie_header)
    else:
        request.pop("cookies", None)
    if "query_string" in request:
        request["query_string"] = _pairs(request["query_string"], parse_query_string)
    if "env" in request and not isinstance(request["env"], dict):
        del request["env"]
    return request


def parse_cookie_header(value: str) -> Pairs:
    """``a=1; b=2`` → ``[["a", "1"], ["b", "2"]]`` (lenient: no quoting rules)."""
    pairs = []
    for part in value.split(";"):
        name, sep, cookie = part.partition("=")
        name = name.strip()
        if name:
            pairs.append([name, cookie.strip() if sep else ""])
    return pairs


def parse_query_string(value: str) -> Pairs:
    """``?a=1&b=2`` → ``[["a", "1"], ["b", "2"]]``, percent-decoded."""
    return [[k, v] for k, v in parse_qsl(value.lstrip("?"), keep_blank_values=True) if k]


def url_without_query(url: str) -> str:
    """`url` without query string and fragment."""
    return url.partition("#")[0].partition("?")[0]


def _split_url(request: dict[str, Any]) -> None:
    url = request.get("url")
    if not isinstance(url, str):
        return
    rest, has_hash, fragment = url.partition("#")
    base, has_query, query = rest.partition("?")
    if (has_query and request.get("query_string")) or (has_hash and request.get("fragment")):
        # The client split the URL its own way; keep what it sent rather than lose a part.
        return
    if has_query:
        request["query_string"] = query
    if has_hash:
        request["fragment"] = fragment
    request["url"] = base


def _parse_header_block(value: str) -> Pairs:
    pairs = []
    for line in value.splitlines():
        name, sep, header = line.partition(":")
        if sep and name.strip():
            pairs.append([name.strip(), header.strip()])
    return pairs


def _pairs(value: Any, parse_string: Callable[[str], Pairs]) -> Pairs:
    if isinstance(value, str):
        return parse_string(value)
    if isinstance(value, dict):
        items: list[Any] = list(value.items())
    elif isinstance(value, list):
        items = value
    else:
        return []
    pairs = []
    for item in items:
        if not isinstance(item, list | tuple) or len(item) != 2:
            continue
        key = text(item[0])
        if not key:
            continue
        values = item[1] if isinstance(item[1], list) else [item[1]]
        for raw in values:
            rendered = json_text(raw)
            if rendered is not None:
                pairs.append([key, rendered])
    return pairs


def _header(headers: Any, name: str) -> str | None:
    if isinstance(headers, list):
        for key, value in headers:
            if key.lower() == name:
                return str(value)
    return None


def _set(holder: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        del holder[key]
    else:
        holder[key] = value
