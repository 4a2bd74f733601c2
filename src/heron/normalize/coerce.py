"""Lenient conversions of arbitrary JSON values into the types the canonical event promises."""

from __future__ import annotations

import json
import math
from typing import Any

# Floats beyond this cannot round-trip through JSON integers, so Relay rejects them.
_MAX_EXACT_FLOAT = float(2**53)


def text(value: Any) -> str | None:
    """`str()` of a scalar (bools as ``True``/``False``); None for null, containers, NaN/inf."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        if value.is_integer() and abs(value) < _MAX_EXACT_FLOAT:
            return str(int(value))
        return str(value)
    return None


def nonempty_text(value: Any) -> str | None:
    """Like `text` but an empty string counts as missing."""
    result = text(value)
    return result if result else None


def relay_text(value: Any) -> str | None:
    """Relay's lenient string: `text`, but floats are truncated (``3.5`` → ``"3"``).

    Only used where Sentry-compatible output matters byte for byte (fingerprints feed hashes).
    """
    if isinstance(value, float):
        return str(int(value)) if abs(value) < _MAX_EXACT_FLOAT else None
    return text(value)


def json_text(value: Any) -> str | None:
    """`text` for scalars, compact JSON for lists and dicts."""
    if isinstance(value, dict | list):
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            return None
    return text(value)


def as_int(value: Any) -> int | None:
    """An int from an int, an integral float or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def truncate(value: str, limit: int) -> str:
    """Cut `value` to at most `limit` characters, marking the cut with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: limit - 1] + "\u2026"


def first_line(value: str) -> str:
    """The first non-blank line of `value`, stripped."""
    for line in value.splitlines():
        if line.strip():
            return line.strip()
    return ""
