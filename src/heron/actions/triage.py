"""Assigning an issue to a member or a team of its organization, and bookmarks."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, select, update

from heron.actions.errors import ActionError
from heron.actions.issue_access import issue_for_actor
from heron.query.models import MAX_ID
from heron.store import Database, activity_row, record_activity, tables

_i = tables.issues
_u = tables.users
_m = tables.members
_t = tables.teams
_b = tables.bookmarks


def assign_issue(
    db: Database, issue_id: int, assignee: str | None, *, actor_id: int | None = None
) -> None:
    """Assign the issue to ``assignee`` — ``user:<id>``, ``team:<id>``, a user id or an
    e-mail of a member of the issue's organization — or to nobody (None or "")."""
    with db.write() as conn:
        issue = issue_for_actor(conn, issue_id, actor_id)
        target = _assignee(conn, issue.organization_id, (assignee or "").strip())
        if target is None:
            values: dict[str, Any] = {"assignee_user_id": None, "assignee_team_id": None}
            kind, data = "unassigned", {}
        else:
            kind_name, target_id, name = target
            values = {
                "assignee_user_id": target_id if kind_name == "user" else None,
                "assignee_team_id": target_id if kind_name == "team" else None,
            }
            kind, data = "assigned", {f"{kind_name}_id": target_id, "name": name}
        if all(issue._mapping[k] == v for k, v in values.items()):
            return
        conn.execute(update(_i).where(_i.c.id == issue_id).values(**values))
        row = activity_row(issue_id, issue.project_id, kind, data, user_id=actor_id)
        record_activity(conn, [row])


def _assignee(conn: Connection, organization_id: int, text: str) -> tuple[str, int, str] | None:
    """(``user``/``team``, id, name) of the assignee named by ``text``; None for nobody."""
    if not text:
        return None
    kind, colon, ident = text.partition(":")
    if not colon and "@" in text:
        return _member(conn, organization_id, _u.c.email == text.lower())
    if not colon:
        kind, ident = "user", text
    if kind not in ("user", "team") or not ident.isdigit() or not 0 < int(ident) <= MAX_ID:
        raise ActionError("assign to user:<id>, team:<id> or an e-mail")
    if kind == "user":
        return _member(conn, organization_id, _u.c.id == int(ident))
    team = conn.execute(
        select(_t.c.id, _t.c.slug).where(
            _t.c.id == int(ident), _t.c.organization_id == organization_id
        )
    ).first()
    if team is None:
        raise ActionError("no such team in this issue's organization")
    return "team", int(team.id), str(team.slug)


def _member(
    conn: Connection, organization_id: int, which: ColumnElement[bool]
) -> tuple[str, int, str]:
    row = conn.execute(
        select(_u.c.id, _u.c.name, _u.c.email)
        .join(_m, _m.c.user_id == _u.c.id)
        .where(_m.c.organization_id == organization_id, which)
    ).first()
    if row is None:
        raise ActionError("no such member in this issue's organization")
    return "user", int(row.id), str(row.name or row.email)


def set_bookmark(db: Database, issue_id: int, bookmarked: bool, *, actor_id: int) -> None:
    """Bookmark the issue for ``actor_id`` (or take the bookmark away); repeats are harmless."""
    with db.write() as conn:
        issue_for_actor(conn, issue_id, actor_id)
        mine = (_b.c.user_id == actor_id, _b.c.issue_id == issue_id)
        conn.execute(delete(_b).where(*mine))
        if bookmarked:
            conn.execute(
                _b.insert().values(user_id=actor_id, issue_id=issue_id, created_at=time.time())
            )
