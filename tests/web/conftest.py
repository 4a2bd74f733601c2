"""Fixtures for the page tests: a seeded Heron per module, browsers logged in or not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.harness import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    BACKENDS,
    Heron,
    TestClient,
    error_event,
    message_event,
    running,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def new_client(heron: Heron) -> TestClient:
    """Another client of the app with its own cookies (HTTPS: the session cookie is Secure)."""
    return TestClient(heron.client.app, base_url="https://testserver")


def log_in(client: TestClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/issues/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture(params=BACKENDS)
def heron(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Heron]:
    """An empty Heron per test, for tests that change things."""
    with running(tmp_path, request.param) as app:
        yield app


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Heron]:
    """A Heron with a few issues, read by the page tests of one module."""
    with running(tmp_path_factory.mktemp("site"), request.param) as app:
        app.send(
            error_event(
                "ValueError",
                "invalid order total",
                function="charge",
                tags={"job_id": "job-7"},
                user={"id": "u-1", "email": "u1@example.com", "username": "ada"},
            ),
            error_event(
                "ValueError",
                "invalid order total",
                function="charge",
                tags={"job_id": "job-8"},
                user={"id": "u-2"},
            ),
            error_event(
                "KeyError", "'sku'", function="lookup", level="warning", environment="staging"
            ),
            message_event("<script>alert('owned')</script> in message", level="info"),
        )
        project, _ = app.other_org()
        app.send(error_event("ValueError", "rival secret"), project_id=project)
        yield app


@pytest.fixture
def browser(site: Heron) -> TestClient:
    """A client of ``site`` with the admin logged in (its own cookie jar)."""
    client = new_client(site)
    log_in(client)
    return client


@pytest.fixture
def anonymous(site: Heron) -> TestClient:
    return new_client(site)
