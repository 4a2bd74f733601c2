"""LLM spend over time per model, and the latency percentiles of a range, for the LLM pages,
from ``llm_rollups``: the spend series from the model rows of the chart's bucket size, the
percentiles from the sketches of the every-call rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from heron.query.llm import LlmScope, Usage, rollup_conditions, usage_figures, usage_of
from heron.rollup import DurationSketch
from heron.store import Database, tables

_r = tables.llm_rollups.c


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
    """Each model's spend per bucket of ``size`` seconds (an hour or a day) over the scope."""
    first, last, conditions = _buckets(scope, "model", size)
    starts = [float(s) for s in range(first, last, size)]
    stmt = (
        select(_r.bucket, _r.value, func.sum(_r.cost_usd))
        .where(*conditions)
        .group_by(_r.bucket, _r.value)
    )
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


def llm_usage_series(db: Database, scope: LlmScope, size: int) -> list[tuple[float, Usage]]:
    """Usage and cost per bucket of ``size`` seconds (an hour or a day): every bucket of the
    scope, oldest first (empty ones too)."""
    first, last, conditions = _buckets(scope, "", size)
    stmt = select(_r.bucket, *usage_figures()).where(*conditions).group_by(_r.bucket)
    with db.read() as conn:
        found = {int(row[0]): usage_of(row[1:]) for row in conn.execute(stmt)}
    empty = usage_of([0] * len(usage_figures()))
    return [(float(start), found.get(start, empty)) for start in range(first, last, size)]


def _buckets(
    scope: LlmScope, dimension: str, size: int
) -> tuple[int, int, list[ColumnElement[bool]]]:
    """The first and end bucket of ``size`` holding the scope, and the conditions for the
    rows of ``dimension`` in them."""
    first = math.floor(scope.start / size) * size
    last = math.ceil(scope.end / size) * size
    conditions = [
        _r.project_id == scope.project_id,
        _r.dimension == dimension,
        _r.size == size,
        _r.bucket >= first,
        _r.bucket < last,
    ]
    if scope.environment is not None:
        conditions.append(_r.environment == scope.environment)
    return first, last, conditions


def llm_latency(db: Database, scope: LlmScope) -> Latency:
    """p50 and p95 (within 1 %) of the durations and times to first token of the scope's
    calls, from the sketches of its hour and day rows."""
    stmt = select(_r.durations, _r.ttfts).where(*rollup_conditions(scope))
    durations, ttfts = DurationSketch(), DurationSketch()
    with db.read() as conn:
        for duration_bytes, ttft_bytes in conn.execute(stmt):
            if duration_bytes is not None:
                durations.merge(DurationSketch.from_bytes(bytes(duration_bytes)))
            if ttft_bytes is not None:
                ttfts.merge(DurationSketch.from_bytes(bytes(ttft_bytes)))
    p50, p95 = durations.quantiles([0.5, 0.95])
    ttft_p50, ttft_p95 = ttfts.quantiles([0.5, 0.95])
    return Latency(p50_ms=p50, p95_ms=p95, ttft_p50_ms=ttft_p50, ttft_p95_ms=ttft_p95)
