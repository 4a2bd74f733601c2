"""Decide what of an envelope is accepted: framing, item sizes, JSON, event id, rate limits.

This is the only look inside an envelope that ingest takes; everything else is the digest's.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from heron.inbox import OutcomeRecord
from heron.ingest.errors import BadRequest, PayloadTooLarge
from heron.ingest.ratelimit import LIMITED_CATEGORIES
from heron.protocol import (
    EVENT_ITEM_TYPES,
    Envelope,
    EnvelopeError,
    Item,
    category_of,
    parse_envelope,
    serialize_envelope,
)

# JSON item types whose payload must at least parse; others are opaque bytes here.
_JSON_ITEMS = EVENT_ITEM_TYPES | {
    "session",
    "sessions",
    "client_report",
    "check_in",
    "log",
    "span",
    "trace_metric",
    "user_report",
    "user_feedback",
    "replay_event",
}


def _normal_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return None


def check_envelope(body: bytes, max_event_bytes: int) -> tuple[Envelope, str | None]:
    """Parse and validate; raise BadRequest or PayloadTooLarge.

    Returns the envelope and the ``event_id`` inside its first event payload (read while the
    JSON is parsed for validation anyway, so it is never parsed twice).
    """
    try:
        envelope = parse_envelope(body)
    except EnvelopeError as exc:
        raise BadRequest(f"invalid envelope: {exc}") from None
    payload_id: str | None = None
    for item in envelope.items:
        if item.type in EVENT_ITEM_TYPES and len(item.payload) > max_event_bytes:
            raise PayloadTooLarge(f"{item.type} item exceeds {max_event_bytes} bytes")
        if item.type in _JSON_ITEMS:
            try:
                value = orjson.loads(item.payload)
            except orjson.JSONDecodeError as exc:
                raise BadRequest(f"invalid JSON in {item.type} item: {exc}") from None
            if item.type in EVENT_ITEM_TYPES:
                if not isinstance(value, dict):
                    raise BadRequest(f"{item.type} item is not a JSON object")
                if payload_id is None:
                    payload_id = _normal_id(value.get("event_id"))
    return envelope, payload_id


def assign_event_id(envelope: Envelope, payload_id: str | None) -> tuple[str | None, bool]:
    """The envelope's event id (header wins, then the event payload, else a new one).

    Returns (event_id, changed): ``changed`` means the header had to be rewritten.
    """
    header_id = envelope.headers.get("event_id")
    event_id = _normal_id(header_id)
    if event_id is not None:
        return event_id, False
    has_event = any(item.type in EVENT_ITEM_TYPES for item in envelope.items)
    if not has_event:
        return None, False
    envelope.headers["event_id"] = payload_id or uuid.uuid4().hex
    return envelope.headers["event_id"], True


def limit_items(
    envelope: Envelope, project_id: int, admitted: int, reason: str
) -> tuple[int, list[OutcomeRecord]]:
    """Drop rate-limited items beyond the ``admitted`` count; return (dropped, outcomes)."""
    kept = []
    outcomes = []
    dropped = 0
    for item in envelope.items:
        category = category_of(item.type)
        if category in LIMITED_CATEGORIES:
            if admitted > 0:
                admitted -= 1
            else:
                dropped += 1
                outcomes.append(OutcomeRecord(project_id, "rate_limited", category, reason))
                continue
        kept.append(item)
    envelope.items = kept
    return dropped, outcomes


def limited_quantity(envelope: Envelope) -> int:
    return sum(1 for item in envelope.items if category_of(item.type) in LIMITED_CATEGORIES)


def store_to_envelope(body: bytes, max_event_bytes: int) -> Envelope:
    """Wrap a legacy /store/ event body as a one-item envelope."""
    if len(body) > max_event_bytes:
        raise PayloadTooLarge(f"event exceeds {max_event_bytes} bytes")
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"invalid JSON: {exc}") from None
    if not isinstance(event, dict):
        raise BadRequest("event is not a JSON object")
    item_type = "transaction" if event.get("type") == "transaction" else "event"
    header: dict[str, Any] = {}
    event_id = _normal_id(event.get("event_id"))
    if event_id:
        header["event_id"] = event_id
    return Envelope(header, [Item({"type": item_type}, body)])


def reserialize(envelope: Envelope) -> bytes:
    return serialize_envelope(envelope)
