"""LLM spend over time per model, and the latency percentiles of a range, for the LLM pages.

The spend series is one ``GROUP BY`` over ``llm_calls`` on (bucket, model), the bucket being
``floor(timestamp / size) * size``. The percentiles are computed here from the range's
durations: exact, and cheap enough while a range holds thousands of calls, not millions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from heron.query.llm import LlmScope, scope_conditions
from heron.store import Database, tables

_c = tables.llm_calls.c


class _Floor(FunctionElement[int]):
    """``floor(x)`` for x ≥ 0. SQLite has no ``floor`` unless built with its math functions;
    a cast to INTEGER truncates there, which is the floor of a non-negative number."""

    type = Integer()
    inherit_cache = True


@compiles(_Floor)
def _floor(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(_Floor, "sqlite")
def _floor_sqlite(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@dataclass(frozen=True)
class SpendSeries:
    """Spend per bucket of ``size`` seconds: every bucket of the range (``starts``, oldest
    first) and, per model, its cost in each bucket (priced calls only)."""

    size: int
    starts: list[float]
    by_model: dict[str, list[float]]  # most expensive model first


@dataclass(frozen=True)
class Latency:
    """Percentiles of the calls' durations and of their time to first token (None: no
    call of the range reported one)."""

    p50_ms: float | None
    p95_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None


def llm_spend_series(db: Database, scope: LlmScope, size: int) -> SpendSeries:
    """Each model's spend per bucket of ``size`` seconds over the scope."""
    # The size goes in as SQL text (an int of ours): PostgreSQL does not see two bound
    # parameters as the same expression, and the bucket is both selected and grouped on.
    width = literal_column(str(int(size)), Integer)
    bucket = (_Floor(_c.timestamp / width) * width).label("bucket")
    stmt = (
        select(bucket, _c.model, func.sum(_c.cost_usd))
        .where(*scope_conditions(scope))
        .group_by(bucket, _c.model)
    )
    first = math.floor(scope.start / size) * size
    starts = [float(s) for s in range(first, math.ceil(scope.end / size) * size, size)]
    index = {int(s): i for i, s in enumerate(starts)}
    by_model: dict[str, list[float]] = {}
    with db.read() as conn:
        for start, model, cost in conn.execute(stmt):
            slot = index.get(int(start))
            if slot is None:
                continue
            by_model.setdefault(model, [0.0] * len(starts))[slot] += float(cost or 0.0)
    ordered = sorted(by_model.items(), key=lambda item: (-sum(item[1]), item[0]))
    return SpendSeries(size=size, starts=starts, by_model=dict(ordered))


def llm_latency(db: Database, scope: LlmScope) -> Latency:
    """p50 and p95 of the durations and times to first token of the scope's calls."""
    stmt = select(_c.duration_ms, _c.ttft_ms).where(*scope_conditions(scope))
    with db.read() as conn:
        rows = conn.execute(stmt).all()
    durations = [float(d) for d, _ in rows]
    ttfts = [float(t) for _, t in rows if t is not None]
    return Latency(
        p50_ms=percentile(durations, 0.5),
        p95_ms=percentile(durations, 0.95),
        ttft_p50_ms=percentile(ttfts, 0.5),
        ttft_p95_ms=percentile(ttfts, 0.95),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``q`` of them at or
    below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]
