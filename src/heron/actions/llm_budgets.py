"""Creating, changing and deleting LLM budgets (admins)."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update

from heron.actions.errors import ActionError, NotFoundError
from heron.actions.projects import managed_project
from heron.query.llm_budgets import PERIODS, SCOPES, UNITS
from heron.store import Database, tables

DEFAULT_THRESHOLDS = (50, 80, 100)


_FIELDS = {"name", "scope", "scopeValue", "period", "unit", "amount", "thresholds"}
_NEW = {"scope": "project", "period": "month", "unit": "usd", "thresholds": None}


def create_llm_budget(
    db: Database,
    org_slug: str,
    project_slug: str,
    fields: dict[str, Any],
    *,
    actor_id: int | None = None,
) -> int:
    """A budget from ``name``, ``scope`` (+ ``scopeValue``), ``period``, ``unit``, ``amount``
    and ``thresholds`` (percent; default 50, 80, 100); returns its id."""
    row = _checked({**_NEW, **_known(fields)})
    row["created_at"] = time.time()
    with db.write() as conn:
        row["project_id"] = managed_project(conn, org_slug, project_slug, actor_id)
        result = conn.execute(tables.llm_budgets.insert().values(**row))
        (budget_id,) = result.inserted_primary_key or (0,)
    return int(budget_id)


def update_llm_budget(
    db: Database,
    org_slug: str,
    project_slug: str,
    budget_id: int,
    fields: dict[str, Any],
    *,
    actor_id: int | None = None,
) -> None:
    """Change the fields given (as :func:`create_llm_budget` takes them), keep the others.
    Thresholds crossed before stay recorded; a threshold is crossed again only in a later
    period or after it was raised past what is used."""
    changes = _known(fields)
    b = tables.llm_budgets.c
    with db.write() as conn:
        project_id = managed_project(conn, org_slug, project_slug, actor_id)
        current = conn.execute(
            select(tables.llm_budgets).where(b.project_id == project_id, b.id == budget_id)
        ).first()
        if current is None:
            raise NotFoundError(f"budget {budget_id} does not exist")
        before: dict[str, Any] = {
            "name": current.name,
            "scope": current.scope,
            "scopeValue": current.scope_value,
            "period": current.period,
            "unit": current.unit,
            "amount": current.amount,
            "thresholds": [int(t) for t in current.thresholds.split(",") if t],
        }
        if changes.get("scope", current.scope) != current.scope:
            before["scopeValue"] = None  # a new scope needs its own value
        if current.name == _default_name(current.scope, current.scope_value):
            before["name"] = None  # a name made from the scope follows it
        row = _checked({**before, **changes})
        conn.execute(update(tables.llm_budgets).where(b.id == budget_id).values(**row))


def _known(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise ActionError(f"unknown field(s) {sorted(unknown)}")
    return dict(fields)


def _default_name(scope: str, value: str | None) -> str:
    return f"{scope} {value or ''}".strip()


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """The row of a budget with these fields, each checked."""
    scope = fields.get("scope")
    if scope not in SCOPES:
        raise ActionError(f"scope: one of {', '.join(SCOPES)}")
    value = fields.get("scopeValue")
    if scope == "project":
        if value is not None:
            raise ActionError("scopeValue: a project budget has none")
    elif not isinstance(value, str) or not value or len(value) > 300:
        raise ActionError(f"scopeValue: the {scope} the budget is for")
    period = fields.get("period")
    if period not in PERIODS:
        raise ActionError(f"period: one of {', '.join(PERIODS)}")
    unit = fields.get("unit")
    if unit not in UNITS:
        raise ActionError(f"unit: one of {', '.join(UNITS)}")
    name = fields.get("name") or _default_name(scope, value)
    if not isinstance(name, str) or len(name) > 200:
        raise ActionError("name: up to 200 characters")
    return {
        "name": name,
        "scope": scope,
        "scope_value": value,
        "period": period,
        "unit": unit,
        "amount": format(_amount(fields.get("amount")), "f"),
        "thresholds": ",".join(str(t) for t in _thresholds(fields.get("thresholds"))),
    }


def delete_llm_budget(
    db: Database, org_slug: str, project_slug: str, budget_id: int, *, actor_id: int | None = None
) -> None:
    b = tables.llm_budgets.c
    with db.write() as conn:
        project_id = managed_project(conn, org_slug, project_slug, actor_id)
        gone = conn.execute(
            delete(tables.llm_budgets).where(b.project_id == project_id, b.id == budget_id)
        )
        if not gone.rowcount:
            raise NotFoundError(f"budget {budget_id} does not exist")
        e = tables.llm_budget_events.c
        conn.execute(delete(tables.llm_budget_events).where(e.budget_id == budget_id))


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ActionError("amount: a positive number (USD or tokens)")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ActionError("amount: a positive number (USD or tokens)") from None
    if not amount.is_finite() or amount <= 0 or amount > Decimal(10) ** 15:
        raise ActionError("amount: a positive number (USD or tokens)")
    return amount.normalize()


def _thresholds(value: Any) -> tuple[int, ...]:
    if value is None:
        return DEFAULT_THRESHOLDS
    if (
        not isinstance(value, list)
        or not value
        or len(value) > 10
        or any(isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= 1000 for t in value)
    ):
        raise ActionError("thresholds: 1 to 10 whole percentages between 1 and 1000")
    return tuple(sorted(set(value)))
