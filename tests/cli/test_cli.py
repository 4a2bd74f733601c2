"""The ``heron`` command as an operator uses it, against a fresh database of each backend."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from heron.store import tables
from heron.store.accounts import check_password
from tests.live import LiveServer, heron_env, run_cli, wait_for
from tests.sdk.helpers import SDK_INIT, database, marker, run_sdk_file

DSN = re.compile(r"^http://([0-9a-f]{32})@127\.0\.0\.1:(\d+)/(\d+)$")


def _no_traceback(result: object) -> None:
    assert "Traceback" not in str(getattr(result, "stderr", ""))


def test_migrate_twice_is_harmless(tmp_path: Path, fresh_database: str) -> None:
    env = heron_env(tmp_path, fresh_database)
    first = run_cli(env, "migrate")
    second = run_cli(env, "migrate")
    assert first.returncode == second.returncode == 0
    _no_traceback(second)
    listing = run_cli(env, "project", "list")
    assert "heron/default" in listing.stdout


def test_users_tokens_and_projects(tmp_path: Path, fresh_database: str) -> None:
    server = LiveServer(tmp_path, fresh_database).start()
    try:
        env = server.env

        # Users: with a given password, with a generated one, and a refused duplicate.
        created = run_cli(env, "user", "create", "dev@example.com", "--password", "pw-for-dev")
        assert "created user dev@example.com" in created.stdout
        assert "pw-for-dev" not in created.stdout
        generated = run_cli(env, "user", "create", "ops@example.com")
        password = re.search(r"password \(shown once\): (\S+)", generated.stdout)
        assert password, generated.stdout
        duplicate = run_cli(env, "user", "create", "dev@example.com", check=False)
        assert duplicate.returncode != 0
        assert duplicate.stderr.startswith("heron: ")
        _no_traceback(duplicate)
        with database(server) as db, db.read() as conn:
            stored = conn.execute(
                select(tables.users.c.password_hash).where(
                    tables.users.c.email == "ops@example.com"
                )
            ).scalar_one()
        assert check_password(password.group(1), stored)

        # Tokens: a new admin token works against the API; a made-up one does not.
        token = run_cli(env, "token", "create", "admin@localhost").stdout.strip()
        assert re.fullmatch(r"\S{20,}", token)
        response = httpx.get(
            server.url + "/api/0/projects/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200
        assert "default" in [p["slug"] for p in response.json()]
        forged = httpx.get(
            server.url + "/api/0/projects/",
            headers={"Authorization": "Bearer " + "0" * len(token)},
            timeout=30,
        )
        assert forged.status_code == 401

        # Projects: the printed DSN is one the SDK can send to, and the list shows it.
        slug = marker("web")
        dsn = run_cli(env, "project", "create", slug, "--org", "heron").stdout.strip()
        found = DSN.match(dsn)
        assert found, dsn
        assert int(found.group(2)) == server.port
        unknown_org = run_cli(env, "project", "create", "x", "--org", "nope", check=False)
        assert unknown_org.returncode != 0
        _no_traceback(unknown_org)

        listing = run_cli(env, "project", "list").stdout
        line = next(x for x in listing.splitlines() if f"heron/{slug}" in x)
        assert dsn in line
        assert "heron/default" in listing

        mark = marker()
        run_sdk_file(
            tmp_path,
            SDK_INIT
            + f"""
sentry_sdk.set_tag("marker", "{mark}")
sentry_sdk.capture_message("hello from the new project {mark}")
sentry_sdk.flush()
""",
            dsn,
        )
        [issue] = wait_for(
            lambda: server.api(
                f"/api/0/projects/heron/{slug}/issues/", params={"query": f"marker:{mark}"}
            ).json()
        )
        assert issue["project"]["slug"] == slug
        assert issue["title"] == f"hello from the new project {mark}"
        assert server.issues(f"marker:{mark}") == [], "not in the default project"
    finally:
        server.stop()
    assert server.unexpected_errors() == []


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    secrets = {
        "HERON_ADMIN_PASSWORD": "admin-pw-" + marker(),
        "HERON_SECRET_KEY": "cookie-key-" + marker(),
        "HERON_DATABASE_URL": f"postgresql://heron:{marker('dbpw')}@db.example.com/heron",
    }
    env = heron_env(tmp_path, **secrets)
    env.update(secrets)
    shown = run_cli(env, "config", "show").stdout
    for name, value in secrets.items():
        assert value not in shown
        assert f"{name}=****" in shown
    for word in ("dbpw", "admin-pw", "cookie-key"):
        assert word not in shown
    # Everything else is shown as set.
    assert f"HERON_DATA_DIR={tmp_path}" in shown
    assert "HERON_MAX_EVENT_BYTES=1048576" in shown


def test_first_start_prints_the_admin_password_once(tmp_path: Path, fresh_database: str) -> None:
    first = LiveServer(tmp_path, fresh_database, HERON_ADMIN_PASSWORD="").start()
    first.stop()
    first_log = first.log()
    found = re.search(r"admin password \(shown once\): (\S+)", first_log)
    assert found, first_log
    with database(first) as db, db.read() as conn:
        stored = conn.execute(
            select(tables.users.c.password_hash).where(tables.users.c.email == "admin@localhost")
        ).scalar_one()
    assert check_password(found.group(1), stored)

    second = LiveServer(tmp_path, fresh_database, HERON_ADMIN_PASSWORD="").start()
    second.stop()
    second_log = second.log()
    if second.log_path == first.log_path:
        second_log = second_log[len(first_log) :]
    assert "DSN of the first project" in second_log
    assert "admin password" not in second_log
    assert found.group(1) not in second_log
    assert first.unexpected_errors() == second.unexpected_errors() == []


def test_grouping_strategy_change_opens_a_transition(tmp_path: Path) -> None:
    from heron.settings import load
    from heron.store import Database

    env = heron_env(tmp_path)
    refused = run_cli(
        env, "project", "update", "default", "--grouping-strategy", "nope:1", check=False
    )
    assert refused.returncode == 1 and "unknown grouping strategy" in refused.stderr
    db = Database(load(env).effective_database_url)
    with db.write() as conn:  # as if the project had been grouped by an older strategy
        conn.execute(tables.projects.update().values(grouping_config="older:1"))
    done = run_cli(
        env,
        "project",
        "update",
        "default",
        "--grouping-strategy",
        "newstyle:2023-01-11",
        "--transition-days",
        "7",
    )
    assert "7 days" in done.stdout
    with db.read() as conn:
        row = conn.execute(select(tables.projects)).one()
    db.dispose()
    assert row.grouping_config == "newstyle:2023-01-11"
    assert row.secondary_grouping_config == "older:1"
    assert row.secondary_grouping_expiry is not None
