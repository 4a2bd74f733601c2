"""A project's events-per-minute limit, as raw HTTP and as the real Python SDK sees it.

The limited project is made with the CLI on the shared server just before it is used: its
key has never been looked up, so the limit applies at once (the key cache only delays
changes to keys it has already seen).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from heron.store import tables
from tests.live import LiveServer, run_cli, wait_for
from tests.sdk.helpers import (
    database,
    envelope,
    error_event,
    event_envelope,
    marker,
    run_sdk_file,
)

LIMIT = 3
RATE_LIMITS = re.compile(r"^(\d+):([a-z_;]*):project:[a-z_]+$")


def _fresh_window(needed: float = 10.0) -> None:
    """Sleep into the next minute when fewer than ``needed`` seconds are left in this one.

    The server counts in fixed calendar minutes; the test must not straddle two.
    """
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


@pytest.fixture
def limited(server: LiveServer) -> tuple[str, int, str]:
    """(slug, project id, DSN) of a new project limited to LIMIT events a minute."""
    slug = marker("limited")
    dsn = run_cli(server.env, "project", "create", slug).stdout.strip()
    run_cli(server.env, "project", "update", slug, "--rate-limit", str(LIMIT))
    return slug, int(dsn.rsplit("/", 1)[1]), dsn


def _stored_events(server: LiveServer, project_id: int) -> int:
    with database(server) as db, db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(tables.events)
                .where(tables.events.c.project_id == project_id)
            ).scalar_one()
        )


def _outcomes(server: LiveServer, project_id: int, outcome: str, reason: str) -> int:
    t = tables.outcomes
    with database(server) as db, db.read() as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(t.c.quantity), 0)).where(
                t.c.project_id == project_id, t.c.outcome == outcome, t.c.reason == reason
            )
        ).scalar_one()
    return int(total)


@pytest.mark.slow
def test_rate_limit_answers_429_and_the_sdk_backs_off(
    server: LiveServer, limited: tuple[str, int, str], tmp_path: Path
) -> None:
    slug, project_id, dsn = limited
    key = dsn.split("//", 1)[1].split("@", 1)[0]
    url = f"{server.url}/api/{project_id}/envelope/"
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}
    mark = marker()

    def send(body: bytes) -> httpx.Response:
        return httpx.post(url, content=body, headers=auth, timeout=30)

    _fresh_window()
    for _ in range(LIMIT):
        response = send(event_envelope(error_event(mark, "same limited failure")))
        assert response.status_code == 200, response.text

    refused_event = error_event(mark, "same limited failure")
    response = send(event_envelope(refused_event))
    assert response.status_code == 429, response.text
    assert response.headers["x-sentry-error"]
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    limits = RATE_LIMITS.match(response.headers["x-sentry-rate-limits"])
    assert limits, response.headers["x-sentry-rate-limits"]
    assert limits.group(1) == retry_after
    assert "error" in limits.group(2).split(";")

    # Client reports are never limited, alone or beside a refused event.
    report = orjson.dumps(
        {
            "timestamp": time.time(),
            "discarded_events": [{"reason": "sample_rate", "category": "error", "quantity": 2}],
        }
    )
    response = send(envelope({}, ({"type": "client_report"}, report)))
    assert response.status_code == 200, response.text
    mixed = error_event(mark)
    response = send(
        envelope(
            {"event_id": mixed["event_id"]},
            ({"type": "event"}, orjson.dumps(mixed)),
            ({"type": "client_report"}, report),
        )
    )
    assert response.status_code == 429, response.text

    # The real SDK: its first event meets the 429, the rest it drops and reports instead.
    output = run_sdk_file(
        tmp_path,
        f"""
import os

import sentry_sdk

sentry_sdk.init(os.environ["SENTRY_DSN"], traces_sample_rate=0)
sentry_sdk.set_tag("marker", "{mark}")
for attempt in range(4):
    try:
        raise ValueError("sdk attempt " + str(attempt))
    except ValueError:
        print(sentry_sdk.capture_exception())
    sentry_sdk.flush()
""",
        dsn,
    )
    sdk_event_ids = [line for line in output.split() if len(line) == 32]
    assert len(sdk_event_ids) == 4, output

    wait_for(lambda: _outcomes(server, project_id, "client_discard", "sample_rate") >= 4)
    backoff = wait_for(lambda: _outcomes(server, project_id, "client_discard", "ratelimit_backoff"))
    assert backoff >= 3, "the SDK reports the events it held back"
    assert _outcomes(server, project_id, "rate_limited", "project_quota") >= 3

    # Only the admitted events were stored: none of the refused ones, none from the SDK.
    wait_for(lambda: _stored_events(server, project_id) >= LIMIT)
    issues = server.api(f"/api/0/projects/heron/{slug}/issues/", params={"query": ""}).json()
    assert sum(int(i["count"]) for i in issues) == LIMIT
    assert _stored_events(server, project_id) == LIMIT
    for event_id in [refused_event["event_id"], mixed["event_id"], *sdk_event_ids]:
        found = server.api(f"/api/0/projects/heron/{slug}/events/{event_id}/")
        assert found.status_code == 404, event_id
