"""A project's LLM prices: the bundled table with the project's own prices over it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, select

from heron.llm import Price, PriceTable
from heron.store import tables


def price_table(conn: Connection, project_id: int) -> PriceTable:
    """The prices the project's calls are costed at (its overrides win)."""
    overrides = project_prices(conn, project_id)
    bundled = PriceTable.bundled()
    return bundled.with_overrides(overrides) if overrides else bundled


def project_prices(conn: Connection, project_id: int) -> dict[str, Price]:
    t = tables.llm_prices
    rows = conn.execute(select(t).where(t.c.project_id == project_id).order_by(t.c.model))
    return {
        r.model: Price(
            input=Decimal(r.input),
            output=Decimal(r.output),
            cached_input=_rate(r.cached_input),
            cache_write=_rate(r.cache_write),
            reasoning=_rate(r.reasoning),
        )
        for r in rows
    }


def _rate(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None
