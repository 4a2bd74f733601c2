"""The ``heron`` command."""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from heron import actions
from heron.bootstrap import first_run, project_dsn
from heron.ingest.keys import TTL as KEY_TTL
from heron.settings import Config, SettingsError, describe, load
from heron.store import Database, migrate, tables
from heron.store.accounts import AccountError

log = logging.getLogger("heron")


def _setup_logging(config: Config) -> None:
    logging.basicConfig(
        level=str(config.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _digest_child(values: dict[str, Any], parent_pid: int) -> None:
    from heron import digest

    config = Config(values)
    _setup_logging(config)
    # Ingest must answer SDKs at once (they never retry); the digest can lag behind, since
    # the inbox is durable. Under CPU contention the kernel should favour the HTTP process.
    os.nice(int(config.digest_nice))
    digest.run(config, parent_pid=parent_pid)


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    import uvicorn

    config = config.replace(host=args.host, port=args.port, workers=args.workers)
    db = Database(config.effective_database_url)
    created = first_run(db, config)
    with db.read() as conn:
        project_id = conn.execute(
            select(tables.projects.c.id).order_by(tables.projects.c.id)
        ).scalar()
    print(f"Heron is running at {config.effective_public_url}/", flush=True)
    if created is not None:
        print(f"  admin user: {created.admin_email}", flush=True)
        if created.admin_password:
            print(f"  admin password (shown once): {created.admin_password}", flush=True)
    if project_id is not None:
        print(f"  DSN of the first project: {project_dsn(db, config, project_id)}", flush=True)
    db.dispose()

    # Worker processes (uvicorn --workers) rebuild the app from the environment.
    for name, value in config.values.items():
        os.environ["HERON_" + name.upper()] = str(value)
    child = None
    if not config.digest_in_process:
        ctx = multiprocessing.get_context("spawn")
        child = ctx.Process(
            target=_digest_child, args=(dict(config.values), os.getpid()), name="heron-digest"
        )
        child.start()
    try:
        uvicorn.run(
            "heron.app:app_from_env",
            factory=True,
            host=config.host,
            port=int(config.port),
            workers=int(config.workers),
            log_level=str(config.log_level).lower(),
            access_log=False,
            http="httptools",
            loop="uvloop",
        )
    finally:
        if child is not None:
            child.terminate()
            child.join(timeout=10)
    return 0


def cmd_digest(config: Config, args: argparse.Namespace) -> int:
    from heron import digest

    db = Database(config.effective_database_url)
    migrate(db)
    db.dispose()
    with contextlib.suppress(KeyboardInterrupt):
        digest.run(config)
    return 0


def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    db = Database(config.effective_database_url)
    migrate(db)
    print("database is at the newest schema")
    return 0


def cmd_user_create(config: Config, args: argparse.Namespace) -> int:
    db = _ready_db(config)
    _user_id, password = actions.create_user(
        db, args.email, args.password, superuser=args.superuser
    )
    print(f"created user {args.email}")
    if not args.password:
        print(f"password (shown once): {password}")
    return 0


def cmd_token_create(config: Config, args: argparse.Namespace) -> int:
    db = _ready_db(config)
    print(actions.create_token(db, args.email))
    return 0


def cmd_project_create(config: Config, args: argparse.Namespace) -> int:
    db = _ready_db(config)
    project_id = actions.create_project(db, args.org, args.slug, platform=args.platform)
    print(project_dsn(db, config, project_id))
    return 0


def cmd_project_update(config: Config, args: argparse.Namespace) -> int:
    db = _ready_db(config)
    if args.rate_limit is None and args.grouping_strategy is None:
        print("heron: nothing to change (use --rate-limit or --grouping-strategy)")
        return 2
    if args.rate_limit is not None:
        actions.set_rate_limit(db, args.org, args.slug, args.rate_limit)
        limit = f"{args.rate_limit} events a minute" if args.rate_limit else "unlimited"
        print(f"{args.org}/{args.slug}: rate limit {limit} (applies within {KEY_TTL:g} s)")
    if args.grouping_strategy is not None:
        actions.set_grouping_strategy(
            db, args.org, args.slug, args.grouping_strategy, transition_days=args.transition_days
        )
        print(
            f"{args.org}/{args.slug}: grouping strategy {args.grouping_strategy}; the previous "
            f"one is still looked up for {args.transition_days:g} days"
        )
    return 0


def cmd_project_delete(config: Config, args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"heron: this deletes {args.org}/{args.slug} with all its issues, events and keys; "
            "add --yes to do it",
            file=sys.stderr,
        )
        return 2
    db = _ready_db(config)
    deleted = actions.delete_project(db, args.org, args.slug)
    rows = ", ".join(f"{count} {table}" for table, count in deleted.items())
    print(
        f"deleted {args.org}/{args.slug} ({rows}); running servers refuse its keys within "
        f"{KEY_TTL:g} s"
    )
    return 0


def cmd_project_list(config: Config, args: argparse.Namespace) -> int:
    db = _ready_db(config)
    p, o = tables.projects, tables.organizations
    with db.read() as conn:
        rows = conn.execute(
            select(p.c.id, o.c.slug, p.c.slug, p.c.platform)
            .join(o, o.c.id == p.c.organization_id)
            .order_by(p.c.id)
        ).all()
    for project_id, org, slug, platform in rows:
        print(f"{project_id}\t{org}/{slug}\t{platform}\t{project_dsn(db, config, project_id)}")
    return 0


def cmd_config_show(config: Config, args: argparse.Namespace) -> int:
    for env, value, help_text in describe(config):
        print(f"{env}={value}\n    {help_text}")
    return 0


def _ready_db(config: Config) -> Database:
    db = Database(config.effective_database_url)
    first_run(db, config)
    return db


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heron", description="Heron monitoring server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the server (ingest, digest, API, web)")
    serve.add_argument("--host", help="listen address (HERON_HOST)")
    serve.add_argument("--port", type=int, help="listen port (HERON_PORT)")
    serve.add_argument("--workers", type=int, help="HTTP worker processes (HERON_WORKERS)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("digest", help="run a digest worker alone").set_defaults(func=cmd_digest)
    sub.add_parser("migrate", help="migrate the database").set_defaults(func=cmd_migrate)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    user_create = user.add_parser("create", help="create a user")
    user_create.add_argument("email")
    user_create.add_argument("--password", help="password (default: generated and printed)")
    user_create.add_argument("--superuser", action="store_true")
    user_create.set_defaults(func=cmd_user_create)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="print a new API bearer token for a user")
    token_create.add_argument("email")
    token_create.set_defaults(func=cmd_token_create)

    project = sub.add_parser("project", help="manage projects").add_subparsers(
        dest="action", required=True
    )
    project_create = project.add_parser("create", help="create a project and print its DSN")
    project_create.add_argument("slug")
    project_create.add_argument("--org", default="heron", help="organization slug")
    project_create.add_argument("--platform", default="python")
    project_create.set_defaults(func=cmd_project_create)
    project_update = project.add_parser("update", help="change a project's settings")
    project_update.add_argument("slug")
    project_update.add_argument("--org", default="heron", help="organization slug")
    project_update.add_argument("--rate-limit", type=int, help="events per minute (0: unlimited)")
    project_update.add_argument("--grouping-strategy", help="grouping strategy id for new events")
    project_update.add_argument(
        "--transition-days",
        type=float,
        default=30,
        help="how long the previous strategy's hashes are still looked up (default 30)",
    )
    project_update.set_defaults(func=cmd_project_update)
    project.add_parser("list", help="list projects with their DSNs").set_defaults(
        func=cmd_project_list
    )
    project_delete = project.add_parser(
        "delete", help="delete a project with all its data (its DSNs stop working)"
    )
    project_delete.add_argument("slug")
    project_delete.add_argument("--org", default="heron", help="organization slug")
    project_delete.add_argument("--yes", action="store_true", help="really delete it")
    project_delete.set_defaults(func=cmd_project_delete)

    cfg = sub.add_parser("config", help="settings").add_subparsers(dest="action", required=True)
    cfg.add_parser("show", help="print the effective settings").set_defaults(func=cmd_config_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load()
    except SettingsError as exc:
        print(f"heron: {exc}", file=sys.stderr)
        return 2
    _setup_logging(config)
    try:
        return int(args.func(config, args))
    except (AccountError, actions.ActionError) as exc:
        print(f"heron: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
