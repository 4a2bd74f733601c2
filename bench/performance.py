"""Performance benchmark (issue 5): transaction digest throughput, then the overview and
transaction summary read models over a week of data.

    .venv/bin/python bench/performance.py                         # SQLite, 100,000 transactions
    .venv/bin/python bench/performance.py --backend both          # SQLite, then PostgreSQL
    .venv/bin/python bench/performance.py --quick                 # 5,000 transactions, 10 runs
    .venv/bin/python bench/performance.py --profile               # cProfile of the digest
    HERON_BENCH_PROFILE_OUT=/tmp/d.prof .venv/bin/python bench/performance.py --profile  # saved too
    .venv/bin/python bench/performance.py --batch-size 2000       # HERON_DIGEST_BATCH_SIZE

Generates sentry-python-shaped transaction envelopes (``contexts.trace``, ISO timestamps,
~10 child spans each: db with varied SQL literals, http.client with ids in the URL, template
and cache ops; 200 names with Zipf-like popularity, three environments, releases rolling out
over the week, 5,000 users, a few percent failures; timestamps spread over the last 7 days,
appended in time order as live traffic arrives). They go into a fresh database's inbox
(``Inbox.append``, as ingest's group commit does, 1,000 per commit), then the real digest
worker loop (``heron.digest.worker.run``, with its prepare pool unless ``--processes 1``)
drains it. Prints transactions/s and spans/s of the digest, wall clock and per CPU second
of the digest process (target ≥ 20,000 spans/s on SQLite on two cores).

Then times, ``--runs`` times each after one untimed warm-up, p50/p95/max (target p95 < 300 ms):

* overview, as the page calls them: ``transaction_figures`` over 7 days sorted by ``-p95``
  (50 rows), ``perf_totals``, ``perf_series`` of durations;
* summary of the busiest name: its ``transaction_figures`` and ``perf_totals``, ``perf_series``,
  ``duration_histogram``, ``span_groups``, ``span_ops``, ``slowest_transactions``,
  ``related_issues``.

PostgreSQL runs on a fresh database created beside ``tests.live.PG_ADMIN_URL`` and dropped
afterwards; it gets an ``ANALYZE`` before the queries (what autovacuum does soon after a load).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import orjson
from sqlalchemy import select, text

from heron.bootstrap import first_run
from heron.digest import worker
from heron.inbox import InboxRecord, inbox_for
from heron.settings import load
from heron.store import Database, tables

DAY = 86400
WEEK = 7 * DAY
NAMES = 200
USERS = 5000
APPEND_CHUNK = 1000
ENVIRONMENTS = [("production", 0.8), ("staging", 0.15), ("development", 0.05)]
TABLES = ["orders", "order_items", "customers", "products", "stock", "invoices", "payments"]
TABLES += ["sessions", "coupons", "shipments", "addresses", "audit_log", "carts", "prices"]
COLUMNS = ["id", "customer_id", "order_id", "sku", "status", "created_at", "tenant_id"]
HOSTS = ["payments.example.com", "api.shipping.example", "search.internal:9200", "auth.internal"]
TEMPLATES = ["base.html", "orders/detail.html", "orders/list.html", "cart.html", "account.html"]
VERBS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
RESOURCES = ["orders", "customers", "products", "carts", "invoices", "payments", "shipments"]
RESOURCES += ["coupons", "reports", "users", "sessions", "search", "stock", "prices", "reviews"]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _names(rng: random.Random) -> list[tuple[str, str]]:
    """200 (name, op) pairs: routes of a web app and some background tasks."""
    names: list[tuple[str, str]] = []
    seen = set()
    while len(names) < NAMES:
        if rng.random() < 0.85:
            verb, res = rng.choice(VERBS), rng.choice(RESOURCES)
            tail = rng.choice(["", "/{id}", "/{id}/items", "/{id}/history", "/export", "/bulk"])
            name, op = f"{verb} /api/{rng.choice(['v1', 'v2'])}/{res}{tail}", "http.server"
        else:
            name = f"tasks.{rng.choice(RESOURCES)}.{rng.choice(['sync', 'notify', 'rebuild'])}"
            op = "queue.task.celery"
        if name not in seen:
            seen.add(name)
            names.append((name, op))
    return names


def _shapes(rng: random.Random) -> list[tuple[str, Any]]:
    """A route's span plan: what it runs on every request (literals vary per request)."""
    plan: list[tuple[str, Any]] = []
    for _ in range(rng.randint(4, 9)):
        table, col = rng.choice(TABLES), rng.choice(COLUMNS)
        plan.append(("sql", (rng.randrange(6), table, col, rng.choice(TABLES))))
    if rng.random() < 0.3:  # an N+1 loop
        plan.append(("n_plus_one", (rng.choice(TABLES), rng.randint(3, 8))))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        plan.append(("http", (rng.choice(HOSTS), rng.choice(RESOURCES))))
    if rng.random() < 0.5:
        plan.append(("cache", rng.choice(RESOURCES)))
    if rng.random() < 0.7:
        plan.append(("template", rng.choice(TEMPLATES)))
    return plan


