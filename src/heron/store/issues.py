"""What the digest and people's actions share about issue rows: short ids and status columns."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from heron.store.tables import projects

# What every status change out of resolved or ignored clears: an unresolved issue carries no
# resolution and no ignore conditions.
CLEARED_ON_REOPEN: dict[str, None] = {
    "resolved_at": None,
    "resolved_in_release": None,
    "ignore_until": None,
    "ignore_until_count": None,
    "ignore_until_users": None,
}


def allocate_short_id(conn: Connection, project_id: int) -> int:
    """The project's next issue short id, taken (the project row is locked on PostgreSQL)."""
    stmt = select(projects.c.next_short_id).where(projects.c.id == project_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    short_id = int(conn.execute(stmt).scalar_one())
    conn.execute(
        update(projects).where(projects.c.id == project_id).values(next_short_id=short_id + 1)
    )
    return short_id
