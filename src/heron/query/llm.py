"""LLM usage and cost read from ``llm_calls``: totals, breakdowns by a dimension, one job.

Sums skip unknown values: a token count nobody reported adds nothing and is counted apart
(``unknown_tokens``), and an unpriced call adds no cost but is counted (``unpriced``), so a
missing price can never pass for a cheap call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from heron.llm import PriceTable
from heron.query.errors import QueryError
from heron.store import Database, tables
from heron.store.llm_prices import price_table

_c = tables.llm_calls.c

# groupBy values → the column they group on.
DIMENSIONS: dict[str, Any] = {
    "model": _c.model,
    "provider": _c.provider,
    "user": _c.user_key,
    "job": _c.job_id,
    "channel": _c.channel,
    "transaction": _c.transaction,
    "release": _c.release,
    "environment": _c.environment,
    "operation": _c.operation,
}
TOKEN_FIELDS = ("input", "cache_read", "cache_write", "output", "reasoning", "total")
# Calls whose usage was not reported (embeddings have no output to report).
_UNKNOWN_TOKENS = _c.input_tokens.is_(None) | (
    _c.output_tokens.is_(None) & (_c.operation != "embeddings")
)


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


def _figures() -> list[ColumnElement[Any]]:
    return [
        func.count(),
        func.sum(case((_c.status == "error", 1), else_=0)),
        *(func.sum(getattr(_c, f"{name}_tokens")) for name in TOKEN_FIELDS),
        func.sum(case((_UNKNOWN_TOKENS, 1), else_=0)),
        func.sum(_c.cost_usd),
        func.sum(case((_c.cost_usd.is_(None), 1), else_=0)),
        func.avg(_c.duration_ms),
        func.sum(_c.cache_savings_usd),
    ]


def _usage(row: Any) -> Usage:
    calls, errors, *tokens, unknown, cost, unpriced, duration, savings = row
    return Usage(
        calls=int(calls or 0),
        errors=int(errors or 0),
        tokens={name: int(v or 0) for name, v in zip(TOKEN_FIELDS, tokens, strict=True)},
        unknown_tokens=int(unknown or 0),
        cost_usd=float(cost or 0.0),
        unpriced=int(unpriced or 0),
        avg_duration_ms=float(duration) if duration is not None else None,
        cache_savings_usd=float(savings or 0.0),
    )


def scope_conditions(scope: LlmScope) -> list[ColumnElement[bool]]:
    """The calls of the scope's project, range and environment."""
    conditions = [
        _c.project_id == scope.project_id,
        _c.timestamp >= scope.start,
        _c.timestamp < scope.end,
    ]
    if scope.environment is not None:
        conditions.append(_c.environment == scope.environment)
    return conditions


def llm_price_table(db: Database, project_id: int) -> PriceTable:
    """The prices the project's calls are costed at."""
    with db.read() as conn:
        return price_table(conn, project_id)


def llm_totals(db: Database, scope: LlmScope) -> Usage:
    """Usage and cost of every model call of the project in the scope."""
    with db.read() as conn:
        return _usage(conn.execute(select(*_figures()).where(*scope_conditions(scope))).one())


def llm_breakdown(
    db: Database, scope: LlmScope, group_by: str, limit: int = 100
) -> list[tuple[str | None, Usage]]:
    """Usage per value of a dimension (``DIMENSIONS``), most expensive first."""
    column = DIMENSIONS.get(group_by)
    if column is None:
        raise QueryError(f"invalid groupBy {group_by!r}: use one of {', '.join(DIMENSIONS)}")
    cost = func.coalesce(func.sum(_c.cost_usd), 0.0)
    stmt = (
        select(column, *_figures())
        .where(*scope_conditions(scope))
        .group_by(column)
        .order_by(cost.desc(), func.count().desc(), column)
        .limit(limit)
    )
    with db.read() as conn:
        return [(row[0], _usage(row[1:])) for row in conn.execute(stmt)]


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
