"""A project's client keys (DSNs): create, rename, disable/enable, rotate, rate limit, delete.

Rotating a key creates a new one with the same label and rate limit and disables the old
one; both stay listed, so people can see which DSN their apps still use. Ingest caches keys
for a few seconds (see :mod:`heron.ingest.keys`): callers in a process that also serves
ingest drop that cache after each change.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Connection

from heron.actions.errors import ActionError, NotFoundError
from heron.actions.projects import managed_project
from heron.query.models import MAX_ID
from heron.store import Database
from heron.store import projects as store

MAX_LABEL_CHARS = 200
DEFAULT_LABEL = "Default"


class Keep(enum.Enum):
    """Leave the value as it is (where None means "none")."""

    KEEP = "keep"


KEEP = Keep.KEEP


def create_key(
    db: Database,
    org_slug: str,
    project_slug: str,
    label: str = "",
    *,
    rate_limit: int | None = None,
    actor_id: int | None = None,
) -> int:
    """A new active key for the project; returns its id. An empty label is "Default"."""
    label = check_label(label)
    rate_limit = check_rate_limit(rate_limit)
    with db.write() as conn:
        project_id = managed_project(conn, org_slug, project_slug, actor_id)
        return store.insert_key(conn, project_id, label, rate_limit)


def update_key(
    db: Database,
    org_slug: str,
    project_slug: str,
    key_id: int,
    *,
    label: str | None = None,
    active: bool | None = None,
    rate_limit: int | Keep | None = KEEP,
    actor_id: int | None = None,
) -> None:
    """Change what is given (None / KEEP: leave as is); ``rate_limit`` None removes it."""
    values: dict[str, Any] = {}
    if label is not None:
        values["label"] = check_label(label)
    if active is not None:
        values["is_active"] = active
    if not isinstance(rate_limit, Keep):
        values["rate_limit"] = check_rate_limit(rate_limit)
    with db.write() as conn:
        key = _key(conn, org_slug, project_slug, key_id, actor_id)
        if values:
            store.update_key(conn, key["id"], **values)


def set_key_active(
    db: Database,
    org_slug: str,
    project_slug: str,
    key_id: int,
    active: bool,
    *,
    actor_id: int | None = None,
) -> None:
    """Disable a key (ingest refuses it) or enable it again."""
    update_key(db, org_slug, project_slug, key_id, active=active, actor_id=actor_id)


def set_key_rate_limit(
    db: Database,
    org_slug: str,
    project_slug: str,
    key_id: int,
    per_minute: int | None,
    *,
    actor_id: int | None = None,
) -> None:
    """Limit the key to ``per_minute`` events a minute (None or 0: no limit of its own)."""
    update_key(db, org_slug, project_slug, key_id, rate_limit=per_minute, actor_id=actor_id)


def rotate_key(
    db: Database, org_slug: str, project_slug: str, key_id: int, *, actor_id: int | None = None
) -> int:
    """Replace the key: a new one with its label and rate limit, the old one disabled."""
    with db.write() as conn:
        old = _key(conn, org_slug, project_slug, key_id, actor_id)
        new_id = store.insert_key(conn, old["project_id"], old["label"], old["rate_limit"])
        store.update_key(conn, old["id"], is_active=False)
    return new_id


def delete_key(
    db: Database, org_slug: str, project_slug: str, key_id: int, *, actor_id: int | None = None
) -> None:
    """Delete the key for good: ingest refuses it from then on."""
    with db.write() as conn:
        key = _key(conn, org_slug, project_slug, key_id, actor_id)
        store.delete_key(conn, key["id"])


def parse_rate_limit(text: str) -> int | None:
    """A rate limit as typed in a form: "" (or 0) is none, else a positive whole number."""
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ActionError(
            f"{text[:40]!r} is not a rate limit: give a number of events per minute."
        ) from None
    return check_rate_limit(value)


def check_rate_limit(value: int | None) -> int | None:
    if value is None or value == 0:
        return None
    if value < 0:
        raise ActionError("A rate limit cannot be negative.")
    if value > MAX_ID:
        raise ActionError(f"A rate limit is at most {MAX_ID} events per minute.")
    return value


def check_label(label: str) -> str:
    cleaned = " ".join(label.split())
    if not cleaned:
        return DEFAULT_LABEL
    if len(cleaned) > MAX_LABEL_CHARS or "\x00" in cleaned:
        raise ActionError(f"A key's name is at most {MAX_LABEL_CHARS} printable characters.")
    return cleaned


def _key(
    conn: Connection, org_slug: str, project_slug: str, key_id: int, actor_id: int | None
) -> dict[str, Any]:
    project_id = managed_project(conn, org_slug, project_slug, actor_id)
    key = store.key_of_project(conn, project_id, key_id) if 0 < key_id <= MAX_ID else None
    if key is None:
        raise NotFoundError(f"key {key_id} does not exist")
    return key
