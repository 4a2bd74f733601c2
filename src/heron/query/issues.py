"""Issue lists (search, sort, period, paging) and single issues, as a viewer may see them."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from heron.query.models import (
    MAX_BIG_ID,
    MAX_ID,
    MAX_OFFSET,
    Assignee,
    Issue,
    Page,
    Viewer,
)
from heron.query.projects import project_from_row
from heron.query.search import SORTS, STATUS_ALIASES, STATUSES, SUBSTATUSES, Search, Term
from heron.store import Database, tables

_i = tables.issues
_p = tables.projects
_o = tables.organizations
_t = tables.issue_tags
_u = tables.users
_team = tables.teams
_tm = tables.team_members
_b = tables.bookmarks

_ORDER = {
    "date": _i.c.last_seen,
    "new": _i.c.first_seen,
    "freq": _i.c.times_seen,
    "user": _i.c.user_count,
}
assert set(_ORDER) == set(SORTS)

# Columns that are filters of their own rather than tags.
_COLUMN_KEYS = {
    "level": _i.c.level,
    "project": _p.c.slug,
    "firstRelease": _i.c.first_release,
    "issue.type": _i.c.type,
}


def list_issues(
    db: Database,
    viewer: Viewer,
    search: Search,
    *,
    organization_slug: str | None = None,
    project_ids: Iterable[int] | None = None,
    period: int | None = None,
    sort: str = "date",
    offset: int = 0,
    limit: int = 100,
    now: float | None = None,
) -> Page[Issue]:
    """One page of the issues matching ``search`` in the viewer's organizations."""
    where = _where(viewer, search, organization_slug, project_ids, period, now)
    offset = min(offset, MAX_OFFSET)
    order = _ORDER[sort]
    # The page's ids first (narrow rows: cheap to sort), then only their full rows, names
    # and bookmarks: one statement, and no work for the rows that are not shown.
    page = (
        select(_i.c.id)
        .select_from(
            _i.join(_p, _p.c.id == _i.c.project_id).join(_o, _o.c.id == _p.c.organization_id)
        )
        .where(*where)
        .order_by(order.desc(), _i.c.id.desc())
        .offset(offset)
        .limit(limit + 1)
        .subquery("page")
    )
    stmt = (
        _issue_select(viewer)
        .join(page, page.c.id == _i.c.id)
        .order_by(order.desc(), _i.c.id.desc())
    )
    with db.read() as conn:
        rows = list(conn.execute(stmt))
        unhandled = _unhandled(conn, [r.id for r in rows[:limit]])
    items = [issue_from_row(r._mapping, r.id in unhandled) for r in rows[:limit]]
    return Page(items, offset, limit, len(rows) > limit)


def count_issues(
    db: Database,
    viewer: Viewer,
    search: Search,
    *,
    organization_slug: str | None = None,
    project_ids: Iterable[int] | None = None,
    period: int | None = None,
    now: float | None = None,
) -> int:
    """How many issues :func:`list_issues` would page through."""
    where = _where(viewer, search, organization_slug, project_ids, period, now)
    stmt = (
        select(func.count())
        .select_from(
            _i.join(_p, _p.c.id == _i.c.project_id).join(_o, _o.c.id == _p.c.organization_id)
        )
        .where(*where)
    )
    with db.read() as conn:
        return int(conn.execute(stmt).scalar_one())


def get_issue(db: Database, viewer: Viewer, issue_id: int) -> Issue | None:
    """The issue, or None when it does not exist or belongs to another organization."""
    if not 0 < issue_id <= MAX_BIG_ID:
        return None
    stmt = _issue_select(viewer).where(
        _i.c.id == issue_id, _o.c.id.in_(sorted(viewer.organization_ids))
    )
    with db.read() as conn:
        row = conn.execute(stmt).first()
        if row is None:
            return None
        return issue_from_row(row._mapping, bool(_unhandled(conn, [row.id])))


def _where(
    viewer: Viewer,
    search: Search,
    organization_slug: str | None,
    project_ids: Iterable[int] | None,
    period: int | None,
    now: float | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_o.c.id.in_(sorted(viewer.organization_ids))]
    if organization_slug is not None:
        where.append(_o.c.slug == organization_slug)
    if project_ids is not None:
        where.append(_i.c.project_id.in_([p for p in project_ids if 0 < p <= MAX_ID]))
    if period is not None:
        where.append(_i.c.last_seen >= (now if now is not None else time.time()) - period)
    for term in search.terms:
        condition = _term(term, viewer)
        where.append(not_(condition) if term.negated else condition)
    for word in search.text:
        where.append(_text(word))
    for word in search.negated_text:
        where.append(not_(_text(word)))
    return where


