"""UI benchmark: server time of the issue stream and the issue page on a big database.

    .venv/bin/python bench/ui.py [--issues 10000] [--events 1000000] [--runs 30]
    .venv/bin/python bench/ui.py --postgres postgresql://postgres@127.0.0.1:5432/heron_bench

Fills a fresh database (SQLite in a temporary directory, or the given empty PostgreSQL
database) with bulk inserts through SQLAlchemy Core: issues with realistic titles, culprits,
levels and statuses, events spread over them like real traffic (a few busy issues, a long
tail) with small zstd-packed payloads, their tags (job_id, user, environment, release …),
users and hourly counts. Then runs the app in process, logged in, and prints the server
time (p50/p95/max over ``--runs`` requests, after one untimed warm-up) of the default issue
stream, a tag query, a free-text query and the page of the busiest issue.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, inspect, select, text, update

from heron.app import create_app
from heron.bootstrap import first_run
from heron.grouping import get_grouping
from heron.normalize import normalize_event, scrub_event
from heron.settings import load
from heron.store import Database, activity_row, pack, tables

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client prefers httpx2
    from starlette.testclient import TestClient

ADMIN = ("admin@bench.example", "bench admin password")
DAY = 86400
CHUNK = 5000

ERRORS = [
    ("ValueError", "invalid literal for int() with base 10: '{word}'"),
    ("KeyError", "'{word}'"),
    ("TimeoutError", "upstream {host} did not answer within 30 seconds"),
    ("ConnectionError", "connection to {host} refused"),
    ("IntegrityError", 'duplicate key value violates unique constraint "{word}_pkey"'),
    ("AttributeError", "'NoneType' object has no attribute '{word}'"),
    ("PermissionError", "[Errno 13] Permission denied: '/srv/{word}/cache'"),
    ("ZeroDivisionError", "division by zero"),
    ("TypeError", "unsupported operand type(s) for +: 'int' and '{word}'"),
    ("RuntimeError", "{word} worker stopped after too many retries"),
]
MODULES = ["shop.orders", "shop.payments", "billing.invoices", "auth.sessions", "search.indexer"]
MODULES += ["worker.jobs", "api.views", "reports.export", "mail.outbox", "media.thumbnails"]
FUNCTIONS = ["charge", "refund", "render", "sync", "lookup", "import_rows", "send", "resize"]
FUNCTIONS += ["export_csv", "authorize", "reindex", "checkout", "apply_coupon", "notify"]
WORDS = ["customer", "invoice", "basket", "sku", "tenant", "coupon", "avatar", "ledger"]
WORDS += ["shipment", "webhook", "session", "quota", "locale", "receipt", "catalog", "token"]
HOSTS = ["db-primary:5432", "redis:6379", "payments.example:443", "search:9200", "smtp:587"]
LEVELS = ["error"] * 14 + ["warning"] * 3 + ["fatal", "info", "info"]
STATUSES = ["unresolved"] * 16 + ["resolved"] * 3 + ["ignored"]
RELEASES = [f"shop@1.{minor}.{patch}" for minor in range(4) for patch in range(5)]
ENVIRONMENTS = ("production", "staging")


def event_counts(issues: int, events: int, rng: random.Random) -> list[int]:
    """Events per issue, Zipf-like: the busiest issue has about a tenth of all events."""
    weights = [1 / (rank + 1) ** 1.1 for rank in range(issues)]
    total = sum(weights)
    counts = [max(1, int(events * w / total)) for w in weights]
    counts[0] += events - sum(counts)  # the rounding goes to the busiest issue
    rng.shuffle(counts)
    return counts


def template(kind: int, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """A normalized, grouped error event (stored payload shape); its title and culprit."""
    exc_type, message = ERRORS[kind % len(ERRORS)]
    value = message.format(word=rng.choice(WORDS), host=rng.choice(HOSTS))
    module, function = rng.choice(MODULES), f"{rng.choice(FUNCTIONS)}_{kind}"
    raw = {
        "platform": "python",
        "level": "error",
        "server_name": "web-1",
        "user": {"id": "user-1"},
        "request": {"url": f"https://shop.example/{module.split('.')[0]}/42", "method": "POST"},
        "contexts": {"runtime": {"type": "runtime", "name": "CPython", "version": "3.11.7"}},
        "breadcrumbs": {"values": [{"category": "http", "message": "GET /api/cart"}]},
        "exception": {
            "values": [
                {
                    "type": exc_type,
                    "value": value,
                    "mechanism": {"type": "generic", "handled": kind % 5 != 0},
                    "stacktrace": {"frames": _frames(module, function)},
                }
            ]
        },
    }
    event = scrub_event(normalize_event(raw, received_at=time.time()))
    grouping = get_grouping(event)
    event["_grouping"] = {
        "strategy": grouping.strategy,
        "hashes": grouping.hashes,
        "fingerprint": grouping.fingerprint,
        "variants": {n: v.to_dict(tree=False) for n, v in grouping.variants.items()},
    }
    return str(event["title"]), str(event.get("culprit") or ""), event


def _frames(module: str, function: str) -> list[dict[str, Any]]:
    path = module.replace(".", "/") + ".py"
    return [
        {
            "filename": "django/core/handlers/base.py",
            "module": "django.core.handlers.base",
            "function": "_get_response",
            "lineno": 197,
            "context_line": "response = wrapped_callback(request, *args, **kwargs)",
            "in_app": False,
        },
        {
            "filename": path,
            "abs_path": f"/srv/app/{path}",
            "module": module,
            "function": function,
            "lineno": 88,
            "pre_context": [f"def {function}(order, attempt=0):", "    total = order.total"],
            "context_line": "    return total / order.count",
            "post_context": [""],
            "vars": {"order": "<Order 42>", "attempt": "0"},
            "in_app": True,
        },
    ]


def fill(db: Database, n_issues: int, n_events: int, seed: int = 4) -> dict[str, Any]:
    """Bulk-insert the issues, events and rollups; return what the queries will ask for."""
    rng = random.Random(seed)
    now = time.time()
    t = tables
    projects = _projects(db, now)
    templates = [template(kind, rng) for kind in range(200)]
    counts = event_counts(n_issues, n_events, rng)
    rows: dict[Table, list[dict[str, Any]]] = {
        table: [] for table in (t.issues, t.issue_hashes, t.issue_tags, t.issue_users, t.activity)
    }
    short_ids = dict.fromkeys(projects, 1)
    spans = []
    for issue_id, count in enumerate(counts, start=1):
        project = projects[issue_id % len(projects)]
        issue = _issue(issue_id, count, project, short_ids[project], templates, rng, now)
        short_ids[project] += 1
        spans.append(issue)
        rows[t.issues].append(issue)
        rows[t.issue_hashes].append(
            {
                "project_id": project,
                "hash": issue["hash"],
                "issue_id": issue_id,
                "strategy": issue["strategy"],
            }
        )
        rows[t.activity].append(
            activity_row(issue_id, project, "first_seen", created_at=issue["first_seen"])
        )
        rows[t.issue_tags] += _tags(issue, rng)
        rows[t.issue_users] += [
            {"issue_id": issue_id, "user_key": f"id:user-{u}"} for u in range(issue["user_count"])
        ]
    with db.write() as conn:
        for table, batch in rows.items():
            _insert(
                conn, table, [{c.name: r[c.name] for c in table.c if c.name in r} for r in batch]
            )
        for project, next_id in short_ids.items():
            conn.execute(
                update(t.projects).where(t.projects.c.id == project).values(next_short_id=next_id)
            )
        _insert(
            conn,
            t.releases,
            [
                {"project_id": p, "version": r, "first_seen": now - 30 * DAY, "last_seen": now}
                for p in projects
                for r in RELEASES
            ],
        )
        _insert(
            conn,
            t.environments,
            [{"project_id": p, "name": e} for p in projects for e in ENVIRONMENTS],
        )
    hourly: Counter[tuple[int, int]] = Counter()
    start = time.perf_counter()
    for batch in _batched(_events(spans, templates, hourly, rng), 20_000):
        with db.write() as conn:
            _insert(conn, t.events, batch)
        done, rate = batch[-1]["id"], batch[-1]["id"] / (time.perf_counter() - start)
        print(f"\r  events: {done:,}/{n_events:,} ({rate:,.0f}/s)", end="", flush=True)
    print()
    with db.write() as conn:
        counted = [{"issue_id": i, "bucket": b, "count": c} for (i, b), c in sorted(hourly.items())]
        _insert(conn, t.issue_counts, counted)
    busiest = max(spans, key=lambda issue: int(issue["times_seen"]))
    titles = " ".join(str(issue["title"]).lower() for issue in spans)
    return {
        "busiest": busiest["id"],
        "busiest_events": busiest["times_seen"],
        "job": f"job-{busiest['id']}-3",
        "word": next(w for w in ("timeout", "refused", "denied", "division") if w in titles),
        "rows": {table.name: len(batch) for table, batch in rows.items()}
        | {"issue_counts": len(counted)},
    }


def _projects(db: Database, now: float) -> list[int]:
    """The first run's project and two more, in the first run's organization."""
    t = tables
    with db.write() as conn:
        org = conn.execute(select(t.organizations.c.id)).scalar_one()
        for slug in ("web", "worker"):
            conn.execute(
                t.projects.insert().values(
                    organization_id=org,
                    slug=slug,
                    name=slug.title(),
                    platform="python",
                    next_short_id=1,
                    created_at=now,
                )
            )
        return list(conn.execute(select(t.projects.c.id).order_by(t.projects.c.id)).scalars())


def _issue(
    issue_id: int,
    count: int,
    project: int,
    short_id: int,
    templates: list[tuple[str, str, dict[str, Any]]],
    rng: random.Random,
    now: float,
) -> dict[str, Any]:
    """An issues row (plus ``hash``, which the issue_hashes row takes)."""
    title, culprit, _ = templates[issue_id % len(templates)]
    first = now - rng.uniform(3600, 30 * DAY)
    # Busy issues are still happening; the long tail stopped some time since it started.
    last = now - rng.uniform(0, 3600) if count > 1000 else rng.uniform(first, now)
    status = rng.choice(STATUSES)
    release = RELEASES[min(len(RELEASES) - 1, int((first - now + 30 * DAY) / DAY * 2 / 3))]
    return {
        "id": issue_id,
        "project_id": project,
        "short_id": short_id,
        "strategy": "newstyle:2023-01-11",
        "type": "error",
        # A number in quoted values, as real messages have: titles differ between issues.
        "title": title.replace("'", f"'{issue_id}-", 1),
        "culprit": culprit,
        "level": rng.choice(LEVELS),
        "platform": "python",
        "status": status,
        "substatus": "ongoing" if status == "unresolved" else "new",
        "first_seen": first,
        "last_seen": last,
        "times_seen": count,
        "user_count": min(count, rng.randint(1, 40) if count < 1000 else count // 20),
        "first_release": release,
        "last_release": RELEASES[-1] if count > 100 else release,
        "resolved_at": last + 60 if status == "resolved" else None,
        "metadata": "{}",
        "hash": f"{issue_id:032x}",
    }


def _tags(issue: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The issue's tag counters: each key's values add up to the issue's events."""
    count, issue_id = int(issue["times_seen"]), int(issue["id"])
    values: dict[str, list[tuple[str, int]]] = {
        "job_id": [(f"job-{issue_id}-{j}", n) for j, n in _split(count, 30, rng)],
        "environment": [(ENVIRONMENTS[k], n) for k, n in _split(count, 2, rng)],
        "user": [(f"id:user-{u}", n) for u, n in _split(count, min(issue["user_count"], 10), rng)],
        "release": [(issue["first_release"], count)],
        "level": [(issue["level"], count)],
        "handled": [("no" if issue_id % 5 == 0 else "yes", count)],
        "server_name": [(f"web-{issue_id % 4}", count)],
    }
    return [
        {
            "issue_id": issue_id,
            "key": key,
            "value": value,
            "times_seen": n,
            "first_seen": issue["first_seen"],
            "last_seen": issue["last_seen"],
        }
        for key, pairs in values.items()
        for value, n in pairs
    ]


