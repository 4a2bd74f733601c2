"""Who may change an organization: the acting person's role, read in the same transaction."""

from __future__ import annotations

from sqlalchemy import Connection

from heron.actions.errors import ActionError, NotFoundError, PermissionDenied
from heron.query.models import MAX_ID, ROLES
from heron.store import accounts as acc

MIN_PASSWORD = 8


WEAK_ROLE = "Your role in this organization does not allow this."


def require_role(
    conn: Connection,
    organization_id: int,
    actor_id: int | None,
    least: str,
    *,
    what: str = "organization",
    refusal: str = WEAK_ROLE,
) -> str | None:
    """The actor's role in the organization, which must be ``least`` or stronger.

    The one role check of every action. ``actor_id`` None is Heron itself (CLI, digest):
    nothing is checked. Someone outside the organization is told ``what`` does not exist
    (never a hint that it does); a member whose role is too weak gets PermissionDenied.
    """
    if actor_id is None:
        return None
    role = acc.role_in(conn, organization_id, actor_id)
    if role is None:
        raise NotFoundError(f"{what} does not exist")
    if ROLES.index(role) < ROLES.index(least):
        raise PermissionDenied(refusal)
    return role


def require_admin(conn: Connection, organization_id: int, actor_id: int) -> str:
    """The actor's role, which must be admin or owner."""
    role = require_role(
        conn,
        organization_id,
        actor_id,
        "admin",
        refusal="Only admins and owners may manage members, teams and invitations.",
    )
    assert role is not None
    return role


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ActionError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_id(number: int, what: str) -> int:
    """Ids beyond what the columns hold cannot exist (PostgreSQL would reject them)."""
    if not 0 < number <= MAX_ID:
        raise NotFoundError(f"{what} does not exist")
    return number


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ActionError(f"The password must have at least {MIN_PASSWORD} characters.")
    if "\x00" in password:
        raise ActionError("The password cannot contain NUL characters.")
