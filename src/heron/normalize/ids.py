"""Event ids: 32 lowercase hex characters."""

from __future__ import annotations

import uuid
from typing import Any


def parse_event_id(value: Any) -> str | None:
    """Return `value` as 32 lowercase hex if it is a UUID in any common spelling, else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        # UUID() accepts plain hex, dashed, braced and urn:uuid: forms.
        return uuid.UUID(value.strip()).hex
    except ValueError:
        return None


def normalize_event_id(*candidates: Any) -> str:
    """The first valid id among `candidates`, or a fresh random one."""
    for candidate in candidates:
        parsed = parse_event_id(candidate)
        if parsed is not None:
            return parsed
    return uuid.uuid4().hex
