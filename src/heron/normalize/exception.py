"""Exceptions, threads and the legacy top-level stack trace."""

from __future__ import annotations

from typing import Any

from heron.normalize.coerce import json_text, nonempty_text, text
from heron.normalize.stacktrace import normalize_stacktrace


def normalize_exceptions(event: dict[str, Any]) -> None:
    """Turn any spelling of ``exception`` into ``{"values": [...]}``; drop it when empty."""
    raw = event.pop("exception", None)
    legacy = event.pop("sentry.interfaces.Exception", None)
    if raw is None:
        raw = legacy
    values = [exc for item in _values(raw) if (exc := _normalize_one(item)) is not None]
    if values:
        event["exception"] = {"values": values}


def normalize_threads(event: dict[str, Any]) -> None:
    """Normalise ``threads.values[].stacktrace``; drop ``threads`` when unusable."""
    raw = event.pop("threads", None)
    threads = []
    for item in _values(raw):
        if not isinstance(item, dict):
            continue
        thread = dict(item)
        for key in ("stacktrace", "raw_stacktrace"):
            _normalize_stack_field(thread, key)
        if "name" in thread:
            _set(thread, "name", text(thread["name"]))
        threads.append(thread)
    if threads:
        event["threads"] = {"values": threads}


def normalize_top_stacktrace(event: dict[str, Any]) -> None:
    """The legacy top-level ``stacktrace`` (no exception attached), normalised in place."""
    _normalize_stack_field(event, "stacktrace")


def _values(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict):
        if "values" in raw:
            values = raw["values"]
            if isinstance(values, list):
                return values
            return [values] if isinstance(values, dict) else []
        # A single exception (or thread) object sent without the wrapper.
        return [raw]
    return []


def _normalize_one(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    exc = dict(item)
    exc_type = nonempty_text(exc.get("type"))
    exc_value = json_text(exc.get("value"))
    if not exc_type and not exc_value:
        return None
    _set(exc, "type", exc_type)
    _set(exc, "value", exc_value)
    if "module" in exc:
        _set(exc, "module", nonempty_text(exc["module"]))
    mechanism = exc.get("mechanism")
    if isinstance(mechanism, str) and mechanism:
        exc["mechanism"] = {"type": mechanism}
    elif "mechanism" in exc and not isinstance(mechanism, dict):
        del exc["mechanism"]
    for key in ("stacktrace", "raw_stacktrace"):
        _normalize_stack_field(exc, key)
    return exc


def _normalize_stack_field(holder: dict[str, Any], key: str) -> None:
    if key in holder:
        _set(holder, key, normalize_stacktrace(holder[key]))


def _set(holder: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        holder.pop(key, None)
    else:
        holder[key] = value
