"""Teams: create (the slug comes from the name), delete, and who is in them."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Connection, update
from sqlalchemy.exc import IntegrityError

from heron.actions.access import check_id, require_admin
from heron.actions.errors import ActionError, NotFoundError
from heron.store import Database, tables
from heron.store import accounts as acc
from heron.store import teams as store

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def team_slug(name: str) -> str:
    """``"Backend & Payments"`` → ``backend-payments``; ASCII letters and digits only
    (accents are dropped: ``"Équipe"`` → ``equipe``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return slug[:64].rstrip("-")


def create_team(db: Database, actor_id: int, organization_id: int, name: str) -> str:
    """Create a team named ``name``; returns its slug."""
    name = name.strip()
    slug = team_slug(name)
    if not slug:
        raise ActionError("A team name needs at least one letter or digit.")
    if len(name) > 200:
        raise ActionError("A team name has at most 200 characters.")
    taken = ActionError(f"The organization already has a team {slug!r}.")
    try:
        with db.write() as conn:
            require_admin(conn, organization_id, actor_id)
            if store.create_team(conn, organization_id, slug, name) is None:
                raise taken
    except IntegrityError:
        # Someone created the same team between the check and the insert (PostgreSQL).
        raise taken from None
    return slug


def delete_team(db: Database, actor_id: int, organization_id: int, slug: str) -> None:
    """Delete the team; issues assigned to it become unassigned."""
    with db.write() as conn:
        require_admin(conn, organization_id, actor_id)
        team_id = _team_id(conn, organization_id, slug)
        issues = tables.issues
        conn.execute(
            update(issues).where(issues.c.assignee_team_id == team_id).values(assignee_team_id=None)
        )
        store.delete_team(conn, team_id)


def add_team_member(
    db: Database, actor_id: int, organization_id: int, slug: str, user_id: int
) -> None:
    """Put a member of the organization in the team."""
    check_id(user_id, "member")
    with db.write() as conn:
        require_admin(conn, organization_id, actor_id)
        team_id = _team_id(conn, organization_id, slug)
        if acc.role_in(conn, organization_id, user_id) is None:
            raise NotFoundError("This person is not a member of the organization.")
        store.add_team_member(conn, team_id, user_id)


def remove_team_member(
    db: Database, actor_id: int, organization_id: int, slug: str, user_id: int
) -> None:
    check_id(user_id, "member")
    with db.write() as conn:
        require_admin(conn, organization_id, actor_id)
        team_id = _team_id(conn, organization_id, slug)
        if not store.remove_team_member(conn, team_id, user_id):
            raise NotFoundError("This person is not in the team.")


def _team_id(conn: Connection, organization_id: int, slug: str) -> int:
    team = store.team_by_slug(conn, organization_id, slug)
    if team is None:
        raise NotFoundError(f"team {slug!r} does not exist")
    return int(team["id"])