def _term(term: Term, viewer: Viewer) -> ColumnElement[bool]:
    if term.key == "is":
        return _is(term.values, viewer)
    if term.key == "has":
        return or_(*(exists().where(_t.c.issue_id == _i.c.id, _t.c.key == k) for k in term.values))
    if term.key == "assigned":
        return or_(*(_assigned(v, viewer) for v in term.values))
    if term.key == "bookmarks":
        return _bookmarked(viewer)
    if term.key == "issue.category":
        performance = _i.c.type.like("performance\\_%", escape="\\")
        return or_(*(performance if v == "performance" else not_(performance) for v in term.values))
    if term.key in _COLUMN_KEYS:
        column = _COLUMN_KEYS[term.key]
        values = [v.lower() for v in term.values] if term.key == "level" else term.values
        return _matches(column, values)
    return exists().where(
        _t.c.issue_id == _i.c.id, _t.c.key == term.key, _matches(_t.c.value, term.values)
    )


def _is(values: tuple[str, ...], viewer: Viewer) -> ColumnElement[bool]:
    """``is:`` values: statuses (and aliases), unresolved substatuses, (un)handled, assigned,
    unassigned, bookmarked; any of."""
    statuses = {STATUS_ALIASES.get(v, v) for v in values}.intersection(STATUSES)
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(_i.c.status.in_(sorted(statuses)))
    substatuses = sorted(v for v in values if v in SUBSTATUSES)
    if substatuses:
        conditions.append(and_(_i.c.status == "unresolved", _i.c.substatus.in_(substatuses)))
    unhandled = exists().where(_t.c.issue_id == _i.c.id, _t.c.key == "handled", _t.c.value == "no")
    if "unhandled" in values:
        conditions.append(unhandled)
    if "handled" in values:
        conditions.append(not_(unhandled))
    anyone = or_(_i.c.assignee_user_id.is_not(None), _i.c.assignee_team_id.is_not(None))
    if "assigned" in values:
        conditions.append(anyone)
    if "unassigned" in values:
        conditions.append(not_(anyone))
    if "bookmarked" in values:
        conditions.append(_bookmarked(viewer))
    return or_(*conditions) if conditions else true()


def _assigned(value: str, viewer: Viewer) -> ColumnElement[bool]:
    """``assigned:`` me, my_teams, none, ``#team-slug`` (of the issue's organization) or an
    e-mail."""
    my_teams = select(_tm.c.team_id).where(_tm.c.user_id == viewer.user_id)
    if value == "me":
        return _i.c.assignee_user_id == viewer.user_id
    if value == "my_teams":
        return _i.c.assignee_team_id.in_(my_teams)
    if value == "none":
        return and_(_i.c.assignee_user_id.is_(None), _i.c.assignee_team_id.is_(None))
    # Own aliases: the issue select joins users and teams already (for the assignee's name).
    if value.startswith("#"):
        teams = _team.alias("wanted_team")
        team = select(teams.c.id).where(
            teams.c.slug == value[1:], teams.c.organization_id == _p.c.organization_id
        )
        return _i.c.assignee_team_id.in_(team)
    users = _u.alias("wanted_user")
    user = select(users.c.id).where(users.c.email == value.strip().lower())
    return _i.c.assignee_user_id.in_(user)


def _bookmarked(viewer: Viewer) -> ColumnElement[bool]:
    return exists().where(_b.c.issue_id == _i.c.id, _b.c.user_id == viewer.user_id)


