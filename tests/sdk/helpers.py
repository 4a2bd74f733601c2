"""Helpers for tests that talk to a live Heron: SDK scripts, raw envelopes, polling the API.

The session server is shared by every test, so each test marks its data with a fresh
:func:`marker` (letters only: grouping would turn hex or digits into ``<hex>``/``<int>`` and
merge issues across tests) and looks its issues up by it.
"""

from __future__ import annotations

import contextlib
import secrets
import string
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from heron.settings import load
from heron.store import Database
from tests.live import LiveServer, run_sdk_script

SDK_INIT = """\
import os
import sentry_sdk

sentry_sdk.init(
    os.environ["SENTRY_DSN"],
    traces_sample_rate=0,
    release="heron-test@1.0",
    environment="test",
)
"""


def marker(prefix: str = "mk") -> str:
    """A random lowercase word, unique enough to find this test's data."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


def run_sdk_file(tmp_path: Path, source: str, dsn: str, timeout: float = 120) -> str:
    """Run ``source`` from a real file in a child process (so frames get context lines)."""
    path = tmp_path / f"{marker('app')}.py"
    path.write_text(textwrap.dedent(source))
    runner = f"import runpy; runpy.run_path({str(path)!r}, run_name='__main__')"
    return run_sdk_script(runner, dsn, timeout=timeout)


def wait_issues(
    server: LiveServer,
    query: str,
    *,
    issues: int = 1,
    events: int | None = None,
    timeout: float = 30,
) -> list[dict[str, Any]]:
    """Poll until ``query`` finds ``issues`` issues holding ``events`` events in all."""
    want_events = issues if events is None else events
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = server.issues(query)
        if len(found) == issues and sum(int(i["count"]) for i in found) == want_events:
            return found
        time.sleep(0.1)
    shown = [(i["title"], i["count"]) for i in found]
    raise AssertionError(
        f"query {query!r}: wanted {issues} issue(s) with {want_events} event(s), got {shown}"
    )


def latest_event(server: LiveServer, issue_id: str) -> dict[str, Any]:
    response = server.api(f"/api/0/issues/{issue_id}/events/latest/")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def stored_event(server: LiveServer, event_id: str, timeout: float = 30) -> dict[str, Any]:
    """The event as the API returns it, once the digest has stored it."""
    path = f"/api/0/projects/heron/default/events/{event_id}/"
    deadline = time.monotonic() + timeout
    while True:
        response = server.api(path)
        if response.status_code == 200:
            result: dict[str, Any] = response.json()
            return result
        assert response.status_code == 404, response.text
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} was not stored within {timeout}s")
        time.sleep(0.1)


def entry(event: dict[str, Any], kind: str) -> dict[str, Any]:
    """The ``data`` of the event's entry of type ``kind``."""
    for item in event["entries"]:
        if item["type"] == kind:
            data: dict[str, Any] = item["data"]
            return data
    kinds = [item["type"] for item in event["entries"]]
    raise AssertionError(f"no {kind} entry in the event (entries: {kinds})")


def tag_values(server: LiveServer, issue_id: str, key: str) -> dict[str, int]:
    response = server.api(f"/api/0/issues/{issue_id}/tags/{key}/values/")
    assert response.status_code == 200, response.text
    return {v["value"]: v["count"] for v in response.json()}


@contextlib.contextmanager
def database(server: LiveServer) -> Iterator[Database]:
    """The server's database, for checks the API does not show (outcomes, raw counts)."""
    db = Database(load(server.env).effective_database_url)
    try:
        yield db
    finally:
        db.dispose()


# --- raw envelopes ---------------------------------------------------------------------


def error_event(mark: str, message: str = "", **fields: Any) -> dict[str, Any]:
    """A minimal event payload tagged with ``mark``."""
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "message": message or f"something failed in {mark}",
        "tags": {"marker": mark},
    }
    event.update(fields)
    return event


def envelope(
    header: dict[str, Any], *items: tuple[dict[str, Any], bytes], length: bool = True
) -> bytes:
    """Frame an envelope; ``length=False`` leaves the item lengths out (as @sentry/node does)."""
    lines = [orjson.dumps(header)]
    for item_header, payload in items:
        item_header = dict(item_header)
        if length:
            item_header.setdefault("length", len(payload))
        lines += [orjson.dumps(item_header), payload]
    return b"\n".join(lines) + b"\n"


def event_envelope(event: dict[str, Any]) -> bytes:
    return envelope({"event_id": event["event_id"]}, ({"type": "event"}, orjson.dumps(event)))


def post_envelope(
    server: LiveServer, body: bytes, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    return httpx.post(
        server.ingest_url(),
        content=body,
        headers={**server.auth_header(), **(headers or {})},
        timeout=30,
        **kwargs,
    )
