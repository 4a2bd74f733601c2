"""Breadcrumbs: ``{"values": [...]}`` with float timestamps and canonical levels."""

from __future__ import annotations

from typing import Any

from heron.normalize.coerce import json_text, nonempty_text
from heron.normalize.levels import normalize_level
from heron.normalize.timestamps import parse_timestamp


def normalize_breadcrumbs(value: Any) -> dict[str, Any] | None:
    """Normalise a breadcrumbs container (a bare list is accepted); None if unusable."""
    if isinstance(value, dict):
        value = value.get("values")
    if not isinstance(value, list):
        return None
    return {"values": [_crumb(item) for item in value if isinstance(item, dict)]}


def _crumb(item: dict[str, Any]) -> dict[str, Any]:
    crumb = dict(item)
    timestamp = parse_timestamp(crumb.get("timestamp"))
    if timestamp is None:
        crumb.pop("timestamp", None)
    else:
        crumb["timestamp"] = timestamp
    # Sentry shows a crumb without a level as "info", unlike events which default to "error".
    crumb["level"] = normalize_level(crumb.get("level"), default="info")
    crumb["type"] = nonempty_text(crumb.get("type")) or "default"
    for key, convert in (("category", nonempty_text), ("message", json_text)):
        if key in crumb:
            rendered = convert(crumb[key])
            if rendered is None:
                del crumb[key]
            else:
                crumb[key] = rendered
    if "data" in crumb and not isinstance(crumb["data"], dict):
        del crumb["data"]
    return crumb
