"""Who is looking: a viewer from an API token, a session's user id, or e-mail and password."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from sqlalchemy import Connection, select

from heron.query.models import Viewer
from heron.store import Database, tables
from heron.store import accounts as acc


def viewer_for_token(db: Database, token: str) -> Viewer | None:
    """The active user an API bearer token belongs to, or None."""
    if not token:
        return None
    with db.read() as conn:
        user = acc.user_for_token(conn, token)
        return _viewer(conn, user) if user else None


def viewer_for_user(db: Database, user_id: int) -> Viewer | None:
    """The viewer of a logged-in session; None once the user is gone or deactivated."""
    with db.read() as conn:
        row = conn.execute(select(tables.users).where(tables.users.c.id == user_id)).first()
        if row is None or not row.is_active:
            return None
        return _viewer(conn, dict(row._mapping))


def authenticate(db: Database, email: str, password: str) -> Viewer | None:
    """The viewer whose e-mail and password these are, or None (same answer for both)."""
    if "\x00" in email:
        return None
    with db.read() as conn:
        user = acc.user_by_email(conn, email)
        if user is None:
            # Spend the same time as a real check, so timing does not reveal who exists.
            acc.check_password(password, _dummy_hash())
            return None
        if not user["is_active"] or not acc.check_password(password, user["password_hash"]):
            return None
        return _viewer(conn, user)


def _viewer(conn: Connection, user: dict[str, Any]) -> Viewer:
    return Viewer(
        user_id=int(user["id"]),
        email=str(user["email"]),
        name=str(user["name"] or ""),
        is_superuser=bool(user["is_superuser"]),
        roles=acc.roles_of(conn, int(user["id"])),
        credential_stamp=hashlib.sha256(str(user["password_hash"]).encode()).hexdigest()[:16],
    )


@functools.cache
def _dummy_hash() -> str:
    return acc.hash_password("heron: no such user")
