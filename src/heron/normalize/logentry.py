"""The log entry (message) of an event: ``{"message", "params", "formatted"}``."""

from __future__ import annotations

from typing import Any

from heron.normalize.coerce import json_text, nonempty_text
from heron.normalize.formatting import format_message

# Where clients have put the message over the years, most specific first.
_SOURCES = ("logentry", "sentry.interfaces.Message", "message")


def normalize_logentry(event: dict[str, Any]) -> None:
    """Replace every message spelling in `event` with one canonical ``logentry`` (or none)."""
    entry: dict[str, Any] | None = None
    for key in _SOURCES:
        value = event.pop(key, None)
        if entry is None:
            entry = _entry_from(value)
    if entry is not None:
        event["logentry"] = entry


def _entry_from(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        message = _message_text(value.get("message"))
        formatted = _message_text(value.get("formatted"))
        params = value.get("params")
    else:
        message, formatted, params = _message_text(value), None, None
    if message is None:
        message = formatted
    if message is None:
        return None
    if isinstance(params, dict):
        param_list = list(params.values())
    elif isinstance(params, list | tuple):
        param_list = list(params)
    else:
        params, param_list = None, []
    if formatted is None:
        applied = format_message(message, params) if params else None
        formatted = message if applied is None else applied
    return {"message": message, "params": param_list, "formatted": formatted}


def _message_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict | list):
        return json_text(value) if value else None
    return nonempty_text(value)
