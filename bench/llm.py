"""LLM benchmark (issue 6): the LLM read models over 30 days of a million model calls, and
what extracting model calls from AI spans adds to the digest.

    .venv/bin/python bench/llm.py                          # SQLite, 1,000,000 calls
    .venv/bin/python bench/llm.py --backend both           # SQLite, then PostgreSQL
    .venv/bin/python bench/llm.py --quick                  # 100,000 calls, 2,000 digested, 10 runs
    .venv/bin/python bench/llm.py --part queries           # only the read models
    .venv/bin/python bench/llm.py --part extraction        # only the extraction overhead

Queries. A fresh database's ``llm_calls`` gets ``--calls`` rows for one project, spread over
the last 30 days: 10,000 jobs, each a burst of calls within minutes (a handful of calls per
transaction, one trace each), 1,000 users with Zipf-like activity, 50 transaction names, three
environments, four channels (and none), a release every two days, 20 models (the 14 of the
bundled price table, reported under their providers' snapshot names, and 6 without a price),
about 2 % failed calls (a 429: no usage), a few streamed calls without usage, cache reads on
about a third of the calls, cache writes on Anthropic's, reasoning tokens on reasoning models.
The rows hold what the digest stores (``heron.digest.llm``: the priced model's name,
``cost_usd`` from ``heron.llm.price_call`` at the bundled ``PriceTable``; prompts are not
kept) and are inserted directly, 10,000 per ``heron.store.insert_rows``, each chunk summed
into ``llm_rollups`` as the digest sums the calls it stores (``add_calls``): digesting a
million calls from envelopes would take most of an hour, and the digest is measured below.
Three budgets (the project per month, a model per week, a user per day) give the page's
budget panel something to compute. PostgreSQL gets an ``ANALYZE`` before the queries (what
autovacuum does soon after a load).

Then times, ``--runs`` times each after one untimed warm-up, p50/p95/max (target p95 < 300 ms):

* overview: every query ``/llm/?period=30d`` makes (``heron.web.llm_views.llm_overview``):
  budgets and their statuses, ``llm_totals``, ``llm_latency``, ``llm_spend_series`` by day,
  ``llm_breakdown`` of each of the page's dimensions (top 20);
* ``/api/0/…/llm/usage/?statsPeriod=30d&groupBy=`` model, user and job: ``llm_breakdown``
  (100 rows) and ``llm_totals``, as the endpoint calls them;
* each of those functions alone, to show where the time goes.

A query slower than a few hundred ms stops after 10 s of runs (at least 5), so the printed
run count can be below ``--runs``.

Extraction. sentry-python-shaped transactions of an AI job (a Celery task or an HTTP
request: about 7 ordinary spans — SQL, HTTP, cache — and 2 or 3 model calls through the
OpenAI or Anthropic integrations, with usage, cache and reasoning tokens as those report
them, ``job_id`` and ``channel`` tags and a user), in both shapes the SDK sends: ``default``
(its default ``stream_gen_ai_spans=True``: the AI spans travel as a span-v2 item beside the
transaction, joined to it by the writer, ``heron.digest.streamed``) and ``legacy``
(``stream_gen_ai_spans=False``: the AI spans inside the transaction). For each shape,
CPU time (best of three) of ``heron.digest.batch.prepare`` over the envelopes, of
``heron.llm.model_calls`` over the same transactions (the default shape's joined to their AI
spans, as the writer joins them) and of pricing the calls (``price_call``), the latter two as
a share of the preparation. Then the real digest (``heron.digest.worker.run`` on a fresh
database, envelopes appended to its inbox as ingest does, prepared in-process so the process's
CPU holds all of it) of ``--transactions`` default-shape transactions twice: as shipped, and
with ``model_calls`` replaced by one that finds no call (in this process only: the
benchmark's baseline, nothing else changes). Target: extraction adds < 10 %.

PostgreSQL runs on fresh databases created beside ``tests.live.PG_ADMIN_URL`` and dropped
afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import orjson
from sqlalchemy import func, select, text

from heron import query
from heron.bootstrap import first_run
from heron.digest import batch, items, streamed, worker
from heron.digest.llm_rollups import add_calls
from heron.inbox import InboxRecord, InboxRow, inbox_for
from heron.llm import ModelCall, PriceTable, model_calls, model_name, price_call
from heron.query import LlmScope, llm_budgets
from heron.query.llm_series import llm_latency, llm_spend_series
from heron.rollup import Transaction
from heron.settings import Config, load
from heron.store import Database, insert_rows, tables
from heron.web.llm_views import BREAKDOWNS, PERIODS, TOP

DAY = 86400
MONTH = 30 * DAY
JOBS = 10_000
USERS = 1000
NAMES = 50
INSERT_CHUNK = 10_000
CALLS_PER_TRACE = 5  # model calls per transaction of a job, on average
TARGET_MS = 300.0
SLOW_BUDGET, MIN_RUNS = 10.0, 5
ENVIRONMENTS = [("production", 0.8), ("staging", 0.15), ("development", 0.05)]
CHANNELS = [("web", 0.4), ("slack", 0.2), ("email", 0.15), ("api", 0.15), (None, 0.1)]
GROUPED = ("model", "user", "job")  # the grouped queries the target names

# (model asked for, snapshot that answered, gen_ai.system, operation, share of calls,
# median input tokens, median output tokens, reasoning model): the 14 priced models, then
# six the bundled table has no price for.
MODELS: list[tuple[str, str, str, str, float, int, int, bool]] = [
    ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", "chat", 24, 1200, 250, False),
    ("gpt-4o", "gpt-4o-2024-08-06", "openai", "chat", 10, 1800, 400, False),
    ("gpt-4.1", "gpt-4.1-2025-04-14", "openai", "chat", 6, 2500, 500, False),
    ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", "openai", "chat", 10, 1500, 300, False),
    ("o3", "o3-2025-04-16", "openai", "responses", 3, 3000, 1500, True),
    ("gpt-5", "gpt-5-2025-08-07", "openai", "responses", 5, 3000, 1200, True),
    ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic", "chat", 12, 4000, 600, False),
    ("claude-haiku-4-5", "claude-haiku-4-5-20251001", "anthropic", "chat", 8, 2000, 300, False),
    ("claude-opus-4-5", "claude-opus-4-5-20251101", "anthropic", "chat", 2, 5000, 800, False),
    ("claude-opus-4-1", "claude-opus-4-1-20250805", "anthropic", "chat", 1, 5000, 800, False),
    ("gemini-2.5-flash", "gemini-2.5-flash", "gcp.gemini", "chat", 6, 1500, 500, True),
    ("gemini-2.5-pro", "gemini-2.5-pro", "gcp.gemini", "chat", 2, 6000, 900, True),
    ("gemini-2.0-flash", "gemini-2.0-flash", "gcp.gemini", "chat", 3, 1000, 200, False),
    ("text-embedding-3-small", "text-embedding-3-small", "openai", "embeddings", 6, 400, 0, False),
    ("llama-3.3-70b-versatile", "llama-3.3-70b-versatile", "groq", "chat", 0.3, 1500, 300, False),
    ("mistral-large-latest", "mistral-large-2411", "mistral_ai", "chat", 0.2, 1500, 300, False),
    ("deepseek-chat", "deepseek-chat", "deepseek", "chat", 0.2, 1500, 400, False),
    ("grok-3", "grok-3", "x_ai", "chat", 0.1, 1500, 400, False),
    ("command-r-plus", "command-r-plus-08-2024", "cohere", "chat", 0.1, 1500, 300, False),
    ("qwen2.5-72b-instruct", "qwen2.5-72b-instruct", "together_ai", "chat", 0.1, 1500, 300, False),
]
TASKS = ["summarise_ticket", "classify_email", "draft_reply", "extract_invoice", "translate"]
TASKS += ["tag_documents", "moderate_post", "embed_articles", "score_leads", "rewrite_copy"]
ROUTES = ["chat", "search", "assist", "summaries", "answers", "suggestions", "completions"]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _zipf(count: int, power: float = 1.0) -> list[float]:
    weights = [1 / (rank + 1) ** power for rank in range(count)]
    total = sum(weights)
    return [w / total for w in weights]


def _names(rng: random.Random) -> list[str]:
    """Transaction names of an app that calls models: Celery tasks and API routes."""
    names: set[str] = set()
    while len(names) < NAMES:
        if rng.random() < 0.5:
            names.add(f"tasks.{rng.choice(TASKS)}.{rng.choice(['run', 'batch', 'retry'])}")
        else:
            verb = rng.choice(["POST", "POST", "GET", "PUT"])
            names.add(f"{verb} /api/v{rng.randint(1, 2)}/{rng.choice(ROUTES)}/{{id}}")
    return sorted(names)


# --- part 1: a month of model calls ---------------------------------------------------------


def _usage(
    rng: random.Random, model: tuple[str, str, str, str, float, int, int, bool]
) -> dict[str, int | None]:
    """Token counts as the SDK reports them (totals include their subsets)."""
    provider, operation, med_in, med_out, reasoning = *model[2:4], *model[5:]
    inp = max(1, int(med_in * rng.lognormvariate(0, 0.7)))
    if operation == "embeddings":
        return {"input": inp, "cache_read": None, "cache_write": None, "output": None}
    out = max(1, int(med_out * rng.lognormvariate(0, 0.6)))
    usage: dict[str, int | None] = {"input": inp, "output": out, "cache_write": None}
    usage["cache_read"] = int(inp * rng.uniform(0.3, 0.9)) if rng.random() < 0.35 else None
    if provider == "anthropic" and rng.random() < 0.15:
        usage["cache_write"] = int(inp * rng.uniform(0.05, 0.3))
    usage["reasoning"] = int(out * rng.uniform(0.3, 0.8)) if reasoning else None
    return usage


TOKEN_COLUMNS = ("input", "cache_read", "cache_write", "output", "reasoning", "total")


@dataclass(frozen=True, slots=True)
class _Usage:
    """What ``price_call`` reads of a call."""

    operation: str
    request_model: str | None
    response_model: str | None
    input_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None


class Calls:
    """Deterministic model calls over the 30 days before ``now``, job by job."""

    def __init__(self, project_id: int, count: int, now: float, seed: int = 6) -> None:
        self.project_id = project_id
        self.prices = PriceTable.bundled()
        self.rng = random.Random(seed)
        self.count, self.now = count, now
        self.names = _names(self.rng)
        self.users = [f"id:user-{self.rng.getrandbits(40):010x}" for _ in range(USERS)]
        self.user_weights = _zipf(USERS, 0.9)
        self.name_weights = _zipf(NAMES, 0.8)
        self.busiest_user = self.users[0]

    def _job_sizes(self) -> list[int]:
        raw = [self.rng.lognormvariate(0, 1.0) for _ in range(JOBS)]
        scale = self.count / sum(raw)
        sizes = [max(1, int(r * scale)) for r in raw]
        sizes[sizes.index(max(sizes))] += self.count - sum(sizes)
        return sizes

    def rows(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        weights = [m[4] for m in MODELS]
        envs = [e for e, _ in ENVIRONMENTS], [w for _, w in ENVIRONMENTS]
        channels = [c for c, _ in CHANNELS], [w for _, w in CHANNELS]
        for size in self._job_sizes():
            length = rng.uniform(30, 900)  # a burst: the job's calls within minutes
            start = self.now - rng.uniform(length + 60, MONTH - 60)
            user = rng.choices(self.users, self.user_weights)[0]
            name = rng.choices(self.names, self.name_weights)[0]
            environment = rng.choices(*envs)[0]
            channel = rng.choices(*channels)[0]
            release = f"assistant@2026.{int(start // (2 * DAY)) % 1000}"
            job_id = f"job-{rng.getrandbits(64):016x}"
            favourites = rng.choices(MODELS, weights, k=rng.randint(1, 3))
            trace = event = ""
            for k in range(size):
                if k % CALLS_PER_TRACE == 0:
                    trace, event = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(128):032x}"
                end = start + length * (k + 1) / size
                yield self._call(
                    rng.choice(favourites), end, trace, event, name, environment, release,
                    user, job_id, channel,
                )  # fmt: skip

    def _call(
        self,
        model: tuple[str, str, str, str, float, int, int, bool],
        end: float,
        trace: str,
        event: str,
        name: str,
        environment: str,
        release: str,
        user: str,
        job_id: str,
        channel: str | None,
    ) -> dict[str, Any]:
        rng = self.rng
        asked, served, provider, operation = model[:4]
        status, roll = "ok", rng.random()
        tokens: dict[str, int | None] = dict.fromkeys(
            ("input", "cache_read", "cache_write", "output", "reasoning")
        )
        streaming = operation == "chat" and rng.random() < 0.4
        response: str | None = served
        if roll < 0.02:  # a 429: no answer, no usage
            status, response, streaming = "error", None, False
        elif roll > 0.995 and streaming:  # streamed without include_usage: tokens unknown
            pass
        else:
            tokens = _usage(rng, model)
        out = tokens.get("output") or 0
        duration = (150 + out * rng.uniform(8, 25)) * rng.lognormvariate(0, 0.3)
        usage = _Usage(operation, asked, response, *(tokens.get(k) for k in TOKEN_COLUMNS[:-1]))
        cost = price_call(usage, self.prices)
        total = None
        if tokens["input"] is not None:
            total = tokens["input"] + (tokens["output"] or 0)
        return {
            "project_id": self.project_id,
            "event_id": event,
            "trace_id": trace,
            "span_id": f"{rng.getrandbits(64):016x}",
            "timestamp": end,
            "duration_ms": duration,
            "status": status,
            "operation": operation,
            "provider": provider,
            "request_model": asked,
            "response_model": response,
            "model": model_name(usage, self.prices),
            "streaming": streaming if status == "ok" else None,
            "ttft_ms": rng.uniform(150, 900) if streaming and status == "ok" else None,
            **{f"{k}_tokens": tokens.get(k) for k in TOKEN_COLUMNS[:-1]},
            "total_tokens": total,
            "cost_usd": float(cost.total) if cost is not None else None,
            "cache_savings_usd": float(cost.cache_savings) if cost is not None else None,
            "price_version": cost.price_version if cost is not None else None,
            "transaction": name,
            "environment": environment,
            "release": release,
            "user_key": user,
            "job_id": job_id,
            "channel": channel,
            "agent_name": None,
            "conversation_id": None,
            "prompt_chars": None,
            "response_chars": None,
            "source": "span",
        }


def fill_calls(db: Database, project_id: int, calls: Calls) -> float:
    """Insert every call, and three budgets; the seconds it took."""
    started = time.perf_counter()
    chunk: list[dict[str, Any]] = []
    for row in calls.rows():
        chunk.append(row)
        if len(chunk) == INSERT_CHUNK:
            with db.write() as conn:
                insert_rows(conn, tables.llm_calls, chunk)
                add_calls(conn, chunk)
            chunk = []
    if chunk:
        with db.write() as conn:
            insert_rows(conn, tables.llm_calls, chunk)
            add_calls(conn, chunk)
    now = time.time()
    budgets = [
        ("Monthly LLM spend", "project", None, "month", "20000"),
        ("GPT-4o weekly", "model", "gpt-4o", "week", "1500"),
        ("Busiest user daily", "user", calls.busiest_user, "day", "25"),
    ]
    with db.write() as conn:
        conn.execute(
            tables.llm_budgets.insert(),
            [
                {
                    "project_id": project_id,
                    "name": name,
                    "scope": scope,
                    "scope_value": value,
                    "period": period,
                    "unit": "usd",
                    "amount": amount,
                    "thresholds": "50,80,100",
                    "created_at": now,
                }
                for name, scope, value, period, amount in budgets
            ],
        )
    return time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _time(run: Callable[[], object], runs: int) -> list[float]:
    """Seconds of ``runs`` runs after a warm-up; a query that takes seconds stops after
    ``SLOW_BUDGET`` seconds of runs (at least ``MIN_RUNS``), so a miss shows without waiting."""
    run()  # warm-up, untimed
    times: list[float] = []
    while len(times) < runs and (len(times) < MIN_RUNS or sum(times) < SLOW_BUDGET):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def _line(label: str, times: list[float], target: bool = True) -> None:
    p95 = _pct(times, 0.95)
    verdict = ("ok" if p95 < TARGET_MS else "MISSES") if target else ""
    print(
        f"{label[:46]:<46} {_pct(times, 0.5):7.1f} ms {p95:7.1f} ms "
        f"{max(times) * 1000:7.1f} ms {len(times):4}  {verdict}"
    )


def time_queries(db: Database, project_id: int, runs: int) -> None:
    _label, seconds, size = PERIODS["30d"]
    end = time.time()
    scope = LlmScope(project_id, end - seconds, end, None)

    def budgets() -> None:
        llm_budgets.budget_statuses(db, llm_budgets.list_budgets(db, project_id), end)

    def overview() -> None:
        budgets()
        query.llm_totals(db, scope)
        llm_latency(db, scope)
        llm_spend_series(db, scope, size)
        for dimension, _heading in BREAKDOWNS:
            query.llm_breakdown(db, scope, dimension, TOP)

    def usage(group_by: str) -> Callable[[], None]:
        def run() -> None:
            query.llm_breakdown(db, scope, group_by)
            query.llm_totals(db, scope)

        return run

    header = f"{'read model time (30 days)':<46} {'p50':>10} {'p95':>10} {'max':>10} runs"
    print(f"\n{header}  (target p95 < {TARGET_MS:.0f} ms)")
    _line("overview /llm/?period=30d", _time(overview, runs))
    for group_by in GROUPED:
        _line(f"usage ?groupBy={group_by} (breakdown + totals)", _time(usage(group_by), runs))
    print("\nper function (the parts of the timings above):")
    parts: list[tuple[str, Callable[[], object]]] = [
        ("list_budgets + budget_statuses (3 budgets)", budgets),
        ("llm_totals", lambda: query.llm_totals(db, scope)),
        ("llm_latency", lambda: llm_latency(db, scope)),
        ("llm_spend_series (by day)", lambda: llm_spend_series(db, scope, size)),
    ]
    for dimension, _heading in BREAKDOWNS:
        parts.append(
            (
                f"llm_breakdown {dimension} (top {TOP})",
                partial(query.llm_breakdown, db, scope, dimension, TOP),
            )
        )
    for group_by in GROUPED:
        parts.append(
            (
                f"llm_breakdown {group_by} (100, the API's)",
                partial(query.llm_breakdown, db, scope, group_by),
            )
        )
    for label, run in parts:
        _line(label, _time(run, runs), target=False)


def bench_queries(database_url: str, args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        config = _config(stack, database_url)
        db = Database(config.effective_database_url)
        try:
            first_run(db, config)
            with db.read() as conn:
                project_id = conn.execute(select(tables.projects.c.id)).scalar_one()
            backend = "SQLite" if db.is_sqlite else "PostgreSQL"
            calls = Calls(project_id, args.calls, time.time())
            print(f"\n{backend}: inserting {args.calls:,} model calls over 30 days …")
            elapsed = fill_calls(db, project_id, calls)
            with db.read() as conn:
                c = tables.llm_calls.c
                stored, models, users, jobs, unpriced = conn.execute(
                    select(
                        text("count(*)"),
                        func.count(c.model.distinct()),
                        func.count(c.user_key.distinct()),
                        func.count(c.job_id.distinct()),
                        text("sum(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END)"),
                    ).select_from(tables.llm_calls)
                ).one()
            print(
                f"  {stored:,} rows in {elapsed:.1f} s ({stored / elapsed:,.0f} rows/s): "
                f"{models} model values, {users:,} users, {jobs:,} jobs, {unpriced:,} unpriced"
            )
            if not db.is_sqlite:
                with db.write() as conn:
                    conn.execute(text("ANALYZE"))
            time_queries(db, project_id, args.runs)
        finally:
            db.dispose()


def _config(stack: contextlib.ExitStack, database_url: str, **extra: str) -> Config:
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    env = {"HERON_DATA_DIR": tmp, "HERON_DATABASE_URL": database_url}
    env |= {"HERON_ADMIN_PASSWORD": "bench admin password", **extra}
    return load(env)


# --- part 2: extraction overhead ------------------------------------------------------------

SHAPES = ("default", "legacy")
THREAD = {"thread.id": "140245138835264", "thread.name": "MainThread"}
AI_MODELS = [m for m in MODELS[:13] if m[2] in ("openai", "anthropic")]


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"value": value, "type": "boolean"}
    if isinstance(value, int):
        return {"value": value, "type": "integer"}
    if isinstance(value, float):
        return {"value": value, "type": "double"}
    return {"value": value, "type": "string"}


class AiTraffic:
    """Deterministic transactions of AI jobs, in one of the SDK's two shapes."""

    def __init__(self, count: int, now: float, shape: str, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.count, self.now, self.shape = count, now, shape
        self.names = _names(self.rng)
        self.spans = 0
        self.ai_spans = 0

    def envelopes(self) -> Iterator[tuple[float, bytes]]:
        rng = self.rng
        times = sorted(self.now - rng.uniform(0, DAY) for _ in range(self.count))
        for end in times:
            yield end, self._envelope(end)

    def _ordinary(self, trace: str, root: str, at: float) -> dict[str, Any]:
        rng = self.rng
        kind = rng.random()
        data: dict[str, Any]
        if kind < 0.6:
            table = rng.choice(["tickets", "messages", "documents", "customers", "prompts"])
            op, description = "db", f"SELECT * FROM {table} WHERE id = {rng.randrange(10**6)}"
            data = {**THREAD, "db.system": "postgresql"}
        elif kind < 0.8:
            url = f"https://api.crm.example/v2/contacts/{rng.randrange(10**6)}"
            op, description = "http.client", f"GET {url}"
            data = {**THREAD, "http.method": "GET", "url": url, "http.response.status_code": 200}
        else:
            op, description = "cache.get", f"GET prompt:{rng.randrange(10**4)}"
            data = {**THREAD, "cache.hit": rng.random() < 0.7}
        length = rng.uniform(0.001, 0.03)
        return {
            "trace_id": trace,
            "span_id": f"{rng.getrandbits(64):016x}",
            "parent_span_id": root,
            "same_process_as_parent": True,
            "op": op,
            "description": description,
            "start_timestamp": _iso(at),
            "timestamp": _iso(at + length),
            "origin": "auto",
            "data": data,
        }

    def _ai_data(self, model: tuple[str, str, str, str, float, int, int, bool]) -> dict[str, Any]:
        rng = self.rng
        asked, served, provider, operation = model[:4]
        streaming = rng.random() < 0.4
        data: dict[str, Any] = {
            "gen_ai.system": provider,
            "gen_ai.response.streaming": streaming,
            "gen_ai.operation.name": operation,
            "gen_ai.request.model": asked,
            "gen_ai.request.max_tokens": 1024,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.response.model": served,
        }
        if streaming:
            data["gen_ai.response.time_to_first_token"] = rng.uniform(0.15, 0.9)
        usage = _usage(rng, model)
        keys = {
            "input": "gen_ai.usage.input_tokens",
            "cache_read": "gen_ai.usage.input_tokens.cached",
            "cache_write": "gen_ai.usage.input_tokens.cache_write",
            "output": "gen_ai.usage.output_tokens",
            "reasoning": "gen_ai.usage.output_tokens.reasoning",
        }
        for name, key in keys.items():
            value = usage.get(name)
            if value:  # the SDK leaves zero counts out
                data[key] = value
        data["gen_ai.usage.total_tokens"] = (usage["input"] or 0) + (usage["output"] or 0)
        return data

    def _envelope(self, end: float) -> bytes:
        rng = self.rng
        trace, root = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(64):016x}"
        event_id = f"{rng.getrandbits(128):032x}"
        name = rng.choice(self.names)
        op = "queue.task.celery" if name.startswith("tasks.") else "http.server"
        length = rng.uniform(2.0, 12.0)
        start = end - length
        ordinary = [
            self._ordinary(trace, root, start + length * rng.uniform(0.02, 0.9))
            for _ in range(rng.randint(5, 9))
        ]
        user = {"id": f"user-{rng.randrange(USERS)}", "email": "someone@example.com"}
        environment = rng.choice(["production", "production", "staging"])
        release = "assistant@2026.11.3"
        ai: list[dict[str, Any]] = []
        at = start + 0.05
        for _ in range(rng.choice([2, 2, 3])):
            model = rng.choice(AI_MODELS)
            took = rng.uniform(0.4, 3.0)
            span = {
                "trace_id": trace,
                "span_id": f"{rng.getrandbits(64):016x}",
                "parent_span_id": root,
                "op": f"gen_ai.{model[3]}",
                "description": f"{model[3]} {model[0]}",
                "start": at,
                "end": at + took,
                "origin": f"auto.ai.{model[2]}",
                "data": {**THREAD, **self._ai_data(model)},
            }
            ai.append(span)
            at += took + 0.05
        self.spans += len(ordinary) + len(ai)
        self.ai_spans += len(ai)
        event: dict[str, Any] = {
            "type": "transaction",
            "transaction": name,
            "transaction_info": {"source": "custom" if op != "http.server" else "route"},
            "contexts": {
                "trace": {
                    "trace_id": trace,
                    "span_id": root,
                    "parent_span_id": None,
                    "op": op,
                    "status": "ok",
                    "origin": "auto.queue.celery" if op != "http.server" else "auto.http",
                    "data": THREAD,
                },
                "runtime": {"name": "CPython", "version": "3.12.7"},
            },
            "tags": {"job_id": f"job-{rng.getrandbits(48):012x}", "channel": "slack"},
            "timestamp": _iso(end),
            "start_timestamp": _iso(start),
            "measurements": {},
            "event_id": event_id,
            "user": user,
            "release": release,
            "environment": environment,
            "server_name": "worker-3",
            "sdk": {"name": "sentry.python.celery", "version": "2.75.0"},
            "platform": "python",
        }
        legacy = [
            {
                "trace_id": s["trace_id"],
                "span_id": s["span_id"],
                "parent_span_id": root,
                "same_process_as_parent": True,
                "op": s["op"],
                "description": s["description"],
                "start_timestamp": _iso(s["start"]),
                "timestamp": _iso(s["end"]),
                "origin": s["origin"],
                "data": s["data"],
            }
            for s in ai
        ]
        header: dict[str, Any] = {"event_id": event_id, "sent_at": _iso(end + 0.01)}
        header["trace"] = {"trace_id": trace, "environment": environment, "release": release}
        if self.shape == "legacy":
            event["spans"] = ordinary + legacy
            return _envelope_bytes(header, [({"type": "transaction"}, event)])
        event["spans"] = ordinary
        copied = {
            "user.id": user["id"],
            "user.email": user["email"],
            "sentry.release": release,
            "sentry.environment": environment,
            "server.address": "worker-3",
            "sentry.segment.name": name,
            "sentry.segment.id": root,
            "sentry.sdk.name": "sentry.python.celery",
            "sentry.sdk.version": "2.75.0",
        }
        items = [
            {
                "status": "ok",
                "is_segment": False,
                "trace_id": trace,
                "span_id": s["span_id"],
                "name": s["description"],
                "start_timestamp": s["start"],
                "end_timestamp": s["end"],
                "parent_span_id": root,
                "attributes": {
                    key: _typed(value)
                    for key, value in {
                        "sentry.op": s["op"],
                        "sentry.origin": s["origin"],
                        **s["data"],
                        **copied,
                    }.items()
                },
            }
            for s in ai
        ]
        span_header = {
            "type": "span",
            "item_count": len(items),
            "content_type": "application/vnd.sentry.items.span.v2+json",
        }
        return _envelope_bytes(
            header,
            [({"type": "transaction"}, event), (span_header, {"version": 2, "items": items})],
        )


