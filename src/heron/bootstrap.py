"""First start: migrate, then create an organization, a project and an admin user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from heron.settings import Config
from heron.store import Database, migrate, tables
from heron.store import accounts as acc

DEFAULT_ORG = "heron"
DEFAULT_PROJECT = "default"


@dataclass(frozen=True)
class FirstRun:
    admin_email: str
    admin_password: str | None  # set only when we generated it: printed once
    dsn: str


def dsn_for(config: Config, public_key: str, project_id: int) -> str:
    base = config.effective_public_url
    scheme, rest = base.split("://", 1)
    return f"{scheme}://{public_key}@{rest}/{project_id}"


def project_dsn(db: Database, config: Config, project_id: int) -> str:
    with db.read() as conn:
        key = conn.execute(
            select(tables.project_keys.c.public_key)
            .where(tables.project_keys.c.project_id == project_id)
            .where(tables.project_keys.c.is_active.is_(True))
            .order_by(tables.project_keys.c.id)
        ).scalar()
    if key is None:
        raise acc.AccountError(f"project {project_id} has no active key")
    return dsn_for(config, key, project_id)


def secret_key(db: Database, config: Config) -> str:
    """The cookie-signing key: from the settings, else kept in the database."""
    if config.secret_key:
        return str(config.secret_key)
    with db.write() as conn:
        value = acc.get_instance_value(conn, "secret_key")
        if value is None:
            value = secrets.token_urlsafe(48)
            acc.set_instance_value(conn, "secret_key", value)
    return value


def first_run(db: Database, config: Config) -> FirstRun | None:
    """Migrate and, on an empty database, create the first org, project and admin."""
    migrate(db)
    with db.write() as conn:
        if acc.count_users(conn) > 0:
            return None
        generated = not config.admin_password
        password = config.admin_password or secrets.token_urlsafe(12)
        org_id = acc.create_organization(conn, DEFAULT_ORG, "Heron")
        user_id = acc.create_user(conn, config.admin_email, password, is_superuser=True)
        acc.add_member(conn, org_id, user_id, role="owner")
        project_id = acc.create_project(conn, org_id, DEFAULT_PROJECT, name="Default")
    return FirstRun(
        admin_email=config.admin_email,
        admin_password=password if generated else None,
        dsn=project_dsn(db, config, project_id),
    )
