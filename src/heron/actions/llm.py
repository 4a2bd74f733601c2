"""A project's own LLM prices, and re-pricing stored calls after a price changed."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update

from heron.actions.errors import ActionError, NotFoundError
from heron.actions.projects import managed_project
from heron.digest.llm_rollups import rebuild
from heron.llm import model_name, price_call
from heron.rollup import DAY
from heron.store import Database, tables, upsert
from heron.store.llm_prices import price_table

RATES = ("input", "output", "cached_input", "cache_write", "reasoning")
REQUIRED_RATES = ("input", "output")
# Rates beyond this (USD per 1M tokens) are a typo, not a price.
_MAX_RATE = Decimal(1_000_000)
_BATCH = 1000


def set_llm_price(
    db: Database,
    org_slug: str,
    project_slug: str,
    model: str,
    rates: dict[str, Any],
    *,
    actor_id: int | None = None,
) -> None:
    """Price ``model`` for the project (USD per 1M tokens; 0 is a price). Applies to calls
    stored from now on; ``reprice_llm_calls`` applies it to stored ones."""
    name = model.strip()
    if not name or len(name) > 200:
        raise ActionError("model: 1 to 200 characters")
    unknown = set(rates) - set(RATES)
    if unknown:
        raise ActionError(f"unknown rate(s) {sorted(unknown)}: use {', '.join(RATES)}")
    values: dict[str, Any] = {"model": name, "updated_at": time.time()}
    for rate in RATES:
        given = rates.get(rate)
        if given is None:
            if rate in REQUIRED_RATES:
                raise ActionError(f"{rate}: a rate in USD per 1M tokens is required")
            values[rate] = None
            continue
        values[rate] = format(_rate(rate, given), "f")
    with db.write() as conn:
        values["project_id"] = managed_project(conn, org_slug, project_slug, actor_id)
        upsert(
            conn,
            tables.llm_prices,
            [values],
            keys=("project_id", "model"),
            set_new=(*RATES, "updated_at"),
        )


def delete_llm_price(
    db: Database, org_slug: str, project_slug: str, model: str, *, actor_id: int | None = None
) -> None:
    t = tables.llm_prices
    with db.write() as conn:
        project_id = managed_project(conn, org_slug, project_slug, actor_id)
        gone = conn.execute(delete(t).where(t.c.project_id == project_id, t.c.model == model))
        if not gone.rowcount:
            raise NotFoundError(f"no price of its own for {model!r}")


def reprice_llm_calls(
    db: Database,
    org_slug: str,
    project_slug: str,
    start: float,
    end: float,
    *,
    actor_id: int | None = None,
) -> int:
    """Cost the project's calls in [start, end) again at its current prices, and sum the
    days they are in anew; returns how many calls changed (cost or price version)."""
    c = tables.llm_calls.c
    changed = 0
    after = 0
    while True:
        with db.write() as conn:  # in short transactions: the digest writes meanwhile
            project_id = managed_project(conn, org_slug, project_slug, actor_id)
            table = price_table(conn, project_id)
            rows = conn.execute(
                select(tables.llm_calls)
                .where(
                    c.project_id == project_id,
                    c.timestamp >= start,
                    c.timestamp < end,
                    c.id > after,
                )
                .order_by(c.id)
                .limit(_BATCH)
            ).all()
            for row in rows:
                cost = price_call(row, table)
                new = {
                    "cost_usd": float(cost.total) if cost else None,
                    "cache_savings_usd": float(cost.cache_savings) if cost else None,
                    "price_version": cost.price_version[:64] if cost else None,
                    "model": model_name(row, table)[:200],
                }
                if any(getattr(row, name) != value for name, value in new.items()):
                    conn.execute(update(tables.llm_calls).where(c.id == row.id).values(**new))
                    changed += 1
        if len(rows) < _BATCH:
            break
        after = rows[-1].id
    if changed:
        day = start // DAY * DAY
        while day < end:  # a day per transaction: the digest writes meanwhile
            with db.write() as conn:
                rebuild(conn, project_id, day, day + DAY)
            day += DAY
    return changed


def _rate(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ActionError(f"{name}: a number of USD per 1M tokens")
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise ActionError(f"{name}: a number of USD per 1M tokens") from None
    if not rate.is_finite() or not 0 <= rate <= _MAX_RATE:
        raise ActionError(f"{name}: between 0 and {_MAX_RATE} USD per 1M tokens")
    return rate.normalize()