def _envelope_bytes(header: dict[str, Any], items: list[tuple[dict[str, Any], Any]]) -> bytes:
    lines = [orjson.dumps(header)]
    for item_header, payload in items:
        body = orjson.dumps(payload)
        fields = {"content_type": "application/json", **item_header, "length": len(body)}
        lines += [orjson.dumps(fields), body]
    return b"\n".join(lines) + b"\n"


def _cpu(run: Callable[[], object], repeat: int = 3) -> float:
    """Best CPU seconds of ``repeat`` runs."""
    best = math.inf
    for _ in range(repeat):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def _joined(work: items.Work) -> list[Transaction]:
    """The batch's transactions with their AI spans, as the writer joins them."""
    by_segment: dict[tuple[str, str], list[Any]] = {}
    for _project, span in work.loose_spans:
        by_segment.setdefault((span.trace_id, span.segment_id or ""), []).append(span)
    joined = []
    for _project, txn in work.transactions:
        children = by_segment.get((txn.trace_id, txn.span_id), [])
        spans = tuple(sorted((*txn.spans, *children), key=lambda s: s.start))
        joined.append(replace(txn, spans=spans))
    return joined


def time_extraction(count: int) -> None:
    print(
        f"\nextraction, CPU of one process over {count:,} transactions (best of 3)"
        f"\n{'shape':<9} {'prepare':>12} {'model_calls':>13} {'pricing':>12} "
        f"{'extraction':>11} {'adds':>7}"
    )
    for shape in SHAPES:
        traffic = AiTraffic(count, time.time(), shape)
        _extraction_line(traffic)
    print(
        f"  ({traffic.spans / count:.1f} spans, {traffic.ai_spans / count:.1f} model calls per "
        "transaction; adds = (model_calls + pricing) / prepare without them; target < 10 %)"
    )


