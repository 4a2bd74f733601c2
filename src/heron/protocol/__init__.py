"""Sentry's wire format: DSNs, auth headers and envelope framing (pure, no I/O)."""

from heron.protocol.auth import AuthError, parse_auth_header, parse_dsn
from heron.protocol.envelope import (
    Envelope,
    EnvelopeError,
    Item,
    parse_envelope,
    serialize_envelope,
)
from heron.protocol.items import EVENT_ITEM_TYPES, ITEM_CATEGORIES, category_of

__all__ = [
    "EVENT_ITEM_TYPES",
    "ITEM_CATEGORIES",
    "AuthError",
    "Envelope",
    "EnvelopeError",
    "Item",
    "category_of",
    "parse_auth_header",
    "parse_dsn",
    "parse_envelope",
    "serialize_envelope",
]
