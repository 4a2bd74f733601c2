"""Helpers for the performance tests: traced apps in child processes (tests/sdk/apps, node
scripts in tests/js), the exact figures they measured, and the performance API they are
checked against (events, span groups, traces, performance issues)."""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from heron.store import tables
from tests.live import ADMIN_PASSWORD, LiveServer, run_sdk_script
from tests.sdk.helpers import database, latest_event, wait_issues

APPS = Path(__file__).resolve().parent / "apps"
JS = Path(__file__).resolve().parents[1] / "js"
ORG = "heron"


def run_traced_app(server: LiveServer, app: str, timeout: float = 120, **env: str) -> Any:
    """Run ``tests/sdk/apps/<app>`` in a child process against ``server``; return the JSON
    its recorder printed on the last stdout line (what the SDK sent, by its own clocks)."""
    runner = (
        f"import runpy, sys; sys.path.insert(0, {str(APPS)!r}); "
        f"runpy.run_path({str(APPS / app)!r}, run_name='__main__')"
    )
    output = run_sdk_script(runner, server.dsn, timeout=timeout, **env)
    return orjson.loads(output.strip().splitlines()[-1])


def run_node_script(server: LiveServer, script: str, timeout: float = 60, **env: str) -> str:
    """Run ``tests/js/<script>`` with node (the SDK from tests/js/node_modules); its stdout."""
    node = shutil.which("node")
    assert node, "node is not installed"
    proc = subprocess.run(
        [node, str(JS / script)],
        cwd=JS,
        env={**os.environ, "SENTRY_DSN": server.dsn, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"node failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def wait_transactions(
    server: LiveServer, names: Iterable[str], count: int, timeout: float = 30
) -> None:
    """Poll the server's database until ``count`` transactions named one of ``names`` and
    their minute rollups are stored (the digest runs apart from ingest)."""
    wanted = list(names)
    t, r = tables.transactions, tables.perf_rollups
    deadline = time.monotonic() + timeout
    with database(server) as db:
        while True:
            with db.read() as conn:
                rows = conn.execute(
                    select(func.count()).select_from(t).where(t.c.name.in_(wanted))
                ).scalar_one()
                rolled = conn.execute(
                    select(func.coalesce(func.sum(r.c.count), 0)).where(
                        r.c.name.in_(wanted), r.c.size == 60
                    )
                ).scalar_one()
            if rows == rolled == count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{count} transactions sent, {rows} stored and {rolled} rolled up "
                    f"after {timeout}s"
                )
            time.sleep(0.2)


def nearest_rank(values: Iterable[float], q: float) -> float:
    """The exact percentile the duration sketch approximates: the max(1, ⌈q·n⌉)-th smallest."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def assert_close(estimate: Any, exact: float, what: str) -> None:
    """Within the sketch's 1 % of the exact value (and a hair for float noise)."""
    assert isinstance(estimate, int | float), f"{what}: {estimate!r} is not a number"
    assert abs(estimate - exact) <= 0.01 * exact + 1e-6, f"{what}: {estimate} vs exact {exact}"


