"""A stored event in the shape of Sentry's event API, with its ``entries``."""

from __future__ import annotations

from typing import Any

from heron.api.serialize import iso, release_json
from heron.query import Event


def event_json(event: Event, *, full: bool = True) -> dict[str, Any]:
    """The event; ``full`` adds the entries, contexts and the rest of the detail."""
    data = event.data
    metadata = _dict(data.get("metadata"))
    body: dict[str, Any] = {
        "id": event.event_id,
        "eventID": event.event_id,
        "groupID": str(event.issue_id) if event.issue_id is not None else None,
        "projectID": str(event.project_id),
        "dateCreated": iso(event.timestamp),
        "dateReceived": iso(event.received_at),
        "message": message_of(data) or event.title,
        "title": data.get("title") or event.title,
        "culprit": data.get("culprit") or "",
        "location": _location(data, metadata),
        "platform": data.get("platform") or "other",
        "type": "error" if _exceptions(data) else event.type,
        "event.type": "error" if _exceptions(data) else event.type,
        "tags": tags_of(data),
        "user": user_of(data),
    }
    if not full:
        return body
    grouping = _dict(data.get("_grouping"))
    body.update(
        {
            "level": data.get("level") or event.level,
            "logger": data.get("logger"),
            "contexts": data.get("contexts") or {},
            "context": data.get("extra") or {},
            "sdk": data.get("sdk"),
            "release": release_json(data.get("release") or event.release),
            "environment": data.get("environment") or event.environment,
            "dist": data.get("dist"),
            "fingerprints": list(grouping.get("hashes") or []),
            "groupingConfig": {"id": grouping.get("strategy"), "enhancements": ""},
            "metadata": metadata,
            "packages": data.get("modules") or {},
            "errors": data.get("errors") or [],
            "entries": entries_of(data),
            "size": None,
            "crashFile": None,
            "occurrence": None,
            "userReport": None,
            "sdkUpdates": [],
            "_meta": {},
        }
    )
    return body


def message_of(data: dict[str, Any]) -> str | None:
    logentry = data.get("logentry")
    if isinstance(logentry, dict):
        return logentry.get("formatted") or logentry.get("message")
    message = data.get("message")
    return message if isinstance(message, str) and message else None


def tags_of(data: dict[str, Any]) -> list[dict[str, str]]:
    tags = data.get("tags") or []
    pairs = tags.items() if isinstance(tags, dict) else tags
    out = []
    for pair in pairs:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            out.append({"key": str(pair[0]), "value": str(pair[1])})
    return out


def user_of(data: dict[str, Any]) -> dict[str, Any] | None:
    user = data.get("user")
    if not isinstance(user, dict) or not user:
        return None
    return {
        "id": user.get("id"),
        "email": user.get("email"),
        "username": user.get("username"),
        "ip_address": user.get("ip_address"),
        "name": user.get("name") or user.get("username") or user.get("email"),
        "geo": user.get("geo"),
        "data": user.get("data"),
    }


def entries_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    exceptions = _exceptions(data)
    if exceptions:
        values = [_exception(e) for e in exceptions]
        entries.append(
            {
                "type": "exception",
                "data": {
                    "values": values,
                    "hasSystemFrames": any(
                        (v["stacktrace"] or {}).get("hasSystemFrames") for v in values
                    ),
                    "excOmitted": None,
                },
            }
        )
    logentry = data.get("logentry")
    if isinstance(logentry, dict):
        entries.append(
            {
                "type": "message",
                "data": {
                    "formatted": logentry.get("formatted") or logentry.get("message"),
                    "message": logentry.get("message"),
                    "params": logentry.get("params"),
                },
            }
        )
    crumbs = _values(data.get("breadcrumbs"))
    if crumbs:
        entries.append({"type": "breadcrumbs", "data": {"values": [_crumb(c) for c in crumbs]}})
    request = data.get("request")
    if isinstance(request, dict) and request:
        entries.append({"type": "request", "data": _request(request)})
    return entries


def _exceptions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in _values(data.get("exception")) if isinstance(e, dict)]


def _values(container: Any) -> list[Any]:
    if isinstance(container, dict):
        values = container.get("values")
        return values if isinstance(values, list) else []
    return container if isinstance(container, list) else []


def _exception(exc: dict[str, Any]) -> dict[str, Any]:
    stacktrace = exc.get("stacktrace")
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    converted = [_frame(f) for f in frames if isinstance(f, dict)] if frames else []
    return {
        "type": exc.get("type"),
        "value": exc.get("value"),
        "module": exc.get("module"),
        "mechanism": exc.get("mechanism"),
        "threadId": exc.get("thread_id"),
        "rawStacktrace": None,
        "stacktrace": (
            {
                "frames": converted,
                "framesOmitted": None,
                "registers": None,
                "hasSystemFrames": any(not f["inApp"] for f in converted),
            }
            if converted
            else None
        ),
    }


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    return {
        "filename": frame.get("filename"),
        "absPath": frame.get("abs_path"),
        "module": frame.get("module"),
        "package": frame.get("package"),
        "platform": frame.get("platform"),
        "function": frame.get("function"),
        "rawFunction": frame.get("raw_function"),
        "symbol": frame.get("symbol"),
        "instructionAddr": frame.get("instruction_addr"),
        "symbolAddr": frame.get("symbol_addr"),
        "context": context_lines(frame),
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": frame.get("vars"),
    }


def context_lines(frame: dict[str, Any]) -> list[list[Any]]:
    """``[[lineno, line], …]`` around the frame's line, as Sentry's API lists context."""
    lineno = frame.get("lineno")
    line = frame.get("context_line")
    if not isinstance(lineno, int) or line is None:
        return []
    pre = [str(x) for x in frame.get("pre_context") or []]
    post = [str(x) for x in frame.get("post_context") or []]
    start = lineno - len(pre)
    lines = [*pre, str(line), *post]
    return [[start + i, text] for i, text in enumerate(lines)]


def _crumb(crumb: Any) -> dict[str, Any]:
    crumb = crumb if isinstance(crumb, dict) else {}
    timestamp = crumb.get("timestamp")
    return {
        "type": crumb.get("type") or "default",
        "category": crumb.get("category"),
        "level": crumb.get("level") or "info",
        "message": crumb.get("message"),
        "data": crumb.get("data"),
        "timestamp": iso(timestamp) if isinstance(timestamp, int | float) else timestamp,
        "event_id": None,
    }


def _request(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": request.get("url"),
        "method": request.get("method"),
        "headers": request.get("headers") or [],
        "query": request.get("query_string") or [],
        "cookies": request.get("cookies") or [],
        "data": request.get("data"),
        "env": request.get("env"),
        "fragment": request.get("fragment"),
        "inferredContentType": request.get("inferred_content_type"),
        "apiTarget": None,
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _location(data: dict[str, Any], metadata: dict[str, Any]) -> str | None:
    filename = metadata.get("filename")
    if isinstance(filename, str) and filename:
        return filename
    transaction = data.get("transaction")
    return transaction if isinstance(transaction, str) and transaction else None
