"""An in-process Heron for API and page tests: send events, digest them, read them back."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from starlette.exceptions import StarletteDeprecationWarning

from heron import actions
from heron.app import create_app
from heron.bootstrap import first_run
from heron.digest import drain
from heron.protocol import Envelope, Item, serialize_envelope
from heron.settings import load
from heron.store import Database, tables
from heron.store import accounts as acc
from tests.live import PostgresUnavailable, create_pg_database, drop_pg_database

with warnings.catch_warnings():
    # Starlette warns that its test client prefers httpx2; httpx is what is installed.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "BACKENDS",
    "Heron",
    "TestClient",
    "error_event",
    "message_event",
    "running",
    "start",
]

CAPTURED = Path("/work/shared/conformance/envelopes/captured/python-sentry-sdk-2.75.0/basic")
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"


@dataclass
class Heron:
    """The app, its database, a client, and the default org/project/key of the first run."""

    client: TestClient
    db: Database
    project_id: int
    public_key: str
    token: str
    tokens: dict[str, str] = field(default_factory=dict)

    def send(self, *events: dict[str, Any], project_id: int | None = None) -> None:
        """POST each event as an envelope to the ingest endpoint, then digest the inbox."""
        pid = project_id or self.project_id
        key = self.key_of(pid)
        for event in events:
            envelope = Envelope(
                {"event_id": event["event_id"]}, [Item({"type": "event"}, orjson.dumps(event))]
            )
            self.post_envelope(serialize_envelope(envelope), pid, key)
        drain(self.db)

    def send_captured(self, *names: str) -> None:
        for name in names:
            self.post_envelope((CAPTURED / name).read_bytes(), self.project_id, self.public_key)
        drain(self.db)

    def post_envelope(self, body: bytes, project_id: int, key: str) -> None:
        response = self.client.post(
            f"/api/{project_id}/envelope/",
            content=body,
            headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
        )
        assert response.status_code == 200, response.text

    def key_of(self, project_id: int) -> str:
        with self.db.read() as conn:
            key = conn.execute(
                select(tables.project_keys.c.public_key).where(
                    tables.project_keys.c.project_id == project_id
                )
            ).scalar_one()
        return str(key)

    def api(self, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        """GET an API path with the admin's token (or ``token``)."""
        return self.client.get(path, headers=self.auth(token), **kwargs)

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def issue_id(self, title_part: str) -> int:
        with self.db.read() as conn:
            ids = conn.execute(
                select(tables.issues.c.id).where(tables.issues.c.title.contains(title_part))
            ).scalars()
            found = list(ids)
        assert len(found) == 1, (title_part, found)
        return int(found[0])

    def other_org(self) -> tuple[int, str]:
        """A second organization with its own project, user and token; (project id, token)."""
        with self.db.write() as conn:
            org = acc.create_organization(conn, "rivals", "Rivals")
            project = acc.create_project(conn, org, "secret-app")
            user = acc.create_user(conn, "eve@rivals.example", "eve's password")
            acc.add_member(conn, org, user)
            token = acc.create_token(conn, user)
        return project, token


BACKENDS = ("sqlite", "postgres")


@contextlib.contextmanager
def database_url(backend: str) -> Iterator[str]:
    """'' (SQLite in the data directory) or a fresh PostgreSQL database, dropped afterwards."""
    if backend == "sqlite":
        yield ""
        return
    try:
        url = create_pg_database()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield url
    finally:
        drop_pg_database(url)


@contextlib.contextmanager
def running(data_dir: Path, backend: str) -> Iterator[Heron]:
    """A first-run Heron on ``backend`` with its lifespan (inbox writer) running."""
    with database_url(backend) as url:
        heron, client = start(data_dir, url)
        try:
            with client:
                yield heron
        finally:
            heron.db.dispose()


def start(data_dir: Path, url: str = "") -> tuple[Heron, TestClient]:
    config = load(
        {
            "HERON_DATABASE_URL": url,
            "HERON_DATA_DIR": str(data_dir),
            "HERON_ADMIN_EMAIL": ADMIN_EMAIL,
            "HERON_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "HERON_PUBLIC_URL": "https://heron.example",
        }
    )
    db = Database(config.effective_database_url)
    first_run(db, config)
    with db.read() as conn:
        project_id, key = conn.execute(
            select(tables.project_keys.c.project_id, tables.project_keys.c.public_key)
        ).one()
    token = actions.create_token(db, ADMIN_EMAIL)
    client = TestClient(create_app(config, db=db))
    return Heron(client, db, int(project_id), str(key), token), client


def error_event(
    exc_type: str,
    value: str,
    *,
    function: str = "handler",
    level: str = "error",
    release: str = "shop@1.0",
    environment: str = "production",
    user: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    handled: bool = True,
    age: float = 0.0,
    request: dict[str, Any] | None = None,
    breadcrumbs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An error event with a two-frame stack (oldest first), context lines and locals."""
    now = time.time() - age
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": now,
        "platform": "python",
        "level": level,
        "release": release,
        "environment": environment,
        "server_name": "web-1",
        "tags": tags or {},
        "user": user or {"id": "u-1", "email": "u1@example.com"},
        "request": request
        or {
            "url": "https://shop.example/orders/42?debug=1",
            "method": "POST",
            "headers": {"User-Agent": "pytest-agent", "Content-Type": "application/json"},
        },
        "breadcrumbs": {
            "values": breadcrumbs
            or [
                {
                    "timestamp": now - 1,
                    "category": "auth",
                    "message": "user logged in",
                    "level": "info",
                }
            ]
        },
        "contexts": {"runtime": {"type": "runtime", "name": "CPython", "version": "3.11.7"}},
        "exception": {
            "values": [
                {
                    "type": exc_type,
                    "value": value,
                    "module": "shop.errors",
                    "mechanism": {"type": "generic", "handled": handled},
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "/usr/lib/python3.11/threading.py",
                                "abs_path": "/usr/lib/python3.11/threading.py",
                                "module": "threading",
                                "function": "run",
                                "lineno": 975,
                                "context_line": "        self._target(*self._args)",
                                "in_app": False,
                            },
                            {
                                "filename": "shop/orders.py",
                                "abs_path": "/srv/shop/orders.py",
                                "module": "shop.orders",
                                "function": function,
                                "lineno": 42,
                                "pre_context": ["def " + function + "(order):", "    total = 0"],
                                "context_line": "    ratio = total / order.count",
                                "post_context": ["    return ratio"],
                                "vars": {"order": "<Order 42>", "total": "0"},
                                "in_app": True,
                            },
                        ]
                    },
                }
            ]
        },
    }


def message_event(message: str, *, level: str = "info", **fields: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "timestamp": time.time(),
        "platform": "python",
        "level": level,
        "logentry": {"message": message, "params": []},
        **fields,
    }
