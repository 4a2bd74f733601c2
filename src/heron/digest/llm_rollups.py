"""LLM usage summed into ``llm_rollups``: per hour and per day, per environment, for every
call (dimension ``""``) and per value of each dimension (model, user, job…).

The digest adds the calls it stores for the first time; re-pricing rebuilds the days it
touched from ``llm_calls``. Both sum calls with :class:`LlmRollups`, so a rebuilt day holds
exactly what the digest would have written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from operator import add
from typing import Any

from sqlalchemy import Connection, delete, func, select

from heron.digest.merge import add_rows, locked_rows, write_back
from heron.rollup import DAY, HOUR, DurationSketch
from heron.store import tables

SIZES = (HOUR, DAY)
# The environment is a key of every row (pages filter on it), so the every-call rows also
# break usage down by environment.
DIMENSIONS = tables.LLM_DIMENSIONS
TOKENS = tables.LLM_TOKENS
KEYS = ("project_id", "dimension", "size", "bucket", "environment", "value")
COUNTERS = (
    "calls",
    "errors",
    *(f"{name}_tokens" for name in TOKENS),
    "usage_tokens",
    "unknown_tokens",
    "unpriced",
    "cost_usd",
    "cache_savings_usd",
    "duration_ms",
)
_COLUMNS = tuple(DIMENSIONS.values())
_VALUE = 300
_ENVIRONMENT = 64

Key = tuple[int, str, int, int, str, str]


class LlmRollups:
    """Sums of calls (``llm_calls`` rows, as mappings) by rollup key.

    Calls are summed into the hour rows of every call and of each of their values; the day
    rows are summed from those hour rows, which are far fewer than the calls.
    """

    def __init__(self) -> None:
        self._hours: dict[Key, list[float]] = {}
        self._sketches: dict[Key, tuple[DurationSketch, DurationSketch]] = {}

    def add(self, call: Mapping[Any, Any]) -> None:
        figures = _figures(call)
        environment = (call["environment"] or "")[:_ENVIRONMENT]
        project_id = int(call["project_id"])
        hour = int(call["timestamp"] // HOUR * HOUR)
        hours = self._hours
        every: Key = (project_id, "", HOUR, hour, environment, "")
        keys = [every]
        keys.extend(
            (project_id, dimension, HOUR, hour, environment, (call[column] or "")[:_VALUE])
            for dimension, column in DIMENSIONS.items()
        )
        for key in keys:
            found = hours.get(key)
            hours[key] = list(figures) if found is None else list(map(add, found, figures))
        sketches = self._sketches.get(every)
        if sketches is None:
            sketches = self._sketches[every] = (DurationSketch(), DurationSketch())
        sketches[0].add(max(float(call["duration_ms"]), 0.0))
        if call["ttft_ms"] is not None:
            sketches[1].add(max(float(call["ttft_ms"]), 0.0))

    @property
    def counters(self) -> dict[Key, list[float]]:
        """The sums by rollup key: the hour rows, and the day rows made of them."""
        found = dict(self._hours)
        for (project_id, dimension, _, hour, environment, value), figures in self._hours.items():
            key = (project_id, dimension, DAY, hour // DAY * DAY, environment, value)
            old = found.get(key)
            found[key] = list(figures) if old is None else list(map(add, old, figures))
        return found

    @property
    def sketches(self) -> dict[Key, tuple[DurationSketch, DurationSketch]]:
        """Duration and time-to-first-token sketches of the every-call rows, hours and days."""
        found = dict(self._sketches)
        for hour_key, (durations, ttfts) in self._sketches.items():
            project_id, _, _, hour, environment, _ = hour_key
            key = (project_id, "", DAY, hour // DAY * DAY, environment, "")
            day = found.get(key)
            if day is None:
                found[key] = (durations.copy(), ttfts.copy())
            else:
                day[0].merge(durations)
                day[1].merge(ttfts)
        return found

    def save(self, conn: Connection) -> None:
        """Add the sums to the stored rows (new rows for new keys)."""
        table = tables.llm_rollups
        add_rows(
            conn,
            table,
            KEYS,
            COUNTERS,
            [(*key, *values) for key, values in sorted(self.counters.items())],
        )
        sketches = self.sketches
        if not sketches:
            return
        keys = sorted(sketches)
        updates = []
        for *key, durations, ttfts in locked_rows(conn, table, KEYS, ("durations", "ttfts"), keys):
            new_durations, new_ttfts = sketches[tuple(key)]
            updates.append((_merged(durations, new_durations), _merged(ttfts, new_ttfts), *key))
        write_back(conn, table, KEYS, ("durations", "ttfts"), updates)


def _figures(call: Mapping[Any, Any]) -> list[float]:
    tokens = [call[f"{name}_tokens"] for name in TOKENS]
    inp, out, total = call["input_tokens"], call["output_tokens"], call["total_tokens"]
    unknown = inp is None or (out is None and call["operation"] != "embeddings")
    cost = call["cost_usd"]
    return [
        1,
        1 if call["status"] == "error" else 0,
        *(t or 0 for t in tokens),
        total if total is not None else (inp or 0) + (out or 0),
        1 if unknown else 0,
        1 if cost is None else 0,
        cost or 0.0,
        call["cache_savings_usd"] or 0.0,
        float(call["duration_ms"]),
    ]


def _merged(stored: bytes | None, new: DurationSketch) -> bytes:
    if stored is None:
        return new.to_bytes()
    sketch = DurationSketch.from_bytes(bytes(stored))
    sketch.merge(new)
    return sketch.to_bytes()


def add_calls(conn: Connection, calls: Iterable[Mapping[Any, Any]]) -> None:
    """Add calls just stored (each once: only calls new to ``llm_calls``)."""
    rollups = LlmRollups()
    for call in calls:
        rollups.add(call)
    rollups.save(conn)


def rebuild(conn: Connection, project_id: int, start: float, end: float) -> None:
    """Sum the project's days holding [start, end) anew from its calls (after re-pricing)."""
    first = int(start // DAY * DAY)
    last = int(math.ceil(end / DAY) * DAY)
    if conn.dialect.name == "postgresql":
        # Digest workers wait until the rebuilt rows are committed: a call stored meanwhile
        # is then either read here or added after, never both.
        conn.exec_driver_sql("LOCK TABLE llm_rollups IN EXCLUSIVE MODE")
    r = tables.llm_rollups.c
    conn.execute(
        delete(tables.llm_rollups).where(
            r.project_id == project_id, r.bucket >= first, r.bucket < last
        )
    )
    c = tables.llm_calls.c
    stmt = select(tables.llm_calls).where(
        c.project_id == project_id, c.timestamp >= first, c.timestamp < last
    )
    add_calls(conn, (row._mapping for row in conn.execute(stmt)))


def rebuild_all(conn: Connection) -> None:
    """Sum every project's calls anew (the upgrade that brought rollups)."""
    c = tables.llm_calls.c
    stmt = select(c.project_id, func.min(c.timestamp), func.max(c.timestamp)).group_by(c.project_id)
    for project_id, first, last in conn.execute(stmt).all():
        rebuild(conn, int(project_id), float(first), float(last) + 1)
