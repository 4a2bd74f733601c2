"""Changing an issue's status: resolve, ignore, unresolve."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from heron.actions.errors import ActionError, NotFoundError
from heron.store import Database, tables

STATUSES = ("resolved", "unresolved", "ignored")


def set_issue_status(db: Database, issue_id: int, status: str) -> None:
    """Set ``status``; resolving stamps ``resolved_at``, unresolving clears it (ongoing).

    Asking for the status an issue already has changes nothing (a resolved issue keeps its
    first ``resolved_at``).
    """
    if status not in STATUSES:
        raise ActionError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    issues = tables.issues
    values: dict[str, object] = {"status": status}
    if status == "unresolved":
        values.update(substatus="ongoing", resolved_at=None)
    elif status == "ignored":
        values["resolved_at"] = None
    with db.write() as conn:
        current = conn.execute(select(issues.c.status).where(issues.c.id == issue_id)).scalar()
        if current is None:
            raise NotFoundError(f"issue {issue_id} does not exist")
        if status == current:
            return
        if status == "resolved":
            values["resolved_at"] = time.time()
        conn.execute(update(issues).where(issues.c.id == issue_id).values(**values))
