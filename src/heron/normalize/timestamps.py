"""Timestamps: unix seconds as float, from numbers or RFC 3339 / ISO 8601 strings."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

# Year 9999; anything later cannot be a real event time and breaks datetime conversions.
_MAX_TIMESTAMP = 253402300799.0


def parse_timestamp(value: Any) -> float | None:
    """Unix seconds from a number, a numeric string or an ISO date string; None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            return None
        return seconds if _in_range(seconds) else None
    if isinstance(value, str):
        return _parse_string(value.strip())
    return None


def _parse_string(value: str) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if _in_range(seconds) else None
    # Old SDKs send lower-case separators; fromisoformat only knows upper case.
    candidate = value.replace("z", "Z").replace("t", "T")
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # A naive timestamp from an SDK is UTC by protocol convention.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        seconds = parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return seconds if _in_range(seconds) else None


def _in_range(seconds: float) -> bool:
    return math.isfinite(seconds) and 0.0 <= seconds <= _MAX_TIMESTAMP
