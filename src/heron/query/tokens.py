"""A person's own API tokens, as the tokens page lists them (never the secret itself)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from heron.store import Database, tables


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    created_at: float
    last_used_at: float | None


def list_tokens(db: Database, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first."""
    t = tables.api_tokens
    with db.read() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.name, t.c.created_at, t.c.last_used_at)
            .where(t.c.user_id == user_id)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
        )
        return [ApiToken(int(r.id), str(r.name), float(r.created_at), r.last_used_at) for r in rows]
