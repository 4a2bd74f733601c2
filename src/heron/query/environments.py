"""The environments projects have seen, for the issue stream's environment filter."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from heron.query.models import MAX_ID, Viewer
from heron.store import Database, tables

_env = tables.environments
_p = tables.projects


def list_environments(
    db: Database, viewer: Viewer, *, project_ids: Iterable[int] | None = None
) -> list[str]:
    """Environment names seen by the viewer's projects (or just ``project_ids``), sorted."""
    stmt = (
        select(_env.c.name)
        .distinct()
        .join(_p, _p.c.id == _env.c.project_id)
        .where(_p.c.organization_id.in_(sorted(viewer.organization_ids)))
        .order_by(_env.c.name)
    )
    if project_ids is not None:
        stmt = stmt.where(_env.c.project_id.in_([p for p in project_ids if 0 < p <= MAX_ID]))
    with db.read() as conn:
        return [str(name) for name in conn.execute(stmt).scalars()]
