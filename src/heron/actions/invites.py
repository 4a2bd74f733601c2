"""Invitations by link: an admin invites an e-mail address, the link's holder joins.

The link carries a random token; only its hash is stored. A link works once and for
:data:`INVITE_LIFETIME` seconds.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from heron.actions.access import check_id, check_new_password, check_role, require_admin
from heron.actions.errors import ActionError, NotFoundError, PermissionDenied
from heron.actions.members import OWNERS_ONLY
from heron.store import Database
from heron.store import accounts as acc
from heron.store import invites as store

INVITE_LIFETIME = 7 * 86400
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
GONE = "This invitation does not exist, was used already or has expired."


@dataclass(frozen=True)
class NewInvite:
    id: int
    email: str
    role: str
    token: str  # shown once, in the link


def invite_member(
    db: Database,
    actor_id: int,
    organization_id: int,
    email: str,
    role: str = "member",
    *,
    now: float | None = None,
) -> NewInvite:
    """Invite ``email``; an earlier unused invitation of the same address is replaced."""
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise ActionError(f"{email!r} is not an e-mail address.")
    check_role(role)
    with db.write() as conn:
        actor_role = require_admin(conn, organization_id, actor_id)
        if role == "owner" and actor_role != "owner":
            raise PermissionDenied(OWNERS_ONLY)
        user = acc.user_by_email(conn, email)
        if user is not None and acc.role_in(conn, organization_id, int(user["id"])) is not None:
            raise ActionError(f"{email} is already a member of the organization.")
        store.delete_pending(conn, organization_id, email=email)
        invite_id, token = store.create_invite(
            conn,
            organization_id,
            email,
            role,
            invited_by=actor_id,
            now=time.time() if now is None else now,
            lifetime=INVITE_LIFETIME,
        )
    return NewInvite(invite_id, email, role, token)


def revoke_invite(db: Database, actor_id: int, organization_id: int, invite_id: int) -> None:
    check_id(invite_id, "invitation")
    with db.write() as conn:
        require_admin(conn, organization_id, actor_id)
        if not store.delete_invite(conn, organization_id, invite_id):
            raise NotFoundError("invitation does not exist")


def accept_invite(
    db: Database,
    token: str,
    *,
    user_id: int | None = None,
    name: str = "",
    password: str = "",
    now: float | None = None,
) -> int:
    """Use the invitation; returns the id of the user who joined.

    With ``user_id`` the logged-in user joins, who must have the invited e-mail. Without,
    an account is created for the invited e-mail with ``name`` and ``password``.
    """
    now = time.time() if now is None else now
    if user_id is None:
        check_new_password(password)
    with db.write() as conn:
        invite = store.usable_invite(conn, token, now)
        if invite is None or not store.mark_accepted(conn, int(invite["id"]), now):
            raise NotFoundError(GONE)
        email = str(invite["email"])
        if user_id is not None:
            user = acc.user_by_id(conn, user_id)
            if user is None or user["email"] != email:
                shown = user["email"] if user else "someone else"
                raise PermissionDenied(
                    f"This invitation is for {email}, and you are logged in as {shown}."
                    " Log out, then open the link again."
                )
        elif acc.user_by_email(conn, email) is not None:
            raise ActionError(f"{email} has an account already: log in to accept.")
        else:
            user_id = acc.create_user(conn, email, password, name=name.strip()[:200])
        org = int(invite["organization_id"])
        if acc.role_in(conn, org, user_id) is None:
            acc.add_member(conn, org, user_id, role=str(invite["role"]))
    return user_id