def _sql(kind: int, table: str, col: str, other: str, rng: random.Random) -> str:
    n = rng.randrange(1, 10**6)
    if kind == 0:  # Django-style: parameterized
        return f'SELECT "{table}"."id", "{table}"."{col}" FROM "{table}" WHERE "{table}"."id" = %s'
    if kind == 1:
        ids = ", ".join(str(rng.randrange(10**5)) for _ in range(rng.randint(1, 12)))
        return f"SELECT * FROM {table} WHERE {col} IN ({ids}) AND deleted = false"
    if kind == 2:
        return f"UPDATE {table} SET {col} = '{rng.choice(RESOURCES)}-{n}' WHERE id = {n}"
    if kind == 3:
        return (
            f"SELECT {table}.id, {other}.id FROM {table} JOIN {other} ON {other}.{table}_id = "
            f"{table}.id WHERE {table}.{col} = {n} ORDER BY {table}.id DESC LIMIT 50"
        )
    if kind == 4:
        return (
            f"INSERT INTO {table} ({col}, created_at) VALUES ({n}, '2026-11-{rng.randint(1, 28)}')"
        )
    return f"SELECT count(*) FROM {table} WHERE {col} = '{rng.choice(RESOURCES)}{n % 97}'"


def _spans(
    plan: list[tuple[str, Any]],
    trace_id: str,
    root: str,
    start: float,
    end: float,
    rng: random.Random,
) -> list[dict[str, Any]]:
    descriptions: list[tuple[str, str, dict[str, Any]]] = []
    thread = {"thread.id": "140245138835264", "thread.name": "MainThread"}
    for kind, args in plan:
        if kind == "sql":
            descriptions.append(("db", _sql(*args, rng), {**thread, "db.system": "postgresql"}))
        elif kind == "n_plus_one":
            table, count = args
            for _ in range(count):
                sql = f"SELECT * FROM {table} WHERE id = {rng.randrange(10**6)}"
                descriptions.append(("db", sql, {**thread, "db.system": "postgresql"}))
        elif kind == "http":
            host, res = args
            url = f"https://{host}/v1/{res}/{rng.randrange(10**6)}"
            data = {**thread, "http.method": "GET", "url": url, "http.response.status_code": 200}
            descriptions.append(("http.client", f"GET {url}", data))
        elif kind == "cache":
            key = f"{args}:{rng.randrange(10**4)}"
            descriptions.append(("cache.get", f"GET {key}", {**thread, "cache.hit": True}))
        else:
            descriptions.append(("template.render", args, thread))
    spans = []
    step = (end - start) / (len(descriptions) + 1)
    at = start + step * 0.2
    for op, description, data in descriptions:
        length = step * rng.uniform(0.3, 0.95)
        spans.append(
            {
                "trace_id": trace_id,
                "span_id": f"{rng.getrandbits(64):016x}",
                "parent_span_id": root,
                "same_process_as_parent": True,
                "op": op,
                "description": description,
                "start_timestamp": _iso(at),
                "timestamp": _iso(at + length),
                "origin": "auto.db.django" if op == "db" else "auto",
                "data": data,
            }
        )
        at += step
    return spans


