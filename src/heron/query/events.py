"""Stored events: an issue's events (searchable), its latest one, and one event by its id.

An issue's events are searched with the issue search language, restricted to what the
events table holds: ``release:``, ``environment:``, ``level:``, ``user:`` (an id, e-mail,
username or IP address, or ``id:42``) and free text in the title.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, false, not_, select

from heron.query.errors import QueryError
from heron.query.models import MAX_OFFSET, Event, Issue, Page, Project
from heron.query.search import Search, Term
from heron.store import Database, tables, unpack

_e = tables.events

EVENT_FILTERS = ("release", "environment", "level", "user")
_USER_PREFIXES = ("id:", "email:", "username:", "ip:")


def list_events(
    db: Database,
    issue: Issue,
    *,
    search: Search | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[Event]:
    """The issue's events matching ``search``, newest first; raises :class:`QueryError` for a
    filter events do not have."""
    where = event_conditions(search) if search is not None else []
    stmt = (
        select(_e)
        .where(_e.c.issue_id == issue.id, *where)
        .order_by(_e.c.timestamp.desc(), _e.c.id.desc())
        .offset(min(offset, MAX_OFFSET))
        .limit(limit + 1)
    )
    with db.read() as conn:
        rows = list(conn.execute(stmt))
    items = [event_from_row(r._mapping) for r in rows[:limit]]
    return Page(items, offset, limit, len(rows) > limit)


def latest_event(db: Database, issue: Issue) -> Event | None:
    return _one(
        db,
        select(_e)
        .where(_e.c.issue_id == issue.id)
        .order_by(_e.c.timestamp.desc(), _e.c.id.desc())
        .limit(1),
    )


def oldest_event(db: Database, issue: Issue) -> Event | None:
    return _one(
        db,
        select(_e).where(_e.c.issue_id == issue.id).order_by(_e.c.timestamp, _e.c.id).limit(1),
    )


def get_event(db: Database, project: Project, event_id: str) -> Event | None:
    """The project's event with this id (hex, with or without dashes), or None."""
    normalized = normalize_event_id(event_id)
    if normalized is None:
        return None
    return _one(db, select(_e).where(_e.c.project_id == project.id, _e.c.event_id == normalized))


def get_issue_event(db: Database, issue: Issue, event_id: str) -> Event | None:
    normalized = normalize_event_id(event_id)
    if normalized is None:
        return None
    return _one(db, select(_e).where(_e.c.issue_id == issue.id, _e.c.event_id == normalized))


def neighbours(db: Database, event: Event) -> tuple[str | None, str | None]:
    """The event ids just before and just after ``event`` in its issue (by time)."""
    if event.issue_id is None:
        return None, None
    same_issue = _e.c.issue_id == event.issue_id
    # The plain bound on the timestamp lets the (issue_id, timestamp) index find the start;
    # the OR only sorts out events of the very same timestamp.
    before = (_e.c.timestamp <= event.timestamp) & (
        (_e.c.timestamp < event.timestamp) | (_e.c.id < event.id)
    )
    after = (_e.c.timestamp >= event.timestamp) & (
        (_e.c.timestamp > event.timestamp) | (_e.c.id > event.id)
    )
    with db.read() as conn:
        previous = conn.execute(
            select(_e.c.event_id)
            .where(same_issue, before)
            .order_by(_e.c.timestamp.desc(), _e.c.id.desc())
            .limit(1)
        ).scalar()
        following = conn.execute(
            select(_e.c.event_id)
            .where(same_issue, after)
            .order_by(_e.c.timestamp, _e.c.id)
            .limit(1)
        ).scalar()
    return previous, following


def event_conditions(search: Search) -> list[ColumnElement[bool]]:
    """The SQL conditions of an event search; :class:`QueryError` for unknown filters."""
    where: list[ColumnElement[bool]] = []
    for term in search.terms:
        condition = _event_term(term)
        where.append(not_(condition) if term.negated else condition)
    for word in search.text:
        where.append(_title(word))
    for word in search.negated_text:
        where.append(not_(_title(word)))
    return where


def _event_term(term: Term) -> ColumnElement[bool]:
    if term.key == "release":
        return _e.c.release.in_(term.values)
    if term.key == "environment":
        return _e.c.environment.in_(term.values)
    if term.key == "level":
        return _e.c.level.in_([v.lower() for v in term.values])
    if term.key == "user":
        keys: list[str] = []
        for value in term.values:
            keys.append(value)
            if not value.startswith(_USER_PREFIXES):
                keys.extend(prefix + value for prefix in _USER_PREFIXES)
        return _e.c.user_key.in_(keys) if keys else false()
    raise QueryError(f"events cannot be filtered by {term.key}: use {', '.join(EVENT_FILTERS)}")


def _title(word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _e.c.title.ilike(f"%{escaped}%", escape="\\")


def normalize_event_id(event_id: str) -> str | None:
    """32 lower-case hex digits, or None when ``event_id`` is not a UUID."""
    try:
        return uuid.UUID(event_id.strip()).hex
    except ValueError:
        return None


def _one(db: Database, stmt: Select[Any]) -> Event | None:
    with db.read() as conn:
        row = conn.execute(stmt).first()
    return event_from_row(row._mapping) if row else None


def event_from_row(row: Any) -> Event:
    data = unpack(row["data"])
    return Event(
        id=row["id"],
        event_id=row["event_id"],
        project_id=row["project_id"],
        issue_id=row["issue_id"],
        type=row["type"],
        timestamp=row["timestamp"],
        received_at=row["received_at"],
        level=row["level"],
        title=row["title"],
        release=row["release"],
        environment=row["environment"],
        data=data if isinstance(data, dict) else {},
        hash=row["hash"],
    )
