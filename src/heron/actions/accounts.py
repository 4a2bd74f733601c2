"""Creating organizations, projects, users, memberships and API tokens."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Connection, select, update

from heron.actions.errors import ActionError, NotFoundError
from heron.store import Database, tables
from heron.store import accounts as acc


def create_organization(db: Database, slug: str, name: str | None = None) -> int:
    with db.write() as conn:
        try:
            return acc.create_organization(conn, _slug(slug), name)
        except acc.AccountError as exc:
            raise ActionError(str(exc)) from exc


def create_project(
    db: Database,
    org_slug: str,
    slug: str,
    *,
    name: str | None = None,
    platform: str = "python",
) -> int:
    """Create a project (and its first client key) in the organization; returns its id."""
    with db.write() as conn:
        org = _organization(conn, org_slug)
        try:
            return acc.create_project(conn, org, _slug(slug), name=name, platform=platform)
        except acc.AccountError as exc:
            raise ActionError(str(exc)) from exc


def set_rate_limit(db: Database, org_slug: str, slug: str, per_minute: int | None) -> int:
    """Limit a project to ``per_minute`` events a minute (None or 0: unlimited)."""
    if per_minute is not None and per_minute < 0:
        raise ActionError("a rate limit cannot be negative")
    p = tables.projects
    with db.write() as conn:
        org = _organization(conn, org_slug)
        project_id = conn.execute(
            select(p.c.id).where(p.c.organization_id == org, p.c.slug == slug.strip().lower())
        ).scalar()
        if project_id is None:
            raise NotFoundError(f"project {org_slug}/{slug} does not exist")
        acc.set_rate_limit(conn, int(project_id), per_minute or None)
    return int(project_id)


def set_grouping_strategy(
    db: Database, org_slug: str, slug: str, strategy: str, *, transition_days: float = 30
) -> int:
    """Move a project to another grouping strategy.

    The previous strategy's hashes are still looked up for ``transition_days``, so events of
    existing issues keep landing in them (and teach them their new hashes) instead of
    opening new issues.
    """
    from heron.grouping import STRATEGIES

    if strategy not in STRATEGIES:
        known = ", ".join(sorted(STRATEGIES))
        raise ActionError(f"unknown grouping strategy {strategy!r} (known: {known})")
    p = tables.projects
    with db.write() as conn:
        org = _organization(conn, org_slug)
        row = conn.execute(
            select(p.c.id, p.c.grouping_config).where(
                p.c.organization_id == org, p.c.slug == slug.strip().lower()
            )
        ).first()
        if row is None:
            raise NotFoundError(f"project {org_slug}/{slug} does not exist")
        if row.grouping_config != strategy:
            conn.execute(
                update(p)
                .where(p.c.id == row.id)
                .values(
                    grouping_config=strategy,
                    secondary_grouping_config=row.grouping_config,
                    secondary_grouping_expiry=time.time() + transition_days * 86400,
                )
            )
    return int(row.id)


def create_user(
    db: Database, email: str, password: str | None = None, *, superuser: bool = False
) -> tuple[int, str]:
    """Create a user; returns its id and the password (generated when none is given).

    When the instance has exactly one organization the user joins it (as an owner when a
    superuser), so a new account sees the data right away. With several organizations the
    user joins none: add them with :func:`add_member`.
    """
    password = password or secrets.token_urlsafe(12)
    with db.write() as conn:
        try:
            user_id = acc.create_user(conn, email, password, is_superuser=superuser)
        except acc.AccountError as exc:
            raise ActionError(str(exc)) from exc
        org_ids = list(conn.execute(select(tables.organizations.c.id)).scalars())
        if len(org_ids) == 1:
            acc.add_member(conn, org_ids[0], user_id, role="owner" if superuser else "member")
    return user_id, password


def add_member(db: Database, org_slug: str, email: str, role: str = "member") -> None:
    """Make the user a member of the organization (nothing happens if already one)."""
    with db.write() as conn:
        org = _organization(conn, org_slug)
        user_id = _user_id(conn, email)
        if org not in acc.roles_of(conn, user_id):
            acc.add_member(conn, org, user_id, role=role)


def create_token(db: Database, email: str, name: str = "") -> str:
    """Mint an API token for the user; it is shown only this once."""
    with db.write() as conn:
        return acc.create_token(conn, _user_id(conn, email), name=name)


def _organization(conn: Connection, slug: str) -> int:
    org = acc.organization_by_slug(conn, slug)
    if org is None:
        raise NotFoundError(f"organization {slug!r} does not exist")
    return int(org["id"])


def _user_id(conn: Connection, email: str) -> int:
    user = acc.user_by_email(conn, email)
    if user is None:
        raise NotFoundError(f"user {email!r} does not exist")
    return int(user["id"])


def _slug(slug: str) -> str:
    cleaned = slug.strip().lower()
    if not cleaned or not all(c.isascii() and (c.isalnum() or c in "-_") for c in cleaned):
        raise ActionError(f"{slug!r} is not a slug: use letters, digits, '-' and '_'")
    if len(cleaned) > 64:
        raise ActionError(f"{slug!r} is longer than 64 characters")
    return cleaned