class Traffic:
    """Deterministic sentry-python-shaped transactions over the week before ``now``."""

    def __init__(self, count: int, now: float, seed: int = 5) -> None:
        self.rng = random.Random(seed)
        self.count, self.now = count, now
        self.names = _names(self.rng)
        self.plans = [_shapes(self.rng) for _ in self.names]
        self.speed = [self.rng.lognormvariate(4.0, 0.8) for _ in self.names]
        weights = [1 / (rank + 1) ** 1.1 for rank in range(NAMES)]
        total = sum(weights)
        self.weights = [w / total for w in weights]
        self.spans = 0

    def envelopes(self) -> Iterator[tuple[float, bytes]]:
        rng = self.rng
        times = sorted(self.now - rng.uniform(0, WEEK) for _ in range(self.count))
        picks = rng.choices(range(NAMES), self.weights, k=self.count)
        envs = rng.choices([e for e, _ in ENVIRONMENTS], [w for _, w in ENVIRONMENTS], k=self.count)
        for end, k, env in zip(times, picks, envs, strict=True):
            yield end, self._envelope(end, k, env)

    def _envelope(self, end: float, k: int, environment: str) -> bytes:
        rng = self.rng
        name, op = self.names[k]
        ms = rng.lognormvariate(0, 0.6) * self.speed[k]
        if rng.random() < 0.01:
            ms *= 20  # the occasional very slow request
        start = end - ms / 1000
        trace_id, root = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(64):016x}"
        event_id = f"{rng.getrandbits(128):032x}"
        failed = rng.random() < 0.03
        code = rng.choice([500, 502, 503]) if failed and rng.random() < 0.7 else 200
        status = "internal_error" if failed else "ok"
        # Releases roll out over the week: one a day or so.
        release = f"shop@2.{int((end - (self.now - WEEK)) // DAY)}.{k % 3}"
        spans = _spans(self.plans[k], trace_id, root, start, end, rng)
        self.spans += len(spans)
        event: dict[str, Any] = {
            "type": "transaction",
            "transaction": name,
            "transaction_info": {"source": "route" if op == "http.server" else "task"},
            "contexts": {
                "trace": {
                    "trace_id": trace_id,
                    "span_id": root,
                    "parent_span_id": None,
                    "op": op,
                    "status": status,
                    "origin": "auto.http.django",
                    "data": {"thread.id": "140245138835264", "thread.name": "MainThread"}
                    | ({"http.response.status_code": code} if op == "http.server" else {}),
                },
                "runtime": {"name": "CPython", "version": "3.11.7"},
            },
            "tags": {"http.status_code": str(code)} if op == "http.server" else {},
            "timestamp": _iso(end),
            "start_timestamp": _iso(start),
            "event_id": event_id,
            "release": release,
            "environment": environment,
            "server_name": f"web-{k % 4}",
            "sdk": {
                "name": "sentry.python.django",
                "version": "2.75.0",
                "packages": [{"name": "pypi:sentry-sdk", "version": "2.75.0"}],
                "integrations": ["django", "logging", "stdlib", "threading"],
            },
            "platform": "python",
            "spans": spans,
        }
        if rng.random() < 0.9:
            event["user"] = {"id": str(rng.randrange(USERS)), "ip_address": "10.1.2.3"}
        if op == "http.server":
            event["request"] = {"method": name.split()[0], "url": f"https://shop.example{name[4:]}"}
        payload = orjson.dumps(event)
        header = {"event_id": event_id, "sent_at": _iso(end + 0.01)}
        header["trace"] = {"trace_id": trace_id, "environment": environment, "release": release}
        item = {"type": "transaction", "content_type": "application/json", "length": len(payload)}
        return b"\n".join([orjson.dumps(header), orjson.dumps(item), payload]) + b"\n"

    def busiest(self) -> str:
        return self.names[0][0]


def fill_inbox(db: Database, project_id: int, traffic: Traffic) -> float:
    """Append every envelope to the inbox; return the seconds it took (generation included)."""
    inbox = inbox_for(db)
    started = time.perf_counter()
    chunk: list[InboxRecord] = []
    for received, body in traffic.envelopes():
        chunk.append(InboxRecord(project_id, body, client_ip="10.1.2.3", received_at=received))
        if len(chunk) == APPEND_CHUNK:
            inbox.append(chunk)
            chunk = []
    inbox.append(chunk)
    return time.perf_counter() - started


