"""The issue an action is about, locked, and whether the acting person may do it.

``actor_id`` None is Heron itself (the CLI, tests, the digest): no role is checked. A person
who is not a member of the issue's organization gets "does not exist" (never a hint that it
does); a member whose role is too weak gets :class:`PermissionDenied`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from heron.actions.access import WEAK_ROLE, require_role
from heron.actions.errors import NotFoundError
from heron.query.models import MAX_BIG_ID
from heron.store import tables

_i = tables.issues
_p = tables.projects

ADMIN_ONLY = "Only admins and owners may delete issues."


def issue_for_actor(
    conn: Connection,
    issue_id: int,
    actor_id: int | None,
    *,
    least: str = "member",
    refusal: str = WEAK_ROLE,
) -> Any:
    """The issue's row (with ``organization_id`` and ``project_slug``), locked for the rest of
    the transaction on PostgreSQL, after checking the actor's role in its organization."""
    if not 0 < issue_id <= MAX_BIG_ID:
        raise NotFoundError(f"issue {issue_id} does not exist")
    stmt = (
        select(_i, _p.c.organization_id, _p.c.slug.label("project_slug"))
        .join(_p, _p.c.id == _i.c.project_id)
        .where(_i.c.id == issue_id)
        .with_for_update(of=_i)
    )
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"issue {issue_id} does not exist")
    require_role(
        conn, row.organization_id, actor_id, least, what=f"issue {issue_id}", refusal=refusal
    )
    return row
