"""Stored events: an issue's events, its latest one, and one event by its id."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from heron.query.models import MAX_OFFSET, Event, Issue, Page, Project
from heron.store import Database, tables, unpack

_e = tables.events


def list_events(db: Database, issue: Issue, *, offset: int = 0, limit: int = 100) -> Page[Event]:
    """The issue's events, newest first."""
    stmt = (
        select(_e)
        .where(_e.c.issue_id == issue.id)
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
    before = (_e.c.timestamp < event.timestamp) | (
        (_e.c.timestamp == event.timestamp) & (_e.c.id < event.id)
    )
    after = (_e.c.timestamp > event.timestamp) | (
        (_e.c.timestamp == event.timestamp) & (_e.c.id > event.id)
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
