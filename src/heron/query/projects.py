"""Organizations, projects and client keys a viewer may see."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Select, select

from heron.query.models import MAX_ID, MAX_OFFSET, ClientKey, Organization, Page, Project, Viewer
from heron.store import Database, tables

# The apdex threshold of a project that has none of its own (the column's default).
DEFAULT_APDEX_MS = 300

_o = tables.organizations
_p = tables.projects
_k = tables.project_keys


def list_organizations(db: Database, viewer: Viewer) -> list[Organization]:
    with db.read() as conn:
        rows = conn.execute(
            select(_o).where(_o.c.id.in_(sorted(viewer.organization_ids))).order_by(_o.c.slug)
        )
        return [_organization(r._mapping) for r in rows]


def get_organization(db: Database, viewer: Viewer, slug: str) -> Organization | None:
    with db.read() as conn:
        row = conn.execute(
            select(_o).where(_o.c.slug == slug, _o.c.id.in_(sorted(viewer.organization_ids)))
        ).first()
        return _organization(row._mapping) if row else None


def list_projects(
    db: Database,
    viewer: Viewer,
    *,
    organization_slug: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Page[Project]:
    """Projects of the viewer's organizations, by organization then project slug."""
    stmt = _project_select().where(_o.c.id.in_(sorted(viewer.organization_ids)))
    if organization_slug is not None:
        stmt = stmt.where(_o.c.slug == organization_slug)
    stmt = stmt.order_by(_o.c.slug, _p.c.slug, _p.c.id).offset(min(offset, MAX_OFFSET))
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    with db.read() as conn:
        items = [project_from_row(r._mapping) for r in conn.execute(stmt)]
    has_next = limit is not None and len(items) > limit
    return Page(
        items[:limit] if limit is not None else items, offset, limit or len(items), has_next
    )


def get_project(
    db: Database, viewer: Viewer, organization_slug: str, project_slug: str
) -> Project | None:
    """The project ``org/project``, or None when it does not exist or is not the viewer's."""
    stmt = _project_select().where(
        _o.c.slug == organization_slug,
        _p.c.slug == project_slug,
        _o.c.id.in_(sorted(viewer.organization_ids)),
    )
    with db.read() as conn:
        row = conn.execute(stmt).first()
        return project_from_row(row._mapping) if row else None


def projects_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, Project]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = conn.execute(_project_select().where(_p.c.id.in_(wanted)))
    return {r.id: project_from_row(r._mapping) for r in rows}


def list_keys(db: Database, project: Project) -> list[ClientKey]:
    """The project's client keys, oldest first (active or not)."""
    with db.read() as conn:
        rows = conn.execute(select(_k).where(_k.c.project_id == project.id).order_by(_k.c.id))
        return [_key(r) for r in rows]


def get_key(db: Database, project: Project, key: int | str) -> ClientKey | None:
    """The project's key by id (the pages) or by public key (the API, as Sentry does)."""
    where = _k.c.public_key == key if isinstance(key, str) else _k.c.id == min(key, MAX_ID)
    with db.read() as conn:
        row = conn.execute(select(_k).where(_k.c.project_id == project.id, where)).first()
        return _key(row) if row else None


# The placeholders an issue tracker URL template may hold.
TRACKER_FIELDS = ("title", "url", "short_id", "culprit")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def issue_tracker_link(template: str, **values: str) -> str:
    """The template with each ``{title}``, ``{url}``, ``{short_id}``, ``{culprit}`` replaced
    by its value, URL-encoded (``issue_tracker_link(project.issue_tracker_url, title=…)``).
    Unknown placeholders are left as written."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in TRACKER_FIELDS or name not in values:
            return match.group(0)
        return quote(values[name], safe="")

    return _PLACEHOLDER.sub(fill, template)


def _key(row: Any) -> ClientKey:
    return ClientKey(
        id=row.id,
        project_id=row.project_id,
        public_key=row.public_key,
        label=row.label,
        is_active=bool(row.is_active),
        created_at=row.created_at,
        rate_limit=row.rate_limit,
    )


def _project_select() -> Select[Any]:
    return select(
        _p.c.id,
        _p.c.slug,
        _p.c.name,
        _p.c.platform,
        _p.c.created_at,
        _p.c.issue_tracker_url,
        _p.c.rate_limit,
        _p.c.apdex_threshold_ms,
        _p.c.llm_job_tag,
        _p.c.llm_channel_tag,
        _p.c.llm_store_prompts,
        _o.c.id.label("org_id"),
        _o.c.slug.label("org_slug"),
        _o.c.name.label("org_name"),
        _o.c.created_at.label("org_created_at"),
    ).join(_o, _o.c.id == _p.c.organization_id)


def project_from_row(row: Any, *, prefix: str = "", id_column: str = "id") -> Project:
    """A project from a row of :func:`_project_select` (columns id… and org_…), or of a
    query that labels the project's columns with ``prefix`` (issues use ``p_``); the
    settings columns are optional there."""
    return Project(
        id=row[id_column],
        slug=row[prefix + "slug"],
        name=row[prefix + "name"],
        platform=row[prefix + "platform"],
        created_at=row[prefix + "created_at"],
        organization=Organization(
            id=row["org_id"],
            slug=row["org_slug"],
            name=row["org_name"],
            created_at=row["org_created_at"],
        ),
        issue_tracker_url=row.get(prefix + "issue_tracker_url") or "",
        rate_limit=row.get(prefix + "rate_limit"),
        apdex_threshold_ms=row.get(prefix + "apdex_threshold_ms") or DEFAULT_APDEX_MS,
        llm_job_tag=row.get(prefix + "llm_job_tag") or "job_id",
        llm_channel_tag=row.get(prefix + "llm_channel_tag") or "channel",
        llm_store_prompts=bool(row.get(prefix + "llm_store_prompts")),
    )


def _organization(row: Any) -> Organization:
    return Organization(
        id=row["id"], slug=row["slug"], name=row["name"], created_at=row["created_at"]
    )
