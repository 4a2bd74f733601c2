"""Invitations to an organization: a random token in a link, only its hash stored here."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, delete, select, update

from heron.store.accounts import hash_token
from heron.store.tables import invites


def create_invite(
    conn: Connection,
    organization_id: int,
    email: str,
    role: str,
    *,
    invited_by: int | None,
    now: float,
    lifetime: float,
) -> tuple[int, str]:
    """Store an invitation valid for ``lifetime`` seconds; returns its id and the token."""
    token = secrets.token_urlsafe(32)
    result = conn.execute(
        invites.insert().values(
            organization_id=organization_id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return int(result.inserted_primary_key[0]), token  # type: ignore[index]


def usable_invite(conn: Connection, token: str, now: float) -> dict[str, Any] | None:
    """The invitation this token opens, unless it is unknown, used or expired."""
    row = conn.execute(
        select(invites).where(
            invites.c.token_hash == hash_token(token),
            invites.c.accepted_at.is_(None),
            invites.c.expires_at > now,
        )
    ).first()
    return dict(row._mapping) if row else None


def mark_accepted(conn: Connection, invite_id: int, now: float) -> bool:
    """Use the invitation up; False when it was used already (a concurrent accept)."""
    result = conn.execute(
        update(invites)
        .where(invites.c.id == invite_id, invites.c.accepted_at.is_(None))
        .values(accepted_at=now)
    )
    return bool(result.rowcount)


def delete_pending(conn: Connection, organization_id: int, *, email: str) -> None:
    """Drop the organization's unused invitations for this e-mail (a new one replaces them)."""
    conn.execute(
        delete(invites).where(
            invites.c.organization_id == organization_id,
            invites.c.email == email,
            invites.c.accepted_at.is_(None),
        )
    )


def delete_invite(conn: Connection, organization_id: int, invite_id: int) -> bool:
    """Revoke an unused invitation; False when the organization has no such invitation."""
    result = conn.execute(
        delete(invites).where(
            invites.c.id == invite_id,
            invites.c.organization_id == organization_id,
            invites.c.accepted_at.is_(None),
        )
    )
    return bool(result.rowcount)
