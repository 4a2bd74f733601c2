"""Fixtures for the REST API tests: a fresh Heron per test, or one seeded Heron per module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from heron import actions
from tests.api.harness import BACKENDS, Heron, error_event, message_event, running


@pytest.fixture(params=BACKENDS)
def heron(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Heron]:
    """An empty Heron (first run done: org "heron", project "default", admin + token)."""
    with running(tmp_path, request.param) as app:
        yield app


@dataclass
class Seeded:
    """A Heron with a known set of issues (see :func:`seeded`)."""

    heron: Heron
    other_project: int
    other_token: str

    def ids(self, *titles: str) -> set[str]:
        return {str(self.heron.issue_id(t)) for t in titles}


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """Issues, by a word of their title:

    - "invalid order total": ValueError, 2 events, users u-1/u-2, job_id=job-7, shop@1.0
    - "'sku'": KeyError, warning, unhandled, staging, shop@2.0, model="claude 3"
    - "gateway timeout": a message, info, shop@2.0
    - "legacy path": TypeError last seen 3 days ago
    - "already fixed": resolved; "noisy": ignored
    - "rival secret": in another organization
    """
    with running(tmp_path_factory.mktemp("seeded"), request.param) as app:
        app.send(
            error_event(
                "ValueError",
                "invalid order total",
                function="charge",
                tags={"job_id": "job-7", "model": "gpt-4o"},
                user={"id": "u-1", "email": "u1@example.com"},
            ),
            error_event(
                "ValueError",
                "invalid order total",
                function="charge",
                tags={"job_id": "job-7", "model": "gpt-4o"},
                user={"id": "u-2", "email": "u2@example.com"},
            ),
            error_event(
                "KeyError",
                "'sku'",
                function="lookup",
                level="warning",
                release="shop@2.0",
                environment="staging",
                tags={"model": "claude 3"},
                user={"id": "u-3"},
                handled=False,
            ),
            message_event("Payment gateway timeout", release="shop@2.0", environment="production"),
            error_event("TypeError", "legacy path", function="legacy", age=3 * 86400),
            error_event("RuntimeError", "already fixed", function="fixed"),
            error_event("LookupError", "noisy", function="noise"),
        )
        actions.set_issue_status(app.db, app.issue_id("already fixed"), "resolved")
        actions.set_issue_status(app.db, app.issue_id("noisy"), "ignored")
        other_project, other_token = app.other_org()
        app.send(error_event("ValueError", "rival secret"), project_id=other_project)
        yield Seeded(app, other_project, other_token)