def _events(
    issues: list[dict[str, Any]],
    templates: list[tuple[str, str, dict[str, Any]]],
    hourly: Counter[tuple[int, int]],
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    """Each issue's events, spread between its first and last seen, counted per hour."""
    serial = itertools.count(1)
    for issue in issues:
        issue_id, count = int(issue["id"]), int(issue["times_seen"])
        first, last, users = issue["first_seen"], issue["last_seen"], int(issue["user_count"])
        payload = dict(templates[issue_id % len(templates)][2])
        for _ in range(count):
            n = next(serial)
            stamp = rng.uniform(first, last) if count > 1 else last
            event_id = f"{n:032x}"
            payload["event_id"], payload["timestamp"] = event_id, stamp
            hourly[issue_id, int(stamp // 3600 * 3600)] += 1
            yield {
                "id": n,
                "project_id": issue["project_id"],
                "event_id": event_id,
                "issue_id": issue_id,
                "type": "error",
                "timestamp": stamp,
                "received_at": stamp + 0.2,
                "level": issue["level"],
                "title": issue["title"],
                "release": issue["first_release"],
                "environment": ENVIRONMENTS[n % 5 == 0],
                "user_key": f"id:user-{n % users}",
                "hash": issue["hash"],
                "data": pack(payload),
            }


def _split(total: int, parts: int, rng: random.Random) -> list[tuple[int, int]]:
    """``total`` split into ``parts`` positive shares (fewer when total is small)."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [(k, bounds[k + 1] - bounds[k]) for k in range(parts)]


def _batched(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _insert(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start : start + CHUNK])


def measure(client: TestClient, url: str, runs: int) -> list[float]:
    response = client.get(url)  # warm-up, untimed
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, url
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--postgres", default="", help="an empty PostgreSQL database's URL")
    args = parser.parse_args()
    if args.events < args.issues:
        parser.error("--events must be at least --issues (every issue has an event)")

    with tempfile.TemporaryDirectory() as tmp:
        env = {"HERON_DATA_DIR": tmp, "HERON_DATABASE_URL": args.postgres}
        env |= {"HERON_ADMIN_EMAIL": ADMIN[0], "HERON_ADMIN_PASSWORD": ADMIN[1]}
        config = load(env)
        db = Database(config.effective_database_url)
        try:
            if inspect(db.write_engine).get_table_names():
                print(f"{args.postgres} is not empty: give an empty database")
                return 1
            first_run(db, config)
            backend = "SQLite" if db.is_sqlite else "PostgreSQL"
            print(f"filling {backend} with {args.issues:,} issues and {args.events:,} events …")
            start = time.perf_counter()
            facts = fill(db, args.issues, args.events)
            if not db.is_sqlite:
                # What autovacuum does soon after a bulk load (SQLite: Heron never analyzes).
                with db.write() as conn:
                    conn.execute(text("ANALYZE"))
            rows = ", ".join(f"{table} {n:,}" for table, n in facts["rows"].items())
            print(f"  filled in {time.perf_counter() - start:.0f} s; rows: {rows}")
            return _run(config, db, facts, args.runs, backend)
        finally:
            db.dispose()


def _run(config: Any, db: Database, facts: dict[str, Any], runs: int, backend: str) -> int:
    client = TestClient(create_app(config, db=db), base_url="https://testserver")
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    login = {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": token, "next": "/issues/"}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    pages = [
        ("issue stream (default query)", "/issues/"),
        (f"tag query job_id:{facts['job']}", f"/issues/?query=job_id:{facts['job']}"),
        (f"free text {facts['word']!r}", f"/issues/?query={facts['word']}"),
        (f"issue page ({facts['busiest_events']:,} events)", f"/issues/{facts['busiest']}/"),
    ]
    print(f"\nbackend: {backend}, {runs} runs per page after one warm-up, {os.cpu_count()} cores")
    print(f"{'server time':<40} {'p50':>9} {'p95':>9} {'max':>9}")
    for label, url in pages:
        times = measure(client, url, runs)
        print(
            f"{label:<40} {_pct(times, 0.5):6.1f} ms {_pct(times, 0.95):6.1f} ms "
            f"{max(times) * 1000:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
