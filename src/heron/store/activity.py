"""The activity log of issues: one row per thing that happened to an issue or was done to it.

Kinds (``data`` is a JSON object):

==========================  =================================================================
``first_seen``              the issue was created by an event
``regression``              a resolved issue saw a new event (``release``)
``set_resolved``            resolved by a person
``set_resolved_in_release`` resolved in the release after ``release``
``set_unresolved``          reopened by a person
``set_ignored``             ignored; ``until`` (epoch), ``count`` and ``users`` when limited
``unignored``               an ignore condition was met (``reason``: time, count, users)
``assigned``                ``user_id`` or ``team_id`` and ``name``
``unassigned``
``note``                    a comment (``text``)
``merge``                   other issues merged into this one (``issues``: short codes)
``unmerge``                 a hash split off into ``issue_id``
==========================  =================================================================
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection

from heron.store.tables import activity

KINDS = frozenset(
    {
        "first_seen",
        "regression",
        "set_resolved",
        "set_resolved_in_release",
        "set_unresolved",
        "set_ignored",
        "unignored",
        "assigned",
        "unassigned",
        "note",
        "merge",
        "unmerge",
    }
)


def activity_row(
    issue_id: int,
    project_id: int,
    kind: str,
    data: Mapping[str, Any] | None = None,
    *,
    user_id: int | None = None,
    created_at: float | None = None,
) -> dict[str, Any]:
    """One row for :func:`record_activity`; ``kind`` must be one of :data:`KINDS`."""
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    return {
        "issue_id": issue_id,
        "project_id": project_id,
        "user_id": user_id,
        "kind": kind,
        "data": orjson.dumps(dict(data or {})).decode(),
        "created_at": created_at if created_at is not None else time.time(),
    }


def record_activity(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert activity rows made by :func:`activity_row`, in the caller's transaction."""
    batch = list(rows)
    if batch:
        conn.execute(activity.insert(), batch)
