"""Span groups (op + normalized description) over a scope: their figures, and where the time
goes by op. Span rollups are kept per transaction name, not per environment or release, so
those two filters do not narrow these figures; and by the hour, so ranges widen to whole
hours."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.sql.elements import ColumnElement

from heron.query.performance import PerfScope, tiles_clause
from heron.rollup import HOUR, DurationSketch
from heron.store import Database, tables

_sr = tables.span_rollups


@dataclass(frozen=True, slots=True)
class SpanGroupFigures:
    transaction: str
    op: str
    group: str
    description: str
    count: int
    total_ms: float
    avg_ms: float | None
    p50_ms: float | None
    p75_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True, slots=True)
class SpanOpFigures:
    op: str
    count: int
    total_ms: float
    share: float  # of the time of all spans in the scope


def span_groups(db: Database, scope: PerfScope, *, limit: int = 50) -> list[SpanGroupFigures]:
    """Span groups (op + normalized description) by total time, most first."""
    start, end = scope.aligned()
    merged: dict[tuple[str, str, str], tuple[list[int], DurationSketch, str]] = {}
    with db.read() as conn:
        for txn, op, group, description, count, data in _span_rows(conn, scope, start, end):
            key = (txn, op, group)
            known = merged.get(key)
            sketch = DurationSketch.from_bytes(bytes(data))
            if known is None:
                merged[key] = ([int(count)], sketch, description)
            else:
                known[0][0] += int(count)
                known[1].merge(sketch)
    result = []
    for (txn, op, group), (count, sketch, description) in merged.items():
        p50, p75, p95, p99 = sketch.quantiles([0.5, 0.75, 0.95, 0.99])
        avg = sketch.sum / sketch.count if sketch.count else None
        result.append(
            SpanGroupFigures(
                txn, op, group, description, count[0], sketch.sum, avg, p50, p75, p95, p99
            )
        )
    result.sort(key=lambda g: (-g.total_ms, g.op, g.description))
    return result[:limit]


def _span_where(scope: PerfScope) -> list[ColumnElement[bool]]:
    """Span rows have no environment or release: those filters do not narrow them."""
    where: list[ColumnElement[bool]] = [_sr.c.project_id.in_(scope.project_ids)]
    if scope.transaction is not None:
        where.append(_sr.c.transaction == scope.transaction)
    return where


def _span_rows(conn: Connection, scope: PerfScope, start: int, end: int) -> Iterator[Any]:
    if not scope.project_ids:
        return iter(())
    stmt = select(
        _sr.c.transaction, _sr.c.op, _sr.c.group, _sr.c.description, _sr.c.count, _sr.c.durations
    ).where(*_span_where(scope), tiles_clause(_sr, scope.pieces(finest=HOUR)))
    return iter(conn.execute(stmt))


def span_ops(db: Database, scope: PerfScope) -> list[SpanOpFigures]:
    """Time spent per span op, with its share of all span time; most first."""
    start, end = scope.aligned()
    counts: dict[str, int] = defaultdict(int)
    totals: dict[str, float] = defaultdict(float)
    with db.read() as conn:
        for _txn, op, _group, _desc, count, data in _span_rows(conn, scope, start, end):
            counts[op] += int(count)
            totals[op] += DurationSketch.from_bytes(bytes(data)).sum
    overall = sum(totals.values())
    result = [
        SpanOpFigures(op, counts[op], totals[op], totals[op] / overall if overall else 0.0)
        for op in counts
    ]
    result.sort(key=lambda o: (-o.total_ms, o.op))
    return result
