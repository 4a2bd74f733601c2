"""Where an SDK's public key arrives: the X-Sentry-Auth header, a DSN, a query string."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


class AuthError(ValueError):
    """Credentials that cannot be read."""


def parse_auth_header(value: str) -> dict[str, str]:
    """Parse ``Sentry sentry_key=…, sentry_version=7`` into its pairs.

    The ``Sentry`` prefix is optional and matched case-insensitively; pairs are separated by
    commas with optional spaces.
    """
    text = value.strip()
    if text[:7].lower() == "sentry ":
        text = text[7:]
    pairs: dict[str, str] = {}
    for part in text.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            continue
        pairs[key.strip().lower()] = val.strip()
    return pairs


@dataclass(frozen=True)
class Dsn:
    public_key: str
    project_id: str
    host: str


def parse_dsn(dsn: str) -> Dsn:
    """Split a DSN ``scheme://key[:secret]@host[:port][/prefix]/project_id``."""
    try:
        parts = urlsplit(dsn)
    except ValueError as exc:
        raise AuthError(f"invalid dsn: {exc}") from exc
    if not parts.scheme or not parts.username or not parts.hostname:
        raise AuthError("invalid dsn: missing key or host")
    project_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not project_id:
        raise AuthError("invalid dsn: missing project id")
    return Dsn(public_key=parts.username, project_id=project_id, host=parts.netloc)
