"""Raw event JSON from any SDK → the canonical event dict the rest of Heron relies on."""

from __future__ import annotations

from typing import Any

from heron.normalize.breadcrumbs import normalize_breadcrumbs
from heron.normalize.coerce import nonempty_text, relay_text
from heron.normalize.display import add_display_fields
from heron.normalize.exception import (
    normalize_exceptions,
    normalize_threads,
    normalize_top_stacktrace,
)
from heron.normalize.ids import normalize_event_id
from heron.normalize.levels import normalize_level
from heron.normalize.logentry import normalize_logentry
from heron.normalize.request import normalize_request
from heron.normalize.tags import add_derived_tags, normalize_tags
from heron.normalize.timestamps import parse_timestamp
from heron.normalize.user import normalize_user

# raven-era interface names → current keys (the current key wins when both are sent).
_LEGACY_KEYS = {
    "sentry.interfaces.Http": "request",
    "sentry.interfaces.User": "user",
    "sentry.interfaces.Stacktrace": "stacktrace",
    "sentry.interfaces.Threads": "threads",
    "sentry.interfaces.Breadcrumbs": "breadcrumbs",
    "sentry.interfaces.Contexts": "contexts",
}

_STRING_ATTRIBUTES = ("logger", "transaction", "server_name", "release", "dist", "environment")

# Event types that are not inferred from the payload's content.
_EXPLICIT_TYPES = frozenset(
    {"transaction", "feedback", "csp", "hpkp", "expectct", "expectstaple", "nel", "generic"}
)


def normalize_event(
    raw: dict[str, Any],
    *,
    received_at: float,
    client_ip: str | None = None,
    event_id: str | None = None,
    platform: str | None = None,
) -> dict[str, Any]:
    """Canonical form of one raw event; never raises on JSON input.

    `event_id` (the envelope header's id) wins over the payload's; `platform` is used only
    when the payload has none. `raw` itself is not modified, but unchanged nested values
    are shared with the result.
    """
    event: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    for legacy, key in _LEGACY_KEYS.items():
        if legacy in event:
            value = event.pop(legacy)
            event.setdefault(key, value)

    event["event_id"] = normalize_event_id(event_id, event.get("event_id"))
    timestamp = parse_timestamp(event.get("timestamp"))
    event["timestamp"] = received_at if timestamp is None else timestamp
    event["received"] = received_at
    if "start_timestamp" in event:
        _set(event, "start_timestamp", parse_timestamp(event["start_timestamp"]))
    event["level"] = normalize_level(event.get("level"))
    event["platform"] = _platform(event.get("platform"), platform)
    for key in _STRING_ATTRIBUTES:
        if key in event:
            _set(event, key, nonempty_text(event[key]))

    normalize_logentry(event)
    normalize_exceptions(event)
    normalize_threads(event)
    normalize_top_stacktrace(event)
    _normalize_fingerprint(event)
    event["tags"] = normalize_tags(event.get("tags"))
    if "breadcrumbs" in event:
        _set(event, "breadcrumbs", normalize_breadcrumbs(event["breadcrumbs"]))
    if "contexts" in event:
        _set(event, "contexts", _contexts(event["contexts"]))
    if "request" in event:
        _set(event, "request", normalize_request(event["request"]))
    if "user" in event:
        _set(event, "user", normalize_user(event["user"], client_ip))

    event["type"] = _event_type(event)
    add_display_fields(event)
    add_derived_tags(event)
    return event


def _platform(value: Any, fallback: str | None) -> str:
    for candidate in (value, fallback):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip().lower()
    return "other"


def _normalize_fingerprint(event: dict[str, Any]) -> None:
    value = event.pop("fingerprint", None)
    if not isinstance(value, list):
        return
    # Relay's coercion (floats truncated, True/False) keeps hashes equal to Sentry's.
    fingerprint = [part for item in value if (part := relay_text(item)) is not None]
    if fingerprint:
        event["fingerprint"] = fingerprint


def _contexts(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    contexts: dict[str, Any] = {}
    for name, context in value.items():
        if isinstance(context, dict):
            context = dict(context)
            if not isinstance(context.get("type"), str) or not context["type"]:
                context["type"] = str(name)
            contexts[str(name)] = context
    return contexts


def _event_type(event: dict[str, Any]) -> str:
    declared = event.get("type")
    if isinstance(declared, str) and declared in _EXPLICIT_TYPES:
        return declared
    return "error" if "exception" in event else "default"


def _set(holder: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        holder.pop(key, None)
    else:
        holder[key] = value
