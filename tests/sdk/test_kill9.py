"""Durability: a 200 means the event survives ``kill -9`` of the whole server.

Each test runs its own server (it gets killed), sends events concurrently over HTTP, kills
the process group with SIGKILL and starts a new server on the same data. Every acknowledged
event must come back, and replaying the inbox must not count any event twice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from heron.inbox import inbox_for
from heron.store import tables
from tests.live import LiveServer
from tests.sdk.helpers import database, error_event, event_envelope, marker, stored_event

KINDS = ("alpha", "bravo", "charlie", "delta", "echo")  # one issue per kind


@dataclass
class Sent:
    attempted: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _heavy_event(mark: str, n: int) -> dict[str, object]:
    """An error with a deep stack: the digest takes far longer over it than ingest does."""
    frames = [
        {
            "filename": f"app/layer_{i}.py",
            "module": f"app.layer_{i}",
            "function": f"step_{i}",
            "lineno": 10 + i,
            "context_line": f"    return step_{i + 1}(payload)",
            "pre_context": [f"def step_{i}(payload):", "    check(payload)"],
            "post_context": ["", ""],
            "in_app": True,
            "vars": {"payload": f"{{'order': 'ord-{i}', 'items': [1, 2, 3]}}", "i": str(i)},
        }
        for i in range(60)
    ]
    kind = KINDS[n % len(KINDS)]
    return error_event(
        mark,
        exception={
            "values": [
                {
                    "type": "RuntimeError",
                    "value": f"failure of kind {kind}",
                    "stacktrace": {"frames": [*frames, {**frames[0], "function": kind}]},
                }
            ]
        },
    )


def _send(
    server: LiveServer,
    events: list[dict[str, object]],
    sent: Sent,
    threads: int = 4,
    kill_when: Callable[[Sent], bool] | None = None,
) -> None:
    """Post the events from several threads; kill the server once ``kill_when`` holds."""
    queue = list(reversed(events))
    queue_lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=30) as client:
            while True:
                with queue_lock:
                    if not queue:
                        return
                    event = queue.pop()
                event_id = str(event["event_id"])
                with sent.lock:
                    sent.attempted.add(event_id)
                try:
                    response = client.post(
                        server.ingest_url(),
                        content=event_envelope(event),
                        headers=server.auth_header(),
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    with sent.lock:
                        sent.acknowledged.add(event_id)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    if kill_when is not None:
        deadline = time.monotonic() + 60
        while not kill_when(sent) and time.monotonic() < deadline:
            time.sleep(0.002)
        server.kill()
    for w in workers:
        w.join(timeout=60)


def _pending(server: LiveServer) -> int:
    with database(server) as db:
        inbox = inbox_for(db)
        try:
            return inbox.pending()
        finally:
            inbox.dispose()


def _wait_drained(server: LiveServer, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while _pending(server):
        assert time.monotonic() < deadline, "the digest did not drain the inbox"
        time.sleep(0.2)


def _stored(server: LiveServer) -> tuple[set[str], Counter[int], dict[int, int]]:
    """(stored event ids, events per issue, each issue's own count)."""
    events, issues = tables.events, tables.issues
    with database(server) as db, db.read() as conn:
        ids = {r[0] for r in conn.execute(select(events.c.event_id))}
        per_issue = Counter(
            {
                int(issue_id): int(n)
                for issue_id, n in conn.execute(
                    select(events.c.issue_id, func.count()).group_by(events.c.issue_id)
                )
            }
        )
        counted = {
            int(r.id): int(r.times_seen)
            for r in conn.execute(select(issues.c.id, issues.c.times_seen))
        }
    return ids, per_issue, counted


def _restart(data_dir: Path, database_url: str) -> LiveServer:
    return LiveServer(data_dir, database_url).start()


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9(tmp_path: Path, fresh_database: str) -> None:
    data_dir = tmp_path / "data"
    server = LiveServer(data_dir, fresh_database).start()
    mark = marker()
    events = [error_event(mark, f"durable failure {KINDS[n % 5]}") for n in range(300)]
    sent = Sent()
    try:
        _send(server, events, sent, kill_when=lambda s: len(s.acknowledged) >= 100)
    finally:
        server.kill()
    assert 100 <= len(sent.acknowledged) < len(events), "the kill came part-way"

    restarted = _restart(data_dir, fresh_database)
    try:
        _wait_drained(restarted)
        for event_id in sorted(sent.acknowledged):
            assert stored_event(restarted, event_id, timeout=5)["eventID"] == event_id
        ids, per_issue, counted = _stored(restarted)
        assert sent.acknowledged <= ids <= sent.attempted
        assert per_issue == Counter(counted)
        issues = restarted.issues(f"marker:{mark}")
        assert len(issues) == len(KINDS)
        assert sum(int(i["count"]) for i in issues) == len(ids)
    finally:
        restarted.stop()
    assert restarted.unexpected_errors() == []


@pytest.mark.slow
def test_kill_9_during_digest_backlog_counts_each_event_once(
    tmp_path: Path, fresh_database: str
) -> None:
    data_dir = tmp_path / "data"
    server = LiveServer(data_dir, fresh_database, HERON_DIGEST_BATCH_SIZE="25").start()
    mark = marker()
    events = [_heavy_event(mark, n) for n in range(400)]
    sent = Sent()
    try:
        _send(server, events, sent, kill_when=lambda s: len(s.acknowledged) == len(events))
    finally:
        server.kill()
    assert len(sent.acknowledged) == len(events)
    backlog = _pending(server)
    stored_before, _, _ = _stored(server)
    assert backlog > 0, "the digest had caught up: no backlog to replay"
    assert stored_before, "the digest had not started: nothing to double count"

    restarted = _restart(data_dir, fresh_database)
    try:
        _wait_drained(restarted)
        # A client sending some events again must not change any count either.
        for event in events[:20]:
            response = httpx.post(
                restarted.ingest_url(),
                content=event_envelope(event),
                headers=restarted.auth_header(),
                timeout=30,
            )
            assert response.status_code == 200
        _wait_drained(restarted)
        ids, per_issue, counted = _stored(restarted)
        assert ids == sent.acknowledged
        assert per_issue == Counter(counted)
        issues = restarted.issues(f"marker:{mark}")
        assert sorted(int(i["count"]) for i in issues) == [80] * len(KINDS)
    finally:
        restarted.stop()
    assert restarted.unexpected_errors() == []
