"""Client keys at ingest, on a live server: changes made elsewhere, per-key rate limits.

A key changed by another process (a second HTTP worker, ``heron ingest`` on another
machine; here: this test writing the database) reaches the server's key cache within its
TTL. A key's own rate limit refuses events beyond it with a key-scoped 429, which the real
Python SDK honours.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from heron.ingest.keys import TTL
from heron.store import tables
from tests.live import LiveServer, run_cli, wait_for
from tests.sdk.helpers import database, error_event, event_envelope, marker, run_sdk_file


def _new_project(server: LiveServer) -> tuple[str, int, str]:
    """(slug, project id, public key) of a new project whose key nobody has used yet."""
    slug = marker("keys")
    dsn = run_cli(server.env, "project", "create", slug).stdout.strip()
    key = dsn.split("//", 1)[1].split("@", 1)[0]
    return slug, int(dsn.rsplit("/", 1)[1]), key


def _send(server: LiveServer, project_id: int, key: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/{project_id}/envelope/",
        content=event_envelope(error_event(marker())),
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"},
        timeout=30,
    )


def _set_key(server: LiveServer, key: str, **values: object) -> None:
    with database(server) as db, db.write() as conn:
        k = tables.project_keys
        conn.execute(update(k).where(k.c.public_key == key).values(**values))


def test_a_key_disabled_by_another_process_stops_within_the_ttl(server: LiveServer) -> None:
    _slug, project_id, key = _new_project(server)
    assert _send(server, project_id, key).status_code == 200  # cached as active now
    _set_key(server, key, is_active=False)
    disabled_at = time.monotonic()
    refused = wait_for(lambda: _send(server, project_id, key).status_code == 403, timeout=10)
    elapsed = time.monotonic() - disabled_at
    assert refused and elapsed < TTL + 1.5, f"still accepted {elapsed:.1f}s after disabling"
    response = _send(server, project_id, key)
    assert response.status_code == 403
    assert response.headers["x-sentry-error"] == "public key is disabled"
    _set_key(server, key, is_active=True)
    assert wait_for(lambda: _send(server, project_id, key).status_code == 200, timeout=10)


def _fresh_window(needed: float = 15.0) -> None:
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.2)


def _outcomes(server: LiveServer, project_id: int, outcome: str, reason: str) -> int:
    o = tables.outcomes
    with database(server) as db, db.read() as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(o.c.quantity), 0)).where(
                o.c.project_id == project_id, o.c.outcome == outcome, o.c.reason == reason
            )
        ).scalar_one()
    return int(total)


def _stored(server: LiveServer, project_id: int) -> int:
    e = tables.events
    with database(server) as db, db.read() as conn:
        count = conn.execute(
            select(func.count()).select_from(e).where(e.c.project_id == project_id)
        ).scalar_one()
    return int(count)


@pytest.mark.slow
def test_the_sdk_backs_off_when_its_key_is_over_its_own_limit(
    server: LiveServer, tmp_path: Path
) -> None:
    slug, project_id, key = _new_project(server)
    _set_key(server, key, rate_limit=2)  # set before the key is ever looked up
    dsn = f"{server.url.replace('://', f'://{key}@')}/{project_id}"
    _fresh_window()
    output = run_sdk_file(
        tmp_path,
        """
import os

import sentry_sdk

sentry_sdk.init(os.environ["SENTRY_DSN"], traces_sample_rate=0)
for attempt in range(5):
    try:
        raise ValueError("key limited attempt " + str(attempt))
    except ValueError:
        print(sentry_sdk.capture_exception())
    sentry_sdk.flush()
""",
        dsn,
    )
    assert len([line for line in output.split() if len(line) == 32]) == 5, output
    wait_for(lambda: _stored(server, project_id) >= 2)
    assert wait_for(lambda: _outcomes(server, project_id, "rate_limited", "key_quota")) >= 1
    backoff = wait_for(lambda: _outcomes(server, project_id, "client_discard", "ratelimit_backoff"))
    assert backoff >= 2, "the SDK held back the events after the 429 and said so"
    assert _outcomes(server, project_id, "rate_limited", "project_quota") == 0
    time.sleep(0.5)  # nothing else is on its way
    assert _stored(server, project_id) == 2

    refused = _send(server, project_id, key)
    assert refused.status_code == 429
    assert refused.headers["x-sentry-rate-limits"].endswith(":key:key_quota")
    issues = server.api(f"/api/0/projects/heron/{slug}/issues/", params={"query": ""}).json()
    assert sum(int(i["count"]) for i in issues) == 2