def _extraction_line(traffic: AiTraffic) -> None:
    count, prices = traffic.count, PriceTable.bundled()
    rows = [
        InboxRow(i, 1, received, "envelope", "10.1.2.3", body)
        for i, (received, body) in enumerate(traffic.envelopes())
    ]
    prepare = _cpu(lambda: [batch.prepare(row) for row in rows])
    work = items.Work()
    for row in rows:
        work.extend(batch.prepare(row))
    default = traffic.shape == "default"
    txns = _joined(work) if default else [t for _, t in work.transactions]
    calls = [call for txn in txns for call in model_calls(txn)]
    if len(calls) != traffic.ai_spans:
        print(f"  {traffic.shape}: found {len(calls):,} calls of {traffic.ai_spans:,} AI spans")
    extract = _cpu(lambda: [model_calls(txn) for txn in txns])
    pricing = _cpu(lambda: [price_call(call, prices) for call in calls])
    # The legacy shape's prepare already ran model_calls; the default shape's ran it on
    # transactions without their AI spans, and the writer runs it again once they are joined.
    share = (extract + pricing) / (prepare if default else prepare - extract)
    print(
        f"{traffic.shape:<9} {prepare / count * 1e6:8.1f} µs/t {extract / count * 1e6:9.1f} µs/t "
        f"{pricing / count * 1e6:8.1f} µs/t {(extract + pricing) / count * 1e6:7.1f} µs/t "
        f"{share * 100:6.1f} %"
    )


