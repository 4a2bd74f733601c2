"""Tags as ``[key, value]`` string pairs, plus the tags Sentry derives from other fields."""

from __future__ import annotations

import re
from typing import Any

from heron.normalize.coerce import json_text, nonempty_text, text, truncate
from heron.normalize.request import url_without_query
from heron.normalize.user import user_key

MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 200

_URL_PASSWORD = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s]*):[^@/?#\s]*@")

# Plain event attributes that become tags of the same name.
_ATTRIBUTE_TAGS = (
    "level",
    "environment",
    "release",
    "dist",
    "logger",
    "server_name",
    "transaction",
)


def normalize_tags(value: Any) -> list[list[str]]:
    """Tags from a dict or a list of pairs; the first value of a repeated key wins."""
    if isinstance(value, dict):
        items: list[Any] = list(value.items())
    elif isinstance(value, list):
        items = value
    else:
        return []
    tags: list[list[str]] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, list | tuple) or len(item) != 2:
            continue
        key = (text(item[0]) or "").strip()
        tag_value = json_text(item[1])
        if not key or tag_value is None:
            continue
        key = truncate(key, MAX_KEY_LENGTH)
        if key not in seen:
            seen.add(key)
            tags.append([key, truncate(tag_value, MAX_VALUE_LENGTH)])
    return tags


def add_derived_tags(event: dict[str, Any]) -> None:
    """Append Sentry's derived tags (level, release, url, runtime, user, ...) not already set."""
    tags: list[list[str]] = event.setdefault("tags", [])
    present = {key for key, _ in tags}
    for key, value in _derived(event):
        if key not in present and value:
            present.add(key)
            tags.append([key, truncate(value, MAX_VALUE_LENGTH)])


def event_tags(event: dict[str, Any]) -> list[tuple[str, str]]:
    """The tags of a canonical event as tuples."""
    tags = event.get("tags")
    if isinstance(tags, dict):
        tags = list(tags.items())
    if not isinstance(tags, list):
        return []
    pairs = []
    for item in tags:
        if isinstance(item, list | tuple) and len(item) == 2:
            key, value = text(item[0]), text(item[1])
            if key is not None and value is not None:
                pairs.append((key, value))
    return pairs


def _derived(event: dict[str, Any]) -> list[tuple[str, str | None]]:
    derived: list[tuple[str, str | None]] = [
        (key, nonempty_text(event.get(key))) for key in _ATTRIBUTE_TAGS
    ]
    request = event.get("request")
    if isinstance(request, dict) and isinstance(request.get("url"), str):
        url = url_without_query(request["url"])
        derived.append(("url", _URL_PASSWORD.sub(r"\1:[Filtered]@", url)))
    mechanism = _last_mechanism(event)
    handled = mechanism.get("handled")
    if isinstance(handled, bool):
        derived.append(("handled", "yes" if handled else "no"))
    derived.append(("mechanism", nonempty_text(mechanism.get("type"))))
    for name in ("runtime", "os", "browser"):
        derived.append((name, _context_label(event, name)))
    derived.append(("user", user_key(event)))
    return derived


def _last_mechanism(event: dict[str, Any]) -> dict[str, Any]:
    exception = event.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else None
    if isinstance(values, list) and values and isinstance(values[-1], dict):
        mechanism = values[-1].get("mechanism")
        if isinstance(mechanism, dict):
            return mechanism
    return {}


def _context_label(event: dict[str, Any], name: str) -> str | None:
    contexts = event.get("contexts")
    context = contexts.get(name) if isinstance(contexts, dict) else None
    if not isinstance(context, dict):
        return None
    parts = [nonempty_text(context.get(field)) for field in ("name", "version")]
    label = " ".join(part.strip() for part in parts if part and part.strip())
    return label or None
