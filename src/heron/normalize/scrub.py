"""Server-side PII scrubbing of a canonical event, recorded in ``_meta`` the way Sentry does.

Key rules wipe whole values stored under sensitive names; value patterns (card numbers,
bearer tokens, URL passwords) replace only the matching part of a string. Source code,
file names, modules, functions and exception types are never touched: they are needed to
read the stack trace and group issues.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from heron.normalize.scrub_rules import (
    ALWAYS_FILTERED_HEADERS,
    FILTERED,
    PASSWORD_RULE,
    is_sensitive_key,
    is_sensitive_number_key,
    scrub_text,
)

Path = tuple[str, ...]
Remark = list[object]
# Where something was removed, Sentry-style remarks, and the original length if it was a string.
_Removal = tuple[Path, list[Remark], int | None]


class _Scrubber:
    """One scrubbing pass: walks the sensitive places and collects remarks for ``_meta``."""

    def __init__(self) -> None:
        self.remarks: list[_Removal] = []
        self._seen: set[int] = set()

    def filter_value(self, holder: Any, key: Any, value: Any, path: Path) -> None:
        """Replace ``holder[key]`` entirely."""
        holder[key] = FILTERED
        length = len(value) if isinstance(value, str) else None
        self.remarks.append((path, [[PASSWORD_RULE, "s"]], length))

    def text(self, holder: Any, key: Any, path: Path) -> None:
        """Apply the value patterns to the string ``holder[key]``."""
        value = holder.get(key) if isinstance(holder, dict) else holder[key]
        if not isinstance(value, str):
            return
        result = scrub_text(value)
        if result is not None:
            holder[key] = result[0]
            self.remarks.append((path, result[1], len(value)))

    def tree(self, root: Any, path: Path) -> None:
        """Apply key rules and value patterns to every value nested in `root`.

        This is the hot loop of scrubbing, hence the inlined type checks and paths that are
        only built when something is found.
        """
        stack: list[tuple[Any, Path]] = [(root, path)]
        seen = self._seen
        while stack:
            node, node_path = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            is_dict = isinstance(node, dict)
            # Values are replaced while iterating; the size never changes, so this is safe.
            for key, value in node.items() if is_dict else enumerate(node):
                kind = type(value)
                if kind is str:
                    if is_dict and value and is_sensitive_key(key) and value != FILTERED:
                        self.filter_value(node, key, value, (*node_path, str(key)))
                    elif len(value) >= 8:  # nothing shorter can hold a pattern
                        self.text(node, key, (*node_path, str(key)))
                elif kind is int or kind is float:
                    if is_dict and is_sensitive_number_key(key):
                        self.filter_value(node, key, value, (*node_path, str(key)))
                elif value is None or kind is bool:
                    continue
                elif isinstance(value, dict | list):
                    if is_dict and value and is_sensitive_key(key):
                        self.filter_value(node, key, value, (*node_path, str(key)))
                    else:
                        stack.append((value, (*node_path, str(key))))

    def pairs(self, pairs: Any, path: Path, *, filter_all: bool = False) -> None:
        """Scrub a ``[[key, value], ...]`` list (headers, cookies, query string)."""
        if not isinstance(pairs, list):
            return
        for index, pair in enumerate(pairs):
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[1], str):
                continue
            name = pair[0] if isinstance(pair[0], str) else str(pair[0])
            pair_path = (*path, str(index), "1")
            secret = filter_all or name.lower() in ALWAYS_FILTERED_HEADERS
            if (secret or is_sensitive_key(name)) and pair[1] not in ("", FILTERED):
                self.filter_value(pair, 1, pair[1], pair_path)
            else:
                self.text(pair, 1, pair_path)

    def request_data(self, request: dict[str, Any]) -> None:
        data = request.get("data")
        path = ("request", "data")
        if isinstance(data, dict | list):
            self.tree(data, path)
        elif isinstance(data, str):
            scrubbed = _scrub_encoded_body(data)
            if scrubbed is not None:
                request["data"] = scrubbed
                self.remarks.append((path, [[PASSWORD_RULE, "s"]], len(data)))
            self.text(request, "data", path)


# Trace and span ids are random hex: a run of digits in one is no card number, and linking
# errors to their traces needs them intact. Only id-shaped values are spared.
_ID = re.compile(r"^[0-9a-fA-F-]{16,36}$")
_TRACE_IDS = ("trace_id", "span_id", "parent_span_id")


def scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    """Filter secrets and PII out of a canonical event in place; returns the same dict."""
    contexts = event.get("contexts")
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    spared: dict[str, str] = {}
    if isinstance(trace, dict):
        for key in _TRACE_IDS:
            value = trace.get(key)
            if isinstance(value, str) and _ID.match(value):
                spared[key] = trace.pop(key)
    _scrub(event)
    if spared and isinstance(trace, dict):
        trace.update(spared)
    return event


def _scrub(event: dict[str, Any]) -> None:
    scrubber = _Scrubber()
    request = event.get("request")
    if isinstance(request, dict):
        scrubber.pairs(request.get("headers"), ("request", "headers"))
        scrubber.pairs(request.get("cookies"), ("request", "cookies"), filter_all=True)
        scrubber.pairs(request.get("query_string"), ("request", "query_string"))
        scrubber.request_data(request)
        if isinstance(request.get("env"), dict):
            scrubber.tree(request["env"], ("request", "env"))
        # A query string that is still a raw string (not pairs) only gets the value patterns.
        for key in ("url", "query_string"):
            scrubber.text(request, key, ("request", key))
    for key in ("extra", "contexts"):
        if isinstance(event.get(key), dict | list):
            scrubber.tree(event[key], (key,))
    user = event.get("user")
    if isinstance(user, dict) and isinstance(user.get("data"), dict | list):
        scrubber.tree(user["data"], ("user", "data"))
    _scrub_breadcrumbs(scrubber, event)
    _scrub_stacks(scrubber, event)
    _scrub_logentry(scrubber, event)
    if scrubber.remarks:
        _record_meta(event, scrubber.remarks)


def _scrub_breadcrumbs(scrubber: _Scrubber, event: dict[str, Any]) -> None:
    for index, crumb in _indexed(event.get("breadcrumbs")):
        path: Path = ("breadcrumbs", "values", index)
        scrubber.text(crumb, "message", (*path, "message"))
        if isinstance(crumb.get("data"), dict | list):
            scrubber.tree(crumb["data"], (*path, "data"))


def _scrub_stacks(scrubber: _Scrubber, event: dict[str, Any]) -> None:
    stacks: list[tuple[Any, Path]] = [(event.get("stacktrace"), ("stacktrace",))]
    for index, exc in _indexed(event.get("exception")):
        path: Path = ("exception", "values", index)
        scrubber.text(exc, "value", (*path, "value"))
        stacks.append((exc.get("stacktrace"), (*path, "stacktrace")))
        stacks.append((exc.get("raw_stacktrace"), (*path, "raw_stacktrace")))
    for index, thread in _indexed(event.get("threads")):
        path = ("threads", "values", index)
        stacks.append((thread.get("stacktrace"), (*path, "stacktrace")))
        stacks.append((thread.get("raw_stacktrace"), (*path, "raw_stacktrace")))
    for stacktrace, path in stacks:
        frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
        if not isinstance(frames, list):
            continue
        for position, frame in enumerate(frames):
            if isinstance(frame, dict) and isinstance(frame.get("vars"), dict | list):
                scrubber.tree(frame["vars"], (*path, "frames", str(position), "vars"))


def _scrub_logentry(scrubber: _Scrubber, event: dict[str, Any]) -> None:
    logentry = event.get("logentry")
    if not isinstance(logentry, dict):
        return
    scrubber.text(logentry, "formatted", ("logentry", "formatted"))
    params = logentry.get("params")
    if isinstance(params, list):
        # A card number in a parameter would otherwise survive next to the scrubbed text.
        for index in range(len(params)):
            scrubber.text(params, index, ("logentry", "params", str(index)))


def _indexed(container: Any) -> list[tuple[str, dict[str, Any]]]:
    values = container.get("values") if isinstance(container, dict) else None
    if not isinstance(values, list):
        return []
    return [(str(i), value) for i, value in enumerate(values) if isinstance(value, dict)]


def _scrub_encoded_body(body: str) -> str | None:
    """A raw JSON or form body with sensitive fields filtered; None if nothing changed."""
    stripped = body.strip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(stripped)
        except (ValueError, RecursionError):
            return None
        inner = _Scrubber()
        inner.tree(parsed, ())
        if not inner.remarks:
            return None
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
    if "=" not in stripped or any(char.isspace() for char in stripped):
        return None
    parts = stripped.split("&")
    changed = False
    for index, part in enumerate(parts):
        name, sep, value = part.partition("=")
        if sep and value and value != FILTERED and is_sensitive_key(unquote_plus(name)):
            parts[index] = f"{name}={FILTERED}"
            changed = True
    return "&".join(parts) if changed else None


def _record_meta(event: dict[str, Any], remarks: list[_Removal]) -> None:
    meta = event.get("_meta")
    if not isinstance(meta, dict):
        meta = event["_meta"] = {}
    for path, rem, length in remarks:
        node = meta
        for part in path:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        leaf = node.get("")
        if not isinstance(leaf, dict):
            leaf = node[""] = {}
        existing = leaf.get("rem")
        if isinstance(existing, list):
            existing.extend(rem)
        else:
            leaf["rem"] = list(rem)
        if length is not None:
            leaf.setdefault("len", length)
