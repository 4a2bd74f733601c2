"""Organizations, projects, client keys, users, members and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from heron.store.tables import (
    api_tokens,
    instance,
    members,
    organizations,
    project_keys,
    projects,
    team_members,
    teams,
    users,
)

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A request about accounts that cannot be carried out (duplicate slug, unknown org…)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ProjectKey:
    project_id: int
    public_key: str
    is_active: bool
    rate_limit: int | None


# --- instance-wide values ---------------------------------------------------------------


def get_instance_value(conn: Connection, key: str) -> str | None:
    return conn.execute(select(instance.c.value).where(instance.c.key == key)).scalar()


def set_instance_value(conn: Connection, key: str, value: str) -> None:
    if get_instance_value(conn, key) is None:
        conn.execute(instance.insert().values(key=key, value=value))
    else:
        conn.execute(update(instance).where(instance.c.key == key).values(value=value))


# --- organizations and projects ------------------------------------------------------


def create_organization(conn: Connection, slug: str, name: str | None = None) -> int:
    if conn.execute(select(organizations.c.id).where(organizations.c.slug == slug)).first():
        raise AccountError(f"organization {slug!r} already exists")
    result = conn.execute(
        organizations.insert().values(slug=slug, name=name or slug, created_at=time.time())
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def organization_by_slug(conn: Connection, slug: str) -> dict[str, Any] | None:
    row = conn.execute(select(organizations).where(organizations.c.slug == slug)).first()
    return dict(row._mapping) if row else None


def create_project(
    conn: Connection,
    organization_id: int,
    slug: str,
    *,
    name: str | None = None,
    platform: str = "python",
    rate_limit: int | None = None,
) -> int:
    exists = conn.execute(
        select(projects.c.id).where(
            projects.c.organization_id == organization_id, projects.c.slug == slug
        )
    ).first()
    if exists:
        raise AccountError(f"project {slug!r} already exists")
    result = conn.execute(
        projects.insert().values(
            organization_id=organization_id,
            slug=slug,
            name=name or slug,
            platform=platform,
            rate_limit=rate_limit,
            next_short_id=1,
            created_at=time.time(),
        )
    )
    project_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    create_key(conn, project_id)
    return project_id


def create_key(conn: Connection, project_id: int, label: str = "Default") -> str:
    public_key = secrets.token_hex(16)
    conn.execute(
        project_keys.insert().values(
            project_id=project_id,
            public_key=public_key,
            label=label,
            is_active=True,
            created_at=time.time(),
        )
    )
    return public_key


def project_key(conn: Connection, public_key: str) -> ProjectKey | None:
    """The key and its project's ingest settings, for the ingest hot path."""
    row = conn.execute(
        select(
            project_keys.c.project_id,
            project_keys.c.public_key,
            project_keys.c.is_active,
            projects.c.rate_limit,
        )
        .join(projects, projects.c.id == project_keys.c.project_id)
        .where(project_keys.c.public_key == public_key)
    ).first()
    if row is None:
        return None
    return ProjectKey(row.project_id, row.public_key, bool(row.is_active), row.rate_limit)


def project_exists(conn: Connection, project_id: int) -> bool:
    return (
        conn.execute(select(projects.c.id).where(projects.c.id == project_id)).first() is not None
    )


def set_rate_limit(conn: Connection, project_id: int, per_minute: int | None) -> None:
    conn.execute(update(projects).where(projects.c.id == project_id).values(rate_limit=per_minute))


# --- users, members, tokens --------------------------------------------------------------


def create_user(
    conn: Connection, email: str, password: str, *, is_superuser: bool = False, name: str = ""
) -> int:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an e-mail address")
    if conn.execute(select(users.c.id).where(users.c.email == email)).first():
        raise AccountError(f"user {email!r} already exists")
    result = conn.execute(
        users.insert().values(
            email=email,
            name=name,
            password_hash=hash_password(password),
            is_superuser=is_superuser,
            is_active=True,
            created_at=time.time(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return dict(row._mapping) if row else None


def set_user_name(conn: Connection, user_id: int, name: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(name=name))


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    """Store a hash from :func:`hash_password` (made outside the write transaction)."""
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    return dict(row._mapping) if row else None


def add_member(conn: Connection, organization_id: int, user_id: int, role: str = "member") -> None:
    conn.execute(
        members.insert().values(organization_id=organization_id, user_id=user_id, role=role)
    )


def role_in(conn: Connection, organization_id: int, user_id: int) -> str | None:
    """The user's role in the organization; None when not a member."""
    return conn.execute(
        select(members.c.role).where(
            members.c.organization_id == organization_id, members.c.user_id == user_id
        )
    ).scalar()


def set_role(conn: Connection, organization_id: int, user_id: int, role: str) -> None:
    conn.execute(
        update(members)
        .where(members.c.organization_id == organization_id, members.c.user_id == user_id)
        .values(role=role)
    )


def remove_member(conn: Connection, organization_id: int, user_id: int) -> None:
    """Take the user out of the organization and out of its teams."""
    org_teams = select(teams.c.id).where(teams.c.organization_id == organization_id)
    conn.execute(
        delete(team_members).where(
            team_members.c.user_id == user_id, team_members.c.team_id.in_(org_teams)
        )
    )
    conn.execute(
        delete(members).where(
            members.c.organization_id == organization_id, members.c.user_id == user_id
        )
    )


def count_owners(conn: Connection, organization_id: int) -> int:
    """How many owners the organization has, locking their rows until the transaction ends:
    two owners demoting each other at once on PostgreSQL cannot both see the other one."""
    owners = conn.execute(
        select(members.c.id)
        .where(members.c.organization_id == organization_id, members.c.role == "owner")
        .with_for_update()
    )
    return len(owners.all())


def roles_of(conn: Connection, user_id: int) -> dict[int, str]:
    """The user's role in each organization they belong to: ``{organization_id: role}``."""
    rows = conn.execute(
        select(members.c.organization_id, members.c.role).where(members.c.user_id == user_id)
    )
    return {int(r[0]): str(r[1]) for r in rows}


def create_token(conn: Connection, user_id: int, name: str = "") -> str:
    """Mint an API bearer token; only its hash is stored, so it is shown once."""
    token = secrets.token_hex(32)
    conn.execute(
        api_tokens.insert().values(
            user_id=user_id, token_hash=hash_token(token), name=name, created_at=time.time()
        )
    )
    return token


def delete_token(conn: Connection, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when the user has no token with that id."""
    result = conn.execute(
        delete(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
    )
    return bool(result.rowcount)


def token_last_used(conn: Connection, token: str) -> float | None:
    return conn.execute(
        select(api_tokens.c.last_used_at).where(api_tokens.c.token_hash == hash_token(token))
    ).scalar()


def mark_token_used(conn: Connection, token: str, when: float) -> None:
    conn.execute(
        update(api_tokens)
        .where(api_tokens.c.token_hash == hash_token(token))
        .values(last_used_at=when)
    )


def user_for_token(conn: Connection, token: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(users)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == hash_token(token), users.c.is_active.is_(True))
    ).first()
    return dict(row._mapping) if row else None


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())
