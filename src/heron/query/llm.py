"""LLM usage and cost: totals and breakdowns by a dimension read from ``llm_rollups`` (a
range is read in whole hours), one job's calls from ``llm_calls``.

Sums skip unknown values: a token count nobody reported adds nothing and is counted apart
(``unknown_tokens``), and an unpriced call adds no cost but is counted (``unpriced``), so a
missing price can never pass for a cheap call.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from heron.llm import PriceTable
from heron.query.errors import QueryError
from heron.query.performance import tiles
from heron.rollup import DAY, HOUR
from heron.store import Database, tables
from heron.store.llm_prices import price_table

_c = tables.llm_calls.c
_r = tables.llm_rollups.c

# groupBy values: the rollup dimensions, and the environment (a key of every rollup row).
DIMENSIONS = (*tables.LLM_DIMENSIONS, "environment")
TOKEN_FIELDS = tables.LLM_TOKENS
Piece = tuple[int, int, int]  # size, first bucket, end


@dataclass(frozen=True)
class LlmScope:
    project_id: int
    start: float
    end: float
    environment: str | None = None


@dataclass
class Usage:
    """What a set of model calls used and cost."""

    calls: int
    errors: int
    tokens: dict[str, int]  # by TOKEN_FIELDS, known counts only
    unknown_tokens: int  # calls whose usage was not reported
    cost_usd: float  # priced calls only
    unpriced: int  # calls with no cost (unknown model or unknown tokens)
    avg_duration_ms: float | None
    cache_savings_usd: float = 0.0  # what cache reads saved over the uncached input price

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "errors": self.errors,
            "tokens": self.tokens,
            "unknownTokenCalls": self.unknown_tokens,
            "costUsd": round(self.cost_usd, 12),
            "unpricedCalls": self.unpriced,
            "avgDurationMs": self.avg_duration_ms,
            "cacheSavingsUsd": round(self.cache_savings_usd, 12),
        }


def usage_figures() -> list[ColumnElement[Any]]:
    return [
        func.sum(_r.calls),
        func.sum(_r.errors),
        *(func.sum(getattr(_r, f"{name}_tokens")) for name in TOKEN_FIELDS),
        func.sum(_r.unknown_tokens),
        func.sum(_r.cost_usd),
        func.sum(_r.unpriced),
        func.sum(_r.duration_ms),
        func.sum(_r.cache_savings_usd),
    ]


def usage_of(row: Any) -> Usage:
    calls, errors, *tokens, unknown, cost, unpriced, duration, savings = row
    calls = int(calls or 0)
    return Usage(
        calls=calls,
        errors=int(errors or 0),
        tokens={name: int(v or 0) for name, v in zip(TOKEN_FIELDS, tokens, strict=True)},
        unknown_tokens=int(unknown or 0),
        cost_usd=float(cost or 0.0),
        unpriced=int(unpriced or 0),
        avg_duration_ms=float(duration) / calls if calls and duration is not None else None,
        cache_savings_usd=float(savings or 0.0),
    )


def rollup_pieces(start: float, end: float, *, now: float | None = None) -> list[Piece]:
    """The hour and day rows that hold [start, end), widened to whole hours. A range that
    reaches the present reads the current day from its day row (nothing lies after now)."""
    first = int(start // HOUR * HOUR)
    last = math.ceil(end / HOUR) * HOUR
    if last >= (time.time() if now is None else now):
        last = math.ceil(last / DAY) * DAY
    return tiles(first, last, (DAY, HOUR))


def in_pieces(pieces: list[Piece]) -> ColumnElement[bool]:
    """Rollup rows in ``pieces`` (see :func:`rollup_pieces`)."""
    if not pieces:
        return false()
    return or_(*(and_(_r.size == s, _r.bucket >= lo, _r.bucket < hi) for s, lo, hi in pieces))


def rollup_conditions(scope: LlmScope, dimension: str = "") -> list[ColumnElement[bool]]:
    """The rollup rows of the scope's project, range and environment, of one dimension
    (``""``: the rows of every call)."""
    conditions = [
        _r.project_id == scope.project_id,
        _r.dimension == dimension,
        in_pieces(rollup_pieces(scope.start, scope.end)),
    ]
    if scope.environment is not None:
        conditions.append(_r.environment == scope.environment)
    return conditions


def llm_price_table(db: Database, project_id: int) -> PriceTable:
    """The prices the project's calls are costed at."""
    with db.read() as conn:
        return price_table(conn, project_id)


def llm_totals(db: Database, scope: LlmScope) -> Usage:
    """Usage and cost of every model call of the project in the scope."""
    with db.read() as conn:
        return usage_of(
            conn.execute(select(*usage_figures()).where(*rollup_conditions(scope))).one()
        )


def llm_breakdown(
    db: Database, scope: LlmScope, group_by: str, limit: int = 100
) -> list[tuple[str | None, Usage]]:
    """Usage per value of a dimension (``DIMENSIONS``; None: calls without one), most
    expensive first."""
    if group_by not in DIMENSIONS:
        raise QueryError(f"invalid groupBy {group_by!r}: use one of {', '.join(DIMENSIONS)}")
    if group_by == "environment":
        column, dimension = _r.environment, ""
    else:
        column, dimension = _r.value, group_by
    stmt = (
        select(column, *usage_figures())
        .where(*rollup_conditions(scope, dimension))
        .group_by(column)
        .order_by(func.sum(_r.cost_usd).desc(), func.sum(_r.calls).desc(), column)
        .limit(limit)
    )
    with db.read() as conn:
        return [(row[0] or None, usage_of(row[1:])) for row in conn.execute(stmt)]


@dataclass(frozen=True)
class CallView:
    """One model call as a job's detail lists it."""

    trace_id: str
    span_id: str
    event_id: str
    timestamp: float
    duration_ms: float
    status: str
    operation: str
    provider: str | None
    model: str
    tokens: dict[str, int | None]
    cost_usd: float | None
    price_version: str | None
    transaction: str
    user: str | None
    ttft_ms: float | None
    prompt_chars: int | None = None
    response_chars: int | None = None
    prompt: str | None = None  # kept only where the project keeps prompts
    response: str | None = None


def llm_job_calls(db: Database, project_id: int, job_id: str, limit: int = 1000) -> list[CallView]:
    """Every model call of one job (the project's job tag), oldest first."""
    stmt = (
        select(tables.llm_calls)
        .where(_c.project_id == project_id, _c.job_id == job_id)
        .order_by(_c.timestamp, _c.id)
        .limit(limit)
    )
    with db.read() as conn:
        return [
            CallView(
                trace_id=r.trace_id,
                span_id=r.span_id,
                event_id=r.event_id,
                timestamp=r.timestamp,
                duration_ms=r.duration_ms,
                status=r.status,
                operation=r.operation,
                provider=r.provider,
                model=r.model,
                tokens={name: getattr(r, f"{name}_tokens") for name in TOKEN_FIELDS},
                cost_usd=r.cost_usd,
                price_version=r.price_version,
                transaction=r.transaction,
                user=r.user_key,
                ttft_ms=r.ttft_ms,
                prompt_chars=r.prompt_chars,
                response_chars=r.response_chars,
                prompt=r.prompt,
                response=r.response,
            )
            for r in conn.execute(stmt)
        ]