def _matches(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """Equality with any of ``values``; ``*`` in a value is a wildcard."""
    plain = [v for v in values if "*" not in v]
    conditions: list[ColumnElement[bool]] = [column.in_(plain)] if plain else []
    for value in values:
        if "*" in value:
            conditions.append(column.like(_escape_like(value).replace("*", "%"), escape="\\"))
    return or_(*conditions) if conditions else false()


def _text(word: str) -> ColumnElement[bool]:
    pattern = "%" + _escape_like(word) + "%"
    return or_(_i.c.title.ilike(pattern, escape="\\"), _i.c.culprit.ilike(pattern, escape="\\"))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unhandled(conn: Connection, issue_ids: list[int]) -> set[int]:
    if not issue_ids:
        return set()
    rows = conn.execute(
        select(_t.c.issue_id).where(
            _t.c.issue_id.in_(issue_ids), _t.c.key == "handled", _t.c.value == "no"
        )
    )
    return {r[0] for r in rows}


def _issue_select(viewer: Viewer) -> Select[Any]:
    """Issues with their project, organization, assignee (one outer join each for a user
    and a team) and whether the viewer bookmarked them: one row per issue, no extra query."""
    return (
        select(
            _i,
            _p.c.slug.label("p_slug"),
            _p.c.name.label("p_name"),
            _p.c.platform.label("p_platform"),
            _p.c.created_at.label("p_created_at"),
            _p.c.issue_tracker_url.label("p_issue_tracker_url"),
            _o.c.id.label("org_id"),
            _o.c.slug.label("org_slug"),
            _o.c.name.label("org_name"),
            _o.c.created_at.label("org_created_at"),
            _u.c.name.label("a_user_name"),
            _u.c.email.label("a_user_email"),
            _team.c.slug.label("a_team_slug"),
            _bookmarked(viewer).label("bookmarked"),
        )
        .join(_p, _p.c.id == _i.c.project_id)
        .join(_o, _o.c.id == _p.c.organization_id)
        .outerjoin(_u, _u.c.id == _i.c.assignee_user_id)
        .outerjoin(_team, _team.c.id == _i.c.assignee_team_id)
    )


def issue_from_row(row: Any, is_unhandled: bool = False) -> Issue:
    project = project_from_row(row, prefix="p_", id_column="project_id")
    return Issue(
        id=row["id"],
        project=project,
        short_id=row["short_id"],
        type=row["type"],
        title=row["title"],
        culprit=row["culprit"] or "",
        level=row["level"],
        platform=row["platform"],
        logger=row["logger"],
        status=row["status"],
        substatus=row["substatus"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        times_seen=row["times_seen"],
        user_count=row["user_count"],
        first_release=row["first_release"],
        last_release=row["last_release"],
        resolved_at=row["resolved_at"],
        metadata=_metadata(row["metadata"]),
        is_unhandled=is_unhandled,
        resolved_in_release=row["resolved_in_release"],
        ignore_until=row["ignore_until"],
        ignore_until_count=row["ignore_until_count"],
        ignore_until_users=row["ignore_until_users"],
        assignee=_assignee(row),
        is_bookmarked=bool(row.get("bookmarked")),
    )


def _assignee(row: Any) -> Assignee | None:
    # A user or team that has since been removed reads as unassigned.
    user_id, team_id = row["assignee_user_id"], row["assignee_team_id"]
    if user_id is not None and row.get("a_user_email") is not None:
        name = row["a_user_name"] or row["a_user_email"]
        return Assignee("user", int(user_id), str(name), str(row["a_user_email"]))
    if team_id is not None and row.get("a_team_slug") is not None:
        return Assignee("team", int(team_id), str(row["a_team_slug"]))
    return None


def _metadata(text: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def issues_for_transaction(
    db: Database,
    project_ids: Iterable[int],
    transaction: str,
    *,
    since: float | None = None,
    viewer: Viewer | None = None,
    limit: int = 10,
) -> list[Issue]:
    """Issues (errors and performance) whose events carry ``transaction`` as their
    transaction tag, most recently seen first."""
    ids = sorted(set(project_ids))
    if not ids:
        return []
    tagged = select(_t.c.issue_id).where(_t.c.key == "transaction", _t.c.value == transaction[:200])
    stmt = (
        _issue_select(viewer or _NOBODY)
        .where(_i.c.project_id.in_(ids), _i.c.id.in_(tagged))
        .order_by(_i.c.last_seen.desc())
        .limit(max(1, min(limit, 100)))
    )
    if since is not None:
        stmt = stmt.where(_i.c.last_seen >= since)
    with db.read() as conn:
        rows = list(conn.execute(stmt))
        unhandled = _unhandled(conn, [r.id for r in rows])
    return [issue_from_row(r._mapping, r.id in unhandled) for r in rows]


# Reads that need no viewer-specific columns (bookmarks) use this viewer.
_NOBODY = Viewer(user_id=0, email="", name="", is_superuser=False)
