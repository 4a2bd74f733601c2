"""Who belongs to an organization: members with their roles, teams, pending invitations."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from heron.store import Database, tables
from heron.store import accounts as acc
from heron.store.invites import usable_invite

_u = tables.users
_m = tables.members
_t = tables.teams
_tm = tables.team_members


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    name: str
    role: str

    @property
    def label(self) -> str:
        """How people see this member: the name, or the e-mail when there is none."""
        return self.name or self.email


@dataclass(frozen=True)
class Team:
    id: int
    organization_id: int
    slug: str
    name: str
    member_ids: frozenset[int]
    created_at: float = 0.0


def list_members(db: Database, organization_id: int) -> list[Member]:
    """The organization's members, by name (or e-mail when there is no name)."""
    with db.read() as conn:
        rows = conn.execute(
            select(_u.c.id, _u.c.email, _u.c.name, _m.c.role)
            .join(_m, _m.c.user_id == _u.c.id)
            .where(_m.c.organization_id == organization_id)
        )
        found = [Member(int(r.id), str(r.email), str(r.name or ""), str(r.role)) for r in rows]
    return sorted(found, key=lambda m: ((m.name or m.email).casefold(), m.email))


def list_teams(db: Database, organization_id: int) -> list[Team]:
    """The organization's teams, by slug, each with the ids of its members."""
    with db.read() as conn:
        teams = conn.execute(
            select(_t.c.id, _t.c.slug, _t.c.name, _t.c.created_at)
            .where(_t.c.organization_id == organization_id)
            .order_by(_t.c.slug)
        ).all()
        belongs: dict[int, set[int]] = defaultdict(set)
        rows = conn.execute(
            select(_tm.c.team_id, _tm.c.user_id)
            .join(_t, _t.c.id == _tm.c.team_id)
            .where(_t.c.organization_id == organization_id)
        )
        for team_id, user_id in rows:
            belongs[int(team_id)].add(int(user_id))
    return [
        Team(
            int(t.id),
            organization_id,
            str(t.slug),
            str(t.name),
            frozenset(belongs[int(t.id)]),
            float(t.created_at),
        )
        for t in teams
    ]


@dataclass(frozen=True)
class PendingInvite:
    id: int
    email: str
    role: str
    created_at: float
    expires_at: float
    invited_by: str  # name or e-mail of the inviter; "" when unknown

    def expired(self, now: float) -> bool:
        return self.expires_at <= now


@dataclass(frozen=True)
class InviteView:
    """What the holder of an invitation link sees before accepting it."""

    email: str
    role: str
    organization_slug: str
    organization_name: str
    expires_at: float
    has_account: bool  # the invited e-mail has an account already: log in to accept


def pending_invites(db: Database, organization_id: int) -> list[PendingInvite]:
    """Invitations not used yet (expired ones too, to revoke or renew), newest first."""
    i = tables.invites
    with db.read() as conn:
        rows = conn.execute(
            select(i, _u.c.name.label("inviter_name"), _u.c.email.label("inviter_email"))
            .outerjoin(_u, _u.c.id == i.c.invited_by)
            .where(i.c.organization_id == organization_id, i.c.accepted_at.is_(None))
            .order_by(i.c.created_at.desc(), i.c.id.desc())
        )
        return [
            PendingInvite(
                int(r.id),
                str(r.email),
                str(r.role),
                float(r.created_at),
                float(r.expires_at),
                str(r.inviter_name or r.inviter_email or ""),
            )
            for r in rows
        ]


def invite_for_token(db: Database, token: str, *, now: float | None = None) -> InviteView | None:
    """The invitation a link's token opens; None when unknown, used or expired."""
    if not token or len(token) > 200 or "\x00" in token:
        return None
    now = time.time() if now is None else now
    o = tables.organizations
    with db.read() as conn:
        invite = usable_invite(conn, token, now)
        if invite is None:
            return None
        org = conn.execute(select(o).where(o.c.id == invite["organization_id"])).one()
        has_account = acc.user_by_email(conn, str(invite["email"])) is not None
    return InviteView(
        str(invite["email"]),
        str(invite["role"]),
        str(org.slug),
        str(org.name),
        float(invite["expires_at"]),
        has_account,
    )
