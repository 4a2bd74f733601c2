"""Model calls into ``llm_calls``: one row per call, priced when it is stored.

Each project says which tags name a call's job and channel, and whether the text of prompts
and responses is kept (by default only their lengths are).

The calls are found where the rest of a transaction's CPU work is done (``items``, in a
prepare process when there is a pool); only the calls of transactions stored for the first
time are kept, so a replayed batch adds none twice (and the unique key says the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from heron.digest.llm_rollups import add_calls
from heron.digest.merge import insert_new
from heron.digest.rollups import short
from heron.llm import ModelCall, PriceTable, model_name, price_call
from heron.store import tables
from heron.store.llm_prices import price_table

# Token counts beyond this are garbage, not usage (and would not fit the columns).
_MAX_TOKENS = 1 << 53
_KEYS = ("project_id", "trace_id", "span_id")
# A kept prompt or response is cut to this many characters.
MAX_TEXT = 100_000


@dataclass(frozen=True, slots=True)
class _Project:
    prices: PriceTable
    job_tag: str = "job_id"
    channel_tag: str = "channel"
    store_prompts: bool = False


def _project(conn: Connection, project_id: int) -> _Project:
    p = tables.projects.c
    row = conn.execute(
        select(p.llm_job_tag, p.llm_channel_tag, p.llm_store_prompts).where(p.id == project_id)
    ).first()
    prices = price_table(conn, project_id)
    if row is None:
        return _Project(prices)
    return _Project(prices, row.llm_job_tag, row.llm_channel_tag, bool(row.llm_store_prompts))


def save_llm_calls(conn: Connection, calls: Sequence[tuple[int, ModelCall]]) -> int:
    """Store the (project id, call) pairs not stored before, priced at each project's
    prices; returns how many were given."""
    if not calls:
        return 0
    projects: dict[int, _Project] = {}
    rows = []
    for project_id, call in calls:
        if project_id not in projects:
            projects[project_id] = _project(conn, project_id)
        rows.append(_row(project_id, call, projects[project_id]))
    # Calls stored before (a replayed batch, an SDK's retry) are neither stored nor summed
    # again: the rollups get exactly the rows inserted.
    values = [name for name in rows[0] if name not in _KEYS]
    inserted = insert_new(
        conn,
        tables.llm_calls,
        _KEYS,
        values,
        [tuple(row[name] for name in (*_KEYS, *values)) for row in rows],
    )
    add_calls(conn, (r for r in rows if (r["project_id"], r["trace_id"], r["span_id"]) in inserted))
    return len(rows)


def _row(project_id: int, call: ModelCall, project: _Project) -> dict[str, Any]:
    cost = price_call(call, project.prices)
    keep = project.store_prompts
    return {
        "project_id": project_id,
        "event_id": call.event_id[:32],
        "trace_id": call.trace_id[:32],
        "span_id": call.span_id[:32],
        "timestamp": call.timestamp,
        "duration_ms": call.duration_ms,
        "status": call.status[:16],
        "operation": call.operation[:64],
        "provider": short(call.provider, 64),
        "request_model": short(call.request_model, 200),
        "response_model": short(call.response_model, 200),
        "model": model_name(call, project.prices)[:200],
        "streaming": call.streaming,
        "ttft_ms": call.ttft_ms,
        "input_tokens": _tokens(call.input_tokens),
        "cache_read_tokens": _tokens(call.cache_read_tokens),
        "cache_write_tokens": _tokens(call.cache_write_tokens),
        "output_tokens": _tokens(call.output_tokens),
        "reasoning_tokens": _tokens(call.reasoning_tokens),
        "total_tokens": _tokens(call.total_tokens),
        "cost_usd": float(cost.total) if cost is not None else None,
        "cache_savings_usd": float(cost.cache_savings) if cost is not None else None,
        "price_version": cost.price_version[:64] if cost is not None else None,
        "transaction": call.transaction[:200],
        "environment": (call.environment or "")[:64],
        "release": (call.release or "")[:250],
        "user_key": short(call.user, 300),
        "job_id": short(call.tags.get(project.job_tag), 200),
        "channel": short(call.tags.get(project.channel_tag), 200),
        "agent_name": short(call.agent_name, 200),
        "conversation_id": short(call.conversation_id, 200),
        "prompt_chars": call.prompt_chars,
        "response_chars": call.response_chars,
        "prompt": call.prompt[:MAX_TEXT] if keep and call.prompt is not None else None,
        "response": call.response[:MAX_TEXT] if keep and call.response is not None else None,
        "source": call.source[:16],
    }


def _tokens(value: int | None) -> int | None:
    return value if value is not None and 0 <= value < _MAX_TOKENS else None