def _no_calls(txn: Transaction, **_kw: str) -> list[ModelCall]:
    return []


@contextlib.contextmanager
def _without_extraction() -> Iterator[None]:
    """The digest's two callers of ``model_calls`` (in this process) find no call."""
    modules = (items.__dict__, streamed.__dict__)
    saved = [module["model_calls"] for module in modules]
    for module in modules:
        module["model_calls"] = _no_calls
    try:
        yield
    finally:
        for module, found in zip(modules, saved, strict=True):
            module["model_calls"] = found


def fill_inbox(db: Database, project_id: int, traffic: AiTraffic) -> None:
    inbox = inbox_for(db)
    chunk: list[InboxRecord] = []
    for received, body in traffic.envelopes():
        chunk.append(InboxRecord(project_id, body, client_ip="10.1.2.3", received_at=received))
        if len(chunk) == 1000:
            inbox.append(chunk)
            chunk = []
    inbox.append(chunk)


def digest_once(database_url: str, count: int, extract: bool) -> tuple[float, float, int, int]:
    """Digest ``count`` default-shape transactions on a fresh database; wall and CPU seconds,
    spans, and model calls stored."""
    with contextlib.ExitStack() as stack:
        config = _config(stack, database_url, HERON_DIGEST_PROCESSES="1")
        db = Database(config.effective_database_url)
        try:
            first_run(db, config)
            with db.read() as conn:
                project_id = conn.execute(select(tables.projects.c.id)).scalar_one()
            traffic = AiTraffic(count, time.time(), "default")
            fill_inbox(db, project_id, traffic)
            inbox = inbox_for(db)
            stop = threading.Event()

            def watch() -> None:
                while not stop.is_set():
                    if inbox.drained():
                        stop.set()
                    time.sleep(0.2)

            watcher = threading.Thread(target=watch, daemon=True)
            with contextlib.nullcontext() if extract else _without_extraction():
                started, cpu = time.perf_counter(), time.process_time()
                watcher.start()
                worker.run(config, stop)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            watcher.join()
            with db.read() as conn:
                stored = conn.execute(
                    select(text("count(*)")).select_from(tables.llm_calls)
                ).scalar_one()
            return elapsed, cpu, traffic.spans + count, int(stored)
        finally:
            inbox_for(db).dispose()
            db.dispose()


