"""Event and breadcrumb severity levels."""

from __future__ import annotations

from typing import Any

from heron.normalize.coerce import as_int

LEVELS = ("fatal", "error", "warning", "info", "debug")

_ALIASES = {
    "warn": "warning",
    "critical": "fatal",
    "err": "error",
    "trace": "debug",
    "log": "info",
}

# Python's logging numbers, which raven clients sent as is.
_NUMERIC = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "fatal"}


def parse_level(value: Any) -> str | None:
    """A canonical level name from a name, an alias or a logging number; None if unknown."""
    if isinstance(value, str):
        name = value.strip().lower()
        if name in LEVELS:
            return name
        if name in _ALIASES:
            return _ALIASES[name]
    number = as_int(value)
    if number is not None:
        return _NUMERIC.get(number)
    return None


def normalize_level(value: Any, default: str = "error") -> str:
    """`parse_level` with a fallback."""
    return parse_level(value) or default
