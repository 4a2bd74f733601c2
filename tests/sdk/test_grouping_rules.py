"""Project grouping rules, set through the API, applied to what the real Python SDK sends.

Each test makes a project of its own (``heron project create``), so its rules cannot touch
the events of other tests on the shared server.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.live import LiveServer, run_cli
from tests.sdk.helpers import SDK_INIT, marker, run_sdk_file


def new_project(server: LiveServer) -> tuple[str, str]:
    """A fresh project in the "heron" organization: (its slug, its DSN)."""
    slug = marker("rules")
    dsn = run_cli(server.env, "project", "create", slug, "--org", "heron").stdout.strip()
    return slug, dsn


def set_rules(server: LiveServer, slug: str, **fields: str) -> None:
    response = server.api(f"/api/0/projects/heron/{slug}/", "PUT", json=fields)
    assert response.status_code == 200, response.text
    for field, value in fields.items():
        assert response.json()[field] == value


def counts(server: LiveServer, slug: str) -> list[int]:
    response = server.api(
        f"/api/0/projects/heron/{slug}/issues/", params={"query": "", "statsPeriod": ""}
    )
    response.raise_for_status()
    issues: list[dict[str, Any]] = response.json()
    return sorted(int(i["count"]) for i in issues)


def wait_counts(server: LiveServer, slug: str, events: int, timeout: float = 30) -> list[int]:
    """The event counts of the project's issues, once ``events`` events are digested."""
    deadline = time.monotonic() + timeout
    found = counts(server, slug)
    while sum(found) < events and time.monotonic() < deadline:
        time.sleep(0.1)
        found = counts(server, slug)
    assert sum(found) == events, f"wanted {events} events in {slug}, got issues {found}"
    return found


def test_fingerprint_rule_groups_connection_errors(server: LiveServer, tmp_path: Path) -> None:
    slug, dsn = new_project(server)
    set_rules(server, slug, fingerprintingRules="error.type:ConnectionError -> network-errors")
    run_sdk_file(
        tmp_path,
        SDK_INIT
        + """

def fetch_prices():
    raise ConnectionError("connection refused by prices.internal")


def push_orders(batch):
    if batch:
        raise ConnectionError("connection reset by orders.internal")


def parse_amount(raw):
    return int(raw)


for call in (fetch_prices, lambda: push_orders([1]), lambda: parse_amount("ten")):
    try:
        call()
    except Exception:
        sentry_sdk.capture_exception()
sentry_sdk.flush()
""",
        dsn,
    )
    # Both connection errors, raised in different functions, are one issue; the
    # ValueError is not matched by the rule and stays apart.
    assert wait_counts(server, slug, 3) == [1, 2]


def test_stack_trace_rule_leaves_logging_frames_out_of_grouping(
    server: LiveServer, tmp_path: Path
) -> None:
    slug, dsn = new_project(server)
    script = (
        SDK_INIT
        + """

def log_warning(message):
    raise RuntimeError(message)


def log_error(message):
    raise RuntimeError(message)


def settle(logger):
    logger("could not settle the invoice")


for logger in (log_warning, log_error):
    try:
        settle(logger)
    except RuntimeError:
        sentry_sdk.capture_exception()
sentry_sdk.flush()
"""
    )
    # Without rules the two errors differ only in their log_* frame, and that splits them.
    run_sdk_file(tmp_path, script, dsn)
    assert wait_counts(server, slug, 2) == [1, 1]

    set_rules(server, slug, groupingEnhancements="function:log_* -group")
    run_sdk_file(tmp_path, script, dsn)
    # New events: one new issue for both; the earlier issues keep their events.
    assert wait_counts(server, slug, 4) == [1, 1, 2]