def bench_digest(postgres: bool, count: int) -> None:
    backend = "PostgreSQL" if postgres else "SQLite"
    print(f"\n{backend}: real digest of {count:,} default-shape AI transactions (in-process)")
    figures = {}
    for extract in (False, True):
        url = ""
        if postgres:
            from tests.live import create_pg_database, drop_pg_database

            url = create_pg_database()
        try:
            elapsed, cpu, spans, stored = digest_once(url, count, extract)
        finally:
            if postgres:
                drop_pg_database(url)
        figures[extract] = (elapsed, cpu)
        label = "with extraction" if extract else "without (baseline)"
        print(
            f"  {label:<19} {spans / elapsed:9,.0f} spans/s ({elapsed:5.1f} s wall), "
            f"{spans / cpu:9,.0f} spans per CPU s ({cpu:5.1f} s); {stored:,} calls stored"
        )
    (wall0, cpu0), (wall1, cpu1) = figures[False], figures[True]
    print(
        f"  extraction adds {(wall1 / wall0 - 1) * 100:.1f} % wall clock, "
        f"{(cpu1 / cpu0 - 1) * 100:.1f} % CPU (target < 10 %)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=20_000, help="digested")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--part", choices=["queries", "extraction", "both"], default="both")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query")
    parser.add_argument("--quick", action="store_true", help="100,000 calls, 2,000 digested")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.transactions, args.runs = 100_000, 2000, 10
    if args.part != "queries":
        time_extraction(min(args.transactions, 5000))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "sqlite":
            if args.part != "extraction":
                bench_queries("", args)
            if args.part != "queries":
                bench_digest(False, args.transactions)
            continue
        from tests.live import create_pg_database, drop_pg_database

        if args.part != "extraction":
            url = create_pg_database()
            try:
                bench_queries(url, args)
            finally:
                drop_pg_database(url)
        if args.part != "queries":
            bench_digest(True, args.transactions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
