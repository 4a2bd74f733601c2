"""LLM budgets and where they stand: what the scope spent in the current calendar period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from heron.query.llm import in_pieces, rollup_pieces
from heron.store import Database, tables

_r = tables.llm_rollups.c
_b = tables.llm_budgets.c

# Budget scopes: the whole project, one environment, or one value of a rollup dimension.
SCOPES = ("project", "environment", "model", "user", "job", "channel", "transaction")
PERIODS = ("day", "week", "month")
UNITS = ("usd", "tokens")


@dataclass(frozen=True)
class Budget:
    id: int
    project_id: int
    name: str
    scope: str
    scope_value: str | None
    period: str
    unit: str
    amount: Decimal
    thresholds: tuple[int, ...]
    created_at: float


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    period_start: float
    period_end: float
    spent: float  # USD or tokens
    percent: float
    crossed: tuple[int, ...]  # thresholds recorded as crossed in this period

    @property
    def remaining(self) -> float:
        return max(float(self.budget.amount) - self.spent, 0.0)

    @property
    def over(self) -> bool:
        return self.spent >= float(self.budget.amount)


def period_bounds(period: str, now: float) -> tuple[float, float]:
    """The UTC calendar period (day, ISO week from Monday, month) holding ``now``."""
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        start, end = day, day + timedelta(days=1)
    elif period == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    elif period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown period {period!r}")
    return start.timestamp(), end.timestamp()


def _budget(row: Any) -> Budget:
    return Budget(
        id=int(row.id),
        project_id=int(row.project_id),
        name=row.name,
        scope=row.scope,
        scope_value=row.scope_value,
        period=row.period,
        unit=row.unit,
        amount=Decimal(row.amount),
        thresholds=tuple(int(t) for t in row.thresholds.split(",") if t),
        created_at=float(row.created_at),
    )


def list_budgets(db: Database, project_id: int | None = None) -> list[Budget]:
    """The project's budgets (every project's when None), oldest first."""
    stmt = select(tables.llm_budgets).order_by(_b.id)
    if project_id is not None:
        stmt = stmt.where(_b.project_id == project_id)
    with db.read() as conn:
        return [_budget(r) for r in conn.execute(stmt)]


def get_budget(db: Database, project_id: int, budget_id: int) -> Budget | None:
    stmt = select(tables.llm_budgets).where(_b.project_id == project_id, _b.id == budget_id)
    with db.read() as conn:
        row = conn.execute(stmt).first()
    return _budget(row) if row is not None else None


def budget_status(conn: Connection, budget: Budget, now: float) -> BudgetStatus:
    """What the budget's scope used in the period holding ``now``."""
    start, end = period_bounds(budget.period, now)
    used = _r.cost_usd if budget.unit == "usd" else _r.usage_tokens
    # Periods are whole UTC days: their day rows (the current one holds the day so far).
    stmt = select(func.sum(used)).where(
        _r.project_id == budget.project_id,
        in_pieces(rollup_pieces(start, end, now=end)),
    )
    if budget.scope in ("project", "environment"):
        stmt = stmt.where(_r.dimension == "")
        if budget.scope == "environment":
            stmt = stmt.where(_r.environment == (budget.scope_value or ""))
    else:
        stmt = stmt.where(_r.dimension == budget.scope, _r.value == (budget.scope_value or ""))
    spent = float(conn.execute(stmt).scalar() or 0)
    amount = float(budget.amount)
    e = tables.llm_budget_events.c
    crossed = conn.execute(
        select(e.threshold)
        .where(e.budget_id == budget.id, e.period_start == start)
        .order_by(e.threshold)
    ).scalars()
    return BudgetStatus(
        budget=budget,
        period_start=start,
        period_end=end,
        spent=spent,
        percent=spent / amount * 100 if amount > 0 else (100.0 if spent > 0 else 0.0),
        crossed=tuple(int(t) for t in crossed),
    )


def budget_statuses(db: Database, budgets: list[Budget], now: float) -> list[BudgetStatus]:
    with db.read() as conn:
        return [budget_status(conn, b, now) for b in budgets]