def org_events(server: LiveServer, **params: Any) -> list[dict[str, Any]]:
    """GET the organization's events endpoint (Discover-style rows) for the default project."""
    response = server.api(
        f"/api/0/organizations/{ORG}/events/",
        params={"project": server.project_id, "statsPeriod": "24h", **params},
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def transaction_figures(server: LiveServer, name: str) -> dict[str, Any]:
    """count/p50/p95/failure_rate of one transaction name, as the events endpoint gives them."""
    rows = org_events(
        server,
        field=["transaction", "count()", "p50()", "p95()", "failure_rate()"],
        query=f'transaction:"{name}"',
    )
    assert len(rows) == 1, rows
    return rows[0]


def span_groups(server: LiveServer, name: str, op: str) -> list[dict[str, Any]]:
    """The span groups of one transaction name and span op (``dataset=spans``)."""
    rows = org_events(
        server,
        dataset="spans",
        field=["span.op", "span.group", "span.description", "transaction", "count()"],
        query=f'transaction:"{name}" span.op:{op}',
    )
    strays = [
        (r["transaction"], r["span.op"])
        for r in rows
        if (r["transaction"], r["span.op"]) != (name, op)
    ]
    assert not strays, f"the query filters transaction:{name!r} span.op:{op!r} but got {strays}"
    return rows


def wait_performance_issue(
    server: LiveServer, culprit: str, issue_type: str, timeout: float = 30
) -> dict[str, Any]:
    """The performance issue of ``issue_type`` whose culprit is ``culprit`` (a transaction
    name holding the test's marker, so free-text search finds it)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            i
            for i in server.issues(culprit)
            if i.get("issueType") == issue_type and i.get("culprit") == culprit
        ]
        if found:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.2)
    shown = [(i.get("issueType"), i.get("culprit"), i["title"]) for i in server.issues(culprit)]
    raise AssertionError(f"no {issue_type} issue for {culprit!r}; issues found: {shown}")


def get_trace(server: LiveServer, trace_id: str) -> dict[str, Any]:
    response = server.api(f"/api/0/organizations/{ORG}/trace/{trace_id}/")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@contextlib.contextmanager
def web_session(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client logged in to the live server's pages as the admin."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        page = client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, "no CSRF field on the login page"
        response = client.post(
            "/login",
            data={
                "email": "admin@localhost",
                "password": ADMIN_PASSWORD,
                "csrf_token": match.group(1),
                "next": "/issues/",
            },
        )
        assert response.status_code == 303, response.text  # to the issue list: logged in
        yield client


def assert_error_in_trace(
    server: LiveServer, sent: dict[str, Any], name: str, message: str
) -> None:
    """The raising endpoint's error issue, its trace (transaction and error, linked to the
    issue) and the links between the issue page and the trace page."""
    [issue] = wait_issues(server, f'"{message}"', events=len(sent["errors"]))
    failed = {t["trace_id"]: t for t in sent["transactions"] if t["name"] == name}
    assert {e["trace_id"] for e in sent["errors"]} == set(failed)
    latest = latest_event(server, issue["id"])
    trace_id = latest["contexts"]["trace"]["trace_id"]
    assert trace_id in failed
    trace = get_trace(server, trace_id)
    assert trace["trace_id"] == trace_id
    assert [t["event_id"] for t in trace["transactions"]] == [failed[trace_id]["event_id"]]
    assert trace["transactions"][0]["transaction"] == name
    [error] = trace["errors"]
    assert error["event_id"] == latest["eventID"]
    assert str(error["issue_id"]) == str(issue["id"])
    with web_session(server) as web:
        issue_page = web.get(f"/issues/{issue['id']}/")
        assert issue_page.status_code == 200
        assert f'href="/traces/{trace_id}/"' in issue_page.text
        trace_page = web.get(f"/traces/{trace_id}/")
        assert trace_page.status_code == 200
        assert f"/issues/{issue['id']}/" in trace_page.text


def assert_trace_of(server: LiveServer, sent: dict[str, Any], problems: Iterable[str] = ()) -> None:
    """The trace of one transaction the SDK sent (a recorder entry): that transaction alone,
    with its duration, and exactly the child spans the SDK put in it, under its root; no
    errors, and exactly the performance issues ``problems`` (ids)."""
    trace = get_trace(server, sent["trace_id"])
    [txn] = trace["transactions"]
    assert txn["transaction"] == sent["name"]
    if "event_id" in sent:  # span-v2 segments have no event id of the SDK's
        assert txn["event_id"] == sent["event_id"]
    assert abs(txn["duration_ms"] - sent["duration_ms"]) < 1e-3, (txn, sent["duration_ms"])
    children = [s for s in trace["spans"] if s["span_id"] != txn["span_id"]]
    got = sorted((s["op"], s["description"]) for s in children)
    assert got == sorted((op, description) for op, description in sent["spans"])
    known = {txn["span_id"]} | {s["span_id"] for s in children}
    assert all(s["parent_span_id"] in known and s["depth"] >= 1 for s in children), children
    assert trace["errors"] == []
    assert {e["issue_id"] for e in trace["performance_issues"]} == set(problems)


def stored_items(server: LiveServer, trace_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(item type, content type) of the raw items the server kept for these traces."""
    s = tables.stored_items
    with database(server) as db, db.read() as conn:
        rows = conn.execute(select(s.c.type, s.c.headers).where(s.c.trace_id.in_(list(trace_ids))))
        return [(row.type, orjson.loads(row.headers).get("content_type", "")) for row in rows]
