"""Comments on an issue: notes in its activity log. Authors delete their own comments;
admins and owners may delete anyone's."""

from __future__ import annotations

from sqlalchemy import delete, select

from heron.actions.access import require_role
from heron.actions.errors import ActionError, NotFoundError
from heron.actions.issue_access import issue_for_actor
from heron.query.models import MAX_BIG_ID
from heron.store import Database, activity_row, tables

MAX_COMMENT = 10_000  # characters
NOT_YOURS = "Only its author or an admin may delete a comment."

_a = tables.activity


def add_comment(db: Database, issue_id: int, text: str, *, actor_id: int | None = None) -> int:
    """Add a comment; returns its activity id."""
    body = text.strip()
    if not body:
        raise ActionError("a comment needs some text")
    if len(body) > MAX_COMMENT:
        raise ActionError(f"a comment holds at most {MAX_COMMENT} characters")
    if "\x00" in body:
        raise ActionError("a comment cannot contain NUL characters")
    with db.write() as conn:
        issue = issue_for_actor(conn, issue_id, actor_id)
        row = activity_row(issue_id, issue.project_id, "note", {"text": body}, user_id=actor_id)
        result = conn.execute(_a.insert().values(**row))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def delete_comment(
    db: Database, issue_id: int, activity_id: int, *, actor_id: int | None = None
) -> None:
    """Delete one comment of the issue: the author's own, or any as an admin."""
    with db.write() as conn:
        issue = issue_for_actor(conn, issue_id, actor_id)
        note = None
        if 0 < activity_id <= MAX_BIG_ID:
            note = conn.execute(
                select(_a.c.id, _a.c.user_id).where(
                    _a.c.id == activity_id, _a.c.issue_id == issue_id, _a.c.kind == "note"
                )
            ).first()
        if note is None:
            raise NotFoundError("no such comment on this issue")
        if actor_id is not None and note.user_id != actor_id:
            require_role(
                conn, issue.organization_id, actor_id, "admin", what="comment", refusal=NOT_YOURS
            )
        conn.execute(delete(_a).where(_a.c.id == activity_id))
