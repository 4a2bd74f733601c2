"""People for the access tests: users with a role in an organization, logged-in clients."""

from __future__ import annotations

from typing import Any

import httpx

from heron.store import accounts as acc
from tests.api.harness import ADMIN_EMAIL, ADMIN_PASSWORD, Heron, TestClient
from tests.web.conftest import csrf_of, log_in, new_client

PASSWORD = "a long enough password"


def add_person(heron: Heron, email: str, role: str = "member", org: str = "heron") -> int:
    """A user with ``role`` in ``org`` (the first run's organization by default)."""
    with heron.db.write() as conn:
        org_row = acc.organization_by_slug(conn, org)
        assert org_row is not None
        user_id = acc.create_user(conn, email, PASSWORD, name=email.split("@")[0].title())
        acc.add_member(conn, int(org_row["id"]), user_id, role=role)
    return user_id


def user_id_of(heron: Heron, email: str) -> int:
    with heron.db.read() as conn:
        user = acc.user_by_email(conn, email)
    assert user is not None
    return int(user["id"])


def client_as(heron: Heron, email: str, password: str = PASSWORD) -> TestClient:
    client = new_client(heron)
    log_in(client, email, password)
    return client


def post(client: TestClient, path: str, **data: Any) -> httpx.Response:
    """POST a form with the session's CSRF token, without following the redirect."""
    token = csrf_of(client.get("/settings/account/").text)
    response: httpx.Response = client.post(
        path, data={**data, "csrf_token": token}, follow_redirects=False
    )
    return response


def admin_client(heron: Heron) -> TestClient:
    """The first run's admin, an owner of the organization "heron"."""
    return client_as(heron, ADMIN_EMAIL, ADMIN_PASSWORD)
