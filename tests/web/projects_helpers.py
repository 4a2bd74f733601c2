"""Helpers for the project page tests: logged-in clients and form POSTs."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.harness import Heron, TestClient
from tests.web.conftest import csrf_of, log_in, new_client
from tests.web.people import add_person, client_as


def admin(heron: Heron) -> TestClient:
    """The first run's admin (an owner of "heron"), logged in."""
    client = new_client(heron)
    log_in(client)
    return client


def member(heron: Heron) -> TestClient:
    """A new member (read and triage only) of "heron", logged in."""
    add_person(heron, "member@example.com")
    return client_as(heron, "member@example.com")


def post(client: TestClient, path: str, **data: Any) -> httpx.Response:
    """A form POST with the session's CSRF token, without following the redirect."""
    token = csrf_of(client.get("/projects/").text)
    response: httpx.Response = client.post(
        path, data={**data, "csrf_token": token}, follow_redirects=False
    )
    return response
