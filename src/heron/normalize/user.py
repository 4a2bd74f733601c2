"""The ``user`` interface and the identity used to count affected users."""

from __future__ import annotations

from typing import Any

from heron.normalize.coerce import nonempty_text

_AUTO_IP = "{{auto}}"
_IDENTITY_FIELDS = (
    ("id", "id"),
    ("email", "email"),
    ("username", "username"),
    ("ip", "ip_address"),
)


def normalize_user(value: Any, client_ip: str | None) -> dict[str, Any] | None:
    """A user dict with string identity fields and ``{{auto}}`` resolved; None if unusable."""
    if not isinstance(value, dict):
        return None
    user = dict(value)
    for key in ("id", "email", "username", "name", "ip_address", "segment"):
        if key in user:
            text = nonempty_text(user[key])
            if text is None:
                del user[key]
            else:
                user[key] = text
    if user.get("ip_address") == _AUTO_IP:
        if client_ip:
            user["ip_address"] = client_ip
        else:
            del user["ip_address"]
    if "data" in user and not isinstance(user["data"], dict):
        del user["data"]
    return user or None


def user_key(event: dict[str, Any]) -> str | None:
    """``id:``/``email:``/``username:``/``ip:`` plus the first identity the user has, else None."""
    user = event.get("user")
    if not isinstance(user, dict):
        return None
    for label, field in _IDENTITY_FIELDS:
        value = nonempty_text(user.get(field))
        if value is not None and value != _AUTO_IP:
            return f"{label}:{value}"
    return None
