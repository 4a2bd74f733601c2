"""Teams of an organization and who is in them."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, delete, select

from heron.store.tables import team_members, teams


def create_team(conn: Connection, organization_id: int, slug: str, name: str) -> int | None:
    """Create a team; None when the organization already has a team with this slug."""
    taken = conn.execute(
        select(teams.c.id).where(teams.c.organization_id == organization_id, teams.c.slug == slug)
    ).first()
    if taken:
        return None
    result = conn.execute(
        teams.insert().values(
            organization_id=organization_id, slug=slug, name=name, created_at=time.time()
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def team_by_slug(conn: Connection, organization_id: int, slug: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(teams).where(teams.c.organization_id == organization_id, teams.c.slug == slug)
    ).first()
    return dict(row._mapping) if row else None


def delete_team(conn: Connection, team_id: int) -> None:
    conn.execute(delete(team_members).where(team_members.c.team_id == team_id))
    conn.execute(delete(teams).where(teams.c.id == team_id))


def add_team_member(conn: Connection, team_id: int, user_id: int) -> None:
    """Put the user in the team (nothing happens if already in it)."""
    present = conn.execute(
        select(team_members.c.user_id).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    ).first()
    if not present:
        conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id))


def remove_team_member(conn: Connection, team_id: int, user_id: int) -> bool:
    """Take the user out of the team; False when they were not in it."""
    result = conn.execute(
        delete(team_members).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    )
    return bool(result.rowcount)
