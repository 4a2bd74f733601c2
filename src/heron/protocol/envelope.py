"""Envelope framing: ``Header { "\\n" ItemHeader "\\n" Payload } [ "\\n" ]``.

Both framing styles occur in the wild: Python sets ``length`` on every item, ``@sentry/node``
omits it for JSON items, and then the payload runs to the next newline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


class EnvelopeError(ValueError):
    """The bytes are not a well-formed envelope."""


@dataclass
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        return str(self.headers.get("type") or "")


@dataclass
class Envelope:
    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"invalid {what}: {exc}") from None
    if not isinstance(value, dict):
        raise EnvelopeError(f"invalid {what}: not a JSON object")
    return value


def parse_envelope(data: bytes) -> Envelope:
    """Split an envelope into its header and items; raise EnvelopeError when malformed."""
    end = data.find(b"\n")
    if end < 0:
        end = len(data)
    header_line = data[:end].strip()
    if not header_line:
        raise EnvelopeError("empty envelope")
    envelope = Envelope(_json_object(header_line, "envelope header"))
    pos = end + 1
    size = len(data)
    while pos < size:
        end = data.find(b"\n", pos)
        if end < 0:
            end = size
        line = data[pos:end]
        if not line.strip():
            # Blank lines between items are tolerated (a trailing newline is common).
            pos = end + 1
            continue
        headers = _json_object(line, "item header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise EnvelopeError("item header without a type")
        pos = end + 1
        length = headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise EnvelopeError("item length is not a non-negative integer")
            if pos + length > size:
                raise EnvelopeError("item payload shorter than its length")
            payload = data[pos : pos + length]
            pos += length
            if pos < size:
                if data[pos : pos + 1] != b"\n":
                    raise EnvelopeError("item payload not followed by a newline")
                pos += 1
        else:
            end = data.find(b"\n", pos)
            if end < 0:
                end = size
            payload = data[pos:end]
            pos = end + 1
        envelope.items.append(Item(headers, payload))
    return envelope


def serialize_envelope(envelope: Envelope) -> bytes:
    """Write an envelope back with an explicit ``length`` on every item."""
    parts = [orjson.dumps(envelope.headers)]
    for item in envelope.items:
        headers = dict(item.headers)
        headers["length"] = len(item.payload)
        parts.append(orjson.dumps(headers))
        parts.append(item.payload)
    return b"\n".join(parts) + b"\n"
