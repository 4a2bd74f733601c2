"""Members of an organization: changing roles and removing people.

Admins manage members; only an owner may make someone an owner or change or remove an
owner, and an organization always keeps at least one owner.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from heron.actions.access import check_id, check_role, require_admin
from heron.actions.errors import ActionError, NotFoundError, PermissionDenied
from heron.store import Database, tables
from heron.store import accounts as acc

OWNERS_ONLY = "Only an owner may make someone an owner or change or remove an owner."
LAST_OWNER = (
    "The organization's last owner cannot be demoted or removed: make someone else an owner first."
)


def set_member_role(
    db: Database, actor_id: int, organization_id: int, user_id: int, role: str
) -> None:
    """Give a member another role."""
    check_role(role)
    check_id(user_id, "member")
    with db.write() as conn:
        actor_role = require_admin(conn, organization_id, actor_id)
        current = _member_role(conn, organization_id, user_id)
        if current == role:
            return
        if "owner" in (current, role) and actor_role != "owner":
            raise PermissionDenied(OWNERS_ONLY)
        if current == "owner" and acc.count_owners(conn, organization_id) <= 1:
            raise ActionError(LAST_OWNER)
        acc.set_role(conn, organization_id, user_id, role)


def remove_member(db: Database, actor_id: int, organization_id: int, user_id: int) -> None:
    """Take someone out of the organization, its teams and its issues' assignments."""
    check_id(user_id, "member")
    with db.write() as conn:
        actor_role = require_admin(conn, organization_id, actor_id)
        current = _member_role(conn, organization_id, user_id)
        if current == "owner":
            if actor_role != "owner":
                raise PermissionDenied(OWNERS_ONLY)
            if acc.count_owners(conn, organization_id) <= 1:
                raise ActionError(LAST_OWNER)
        acc.remove_member(conn, organization_id, user_id)
        issues, projects = tables.issues, tables.projects
        org_projects = select(projects.c.id).where(projects.c.organization_id == organization_id)
        conn.execute(
            update(issues)
            .where(issues.c.assignee_user_id == user_id, issues.c.project_id.in_(org_projects))
            .values(assignee_user_id=None)
        )


def _member_role(conn: Connection, organization_id: int, user_id: int) -> str:
    role = acc.role_in(conn, organization_id, user_id)
    if role is None:
        raise NotFoundError("This person is not a member of the organization.")
    return role