def digest(config: Any, db: Database, profile: bool) -> tuple[float, float]:
    """Run the real digest worker loop until the inbox is empty; return the seconds, wall
    clock and CPU of this process (the figure that matters when others share the cores)."""
    stop = threading.Event()
    inbox = inbox_for(db)

    def watch() -> None:
        while not stop.is_set():
            if inbox.drained():  # not pending(): counting what is left scans the inbox
                stop.set()
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    watcher.start()
    if profiler is not None:
        profiler.enable()
    worker.run(config, stop)
    if profiler is not None:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    watcher.join()
    if profiler is not None:
        if os.environ.get("HERON_BENCH_PROFILE_OUT"):
            profiler.dump_stats(os.environ["HERON_BENCH_PROFILE_OUT"])
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(35)
    return elapsed, cpu


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _time(run: Callable[[], object], runs: int) -> list[float]:
    run()  # warm-up, untimed
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def time_queries(db: Database, project_id: int, busiest: str, runs: int) -> None:
    try:
        from heron import query
        from heron.query.performance import PerfScope
    except ImportError as exc:
        print(f"\nquery timing skipped: {exc}")
        return
    apdex = {project_id: 300.0}
    week = PerfScope.for_period((project_id,), "7d")
    one = PerfScope.for_period((project_id,), "7d", transaction=busiest)

    def overview() -> None:
        query.transaction_figures(db, week, apdex_ms=apdex, sort="-p95", limit=50)
        query.perf_totals(db, week, apdex_ms=apdex)
        query.perf_series(db, week, apdex_ms=apdex, durations_only=True)

    def summary() -> None:
        query.transaction_figures(db, one, apdex_ms=apdex)
        query.perf_totals(db, one, apdex_ms=apdex)
        query.perf_series(db, one, apdex_ms=apdex, durations_only=True)
        query.duration_histogram(db, one)
        query.span_groups(db, one)
        query.span_ops(db, one)
        query.slowest_transactions(db, one)
        query.related_issues(db, one)

    print(f"\n{'read model time (7 days)':<40} {'p50':>9} {'p95':>9} {'max':>9}")
    for label, run in (("overview", overview), (f"summary {busiest!r}", summary)):
        times = _time(run, runs)
        print(
            f"{label[:40]:<40} {_pct(times, 0.5):6.1f} ms {_pct(times, 0.95):6.1f} ms "
            f"{max(times) * 1000:6.1f} ms"
        )


def bench(database_url: str, args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        tmp = args.keep or stack.enter_context(tempfile.TemporaryDirectory())
        env = {"HERON_DATA_DIR": tmp, "HERON_DATABASE_URL": database_url}
        env |= {"HERON_ADMIN_PASSWORD": "bench admin password"}
        if args.processes is not None:
            env |= {"HERON_DIGEST_PROCESSES": str(args.processes)}
        if args.batch_size:
            env |= {"HERON_DIGEST_BATCH_SIZE": str(args.batch_size)}
        config = load(env)
        db = Database(config.effective_database_url)
        try:
            first_run(db, config)
            with db.read() as conn:
                project_id = conn.execute(select(tables.projects.c.id)).scalar_one()
                kept = conn.execute(select(text("count(*)")).select_from(tables.transactions))
                stored = kept.scalar_one()
            backend = "SQLite" if db.is_sqlite else "PostgreSQL"
            traffic = Traffic(args.transactions, time.time())
            if stored:  # --keep with data from an earlier run: time the queries again
                time_queries(db, project_id, traffic.busiest(), args.runs)
                return
            print(f"\n{backend}: appending {args.transactions:,} transactions to the inbox …")
            fill = fill_inbox(db, project_id, traffic)
            print(f"  {traffic.spans:,} spans; generated and appended in {fill:.1f} s")
            elapsed, cpu = digest(config, db, args.profile)
            with db.read() as conn:
                stored = conn.execute(
                    select(text("count(*)")).select_from(tables.transactions)
                ).scalar_one()
            if stored != args.transactions:
                print(f"  only {stored:,} of {args.transactions:,} transactions were stored")
            print(
                f"digest ({backend}, batches of {config.digest_batch_size}, "
                f"digest_processes={config.digest_processes}, "
                f"{os.cpu_count()} cores): "
                f"{args.transactions / elapsed:,.0f} transactions/s, "
                f"{traffic.spans / elapsed:,.0f} spans/s ({elapsed:.1f} s)"
            )
            print(
                f"  per CPU second of the digest process: {traffic.spans / cpu:,.0f} spans "
                f"({cpu:.1f} s CPU; prepare workers, if any, not included)"
            )
            if not db.is_sqlite:
                with db.write() as conn:
                    conn.execute(text("ANALYZE"))
            time_queries(db, project_id, traffic.busiest(), args.runs)
        finally:
            inbox_for(db).dispose()
            db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per page")
    parser.add_argument(
        "--processes", type=int, default=None, help="digest prepare processes (server default)"
    )
    parser.add_argument("--batch-size", type=int, default=0, help="digest batch size")
    parser.add_argument("--quick", action="store_true", help="5,000 transactions, 10 runs")
    parser.add_argument("--profile", action="store_true", help="cProfile the digest")
    parser.add_argument(
        "--keep", metavar="DIR", help="data directory to keep (SQLite); a second run reuses it"
    )
    args = parser.parse_args()
    if args.quick:
        args.transactions, args.runs = 5000, 10
    if args.backend in ("sqlite", "both"):
        bench("", args)
    if args.backend in ("postgres", "both"):
        from tests.live import create_pg_database, drop_pg_database

        url = create_pg_database()
        try:
            bench(url, args)
        finally:
            drop_pg_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
