"""Budget thresholds crossed: recorded once per budget, period and threshold (the alerts
issue delivers them; until then the budget's status and page show them)."""

from __future__ import annotations

import time

from heron.query.llm_budgets import budget_status, list_budgets
from heron.store import Database, tables, upsert


def check_budgets(db: Database, now: float | None = None) -> int:
    """Record the thresholds every budget has reached in its current period; returns how
    many were new."""
    now = time.time() if now is None else now
    budgets = list_budgets(db)
    if not budgets:
        return 0
    recorded = 0
    with db.write() as conn:
        for budget in budgets:
            status = budget_status(conn, budget, now)
            reached = [
                t for t in budget.thresholds if status.percent >= t and t not in status.crossed
            ]
            if reached:
                upsert(
                    conn,
                    tables.llm_budget_events,
                    [
                        {
                            "budget_id": budget.id,
                            "project_id": budget.project_id,
                            "period_start": status.period_start,
                            "threshold": t,
                            "spent": status.spent,
                            "crossed_at": now,
                        }
                        for t in reached
                    ],
                    keys=("budget_id", "period_start", "threshold"),
                )
                recorded += len(reached)
    return recorded
