"""A trace as people read it: every transaction and span, as a tree, with the errors in it.

Transactions come from ``transactions``; their spans are rebuilt from the raw items the digest
kept (``stored_items`` with the trace's id: transaction events and span-v2 containers, so spans
that arrived without their segment still show); errors from ``events`` with the trace's id.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from sqlalchemy import Connection, select

from heron.query.models import base36
from heron.query.transactions import (
    TransactionEvent,
    profiled_events,
    transaction_event_from_row,
)
from heron.rollup import Span, from_span_v2_items, from_transaction_event
from heron.store import Database, tables, unpack, unpack_bytes

MAX_SPANS = 5000  # a page cannot show more; the rest are counted in Trace.dropped

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class TraceError:
    event_id: str
    issue_id: int | None
    short_id: str
    title: str
    level: str
    project_id: int
    timestamp: float
    span_id: str | None
    trace_id: str = ""


@dataclass(frozen=True, slots=True)
class TraceSpan:
    span_id: str
    parent_span_id: str | None
    op: str
    description: str
    status: str
    start: float
    end: float
    duration_ms: float
    depth: int
    event_id: str | None  # the transaction (segment) this span belongs to
    project_id: int
    is_segment: bool


@dataclass(frozen=True, slots=True)
class Trace:
    trace_id: str
    start: float
    end: float
    duration_ms: float
    transactions: list[TransactionEvent]
    spans: list[TraceSpan]  # depth-first, children by start time
    errors: list[TraceError]
    dropped: int = 0
    # Occurrences of performance issues (N+1 queries, …) found in the trace's transactions.
    performance_issues: list[TraceError] = field(default_factory=list)


def normalize_trace_id(value: str) -> str | None:
    value = value.replace("-", "").lower()
    return value if _TRACE_ID.match(value) else None


def get_trace(db: Database, project_ids: Sequence[int], trace_id: str) -> Trace | None:
    """The trace as seen from ``project_ids``; None when it is unknown there."""
    tid = normalize_trace_id(trace_id)
    if tid is None or not project_ids:
        return None
    ids = sorted(set(project_ids))
    t = tables.transactions
    with db.read() as conn:
        rows = list(
            conn.execute(
                select(t)
                .where(t.c.trace_id == tid, t.c.project_id.in_(ids))
                .order_by(t.c.timestamp)
            )
        )
        profiled = profiled_events(conn, [(int(r.project_id), r.event_id) for r in rows])
        transactions = [
            transaction_event_from_row(r, (int(r.project_id), r.event_id) in profiled) for r in rows
        ]
        spans = _raw_spans(conn, ids, tid, transactions)
        errors, problems = _errors(conn, ids, [tid])
    if not transactions and not spans and not errors:
        return None
    ordered, dropped = _tree(spans)
    times = [s.start for s in ordered] + [s.end for s in ordered] + [e.timestamp for e in errors]
    start, end = (min(times), max(times)) if times else (0.0, 0.0)
    return Trace(
        tid, start, end, (end - start) * 1000, transactions, ordered, errors, dropped, problems
    )


def _raw_spans(
    conn: Connection, project_ids: list[int], trace_id: str, transactions: list[TransactionEvent]
) -> dict[str, TraceSpan]:
    """Every span of the trace by span id, with each segment's own span."""
    s = tables.stored_items
    segment_events = {(t.project_id, t.span_id): t.event_id for t in transactions}
    found: dict[str, TraceSpan] = {}
    stmt = select(s.c.project_id, s.c.type, s.c.payload).where(
        s.c.trace_id == trace_id,
        s.c.project_id.in_(project_ids),
        s.c.type.in_(("transaction", "span")),
    )
    for project_id, kind, payload in conn.execute(stmt):
        pid = int(project_id)
        try:
            raw = orjson.loads(unpack_bytes(payload))
        except (orjson.JSONDecodeError, ValueError):
            continue  # kept raw but unreadable: the transaction row still shows
        if not isinstance(raw, dict):
            continue
        for span, event_id in _spans_of(kind, raw, pid, segment_events):
            if span.trace_id == trace_id and span.span_id not in found:
                found[span.span_id] = _trace_span(span, event_id, pid)
    # Transactions whose raw item is gone still show as one bar.
    for txn in transactions:
        if txn.span_id not in found:
            found[txn.span_id] = TraceSpan(
                txn.span_id,
                None,
                txn.op,
                txn.name,
                txn.status,
                txn.timestamp - txn.duration_ms / 1000,
                txn.timestamp,
                txn.duration_ms,
                0,
                txn.event_id,
                txn.project_id,
                True,
            )
    return found


def _spans_of(
    kind: str, raw: dict[str, Any], project_id: int, segment_events: dict[tuple[int, str], str]
) -> Iterable[tuple[Span, str | None]]:
    if kind == "transaction":
        try:
            txn = from_transaction_event(raw)
        except ValueError:
            return
        root = Span(
            trace_id=txn.trace_id,
            span_id=txn.span_id,
            parent_span_id=txn.parent_span_id,
            segment_id=txn.span_id,
            op=txn.op,
            description=txn.name,
            status=txn.status,
            start=txn.start,
            end=txn.end,
            duration_ms=txn.duration_ms,
            is_segment=True,
            transaction=txn.name,
        )
        event_id = segment_events.get((project_id, txn.span_id), txn.event_id or None)
        yield root, event_id
        for span in txn.spans:
            yield span, event_id
        return
    try:
        spans = from_span_v2_items(raw)
    except ValueError:
        return
    for span in spans:
        segment = span.span_id if span.is_segment else span.segment_id
        yield span, segment_events.get((project_id, segment)) if segment else None


def _trace_span(span: Span, event_id: str | None, project_id: int) -> TraceSpan:
    return TraceSpan(
        span.span_id,
        span.parent_span_id,
        span.op,
        span.description,
        span.status,
        span.start,
        span.end,
        span.duration_ms,
        0,
        event_id,
        project_id,
        span.is_segment,
    )


def _tree(spans: dict[str, TraceSpan]) -> tuple[list[TraceSpan], int]:
    """Depth-first order with depths; spans whose parent is not in the trace are roots."""
    children: dict[str | None, list[TraceSpan]] = defaultdict(list)
    for span in spans.values():
        parent = span.parent_span_id if span.parent_span_id in spans else None
        children[parent].append(span)
    for siblings in children.values():
        siblings.sort(key=lambda s: (s.start, s.span_id))
    ordered: list[TraceSpan] = []
    stack = [(root, 0) for root in reversed(children[None])]
    seen: set[str] = set()
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        if len(ordered) < MAX_SPANS:
            ordered.append(_at_depth(span, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(span.span_id, [])))
    # A cycle of parents (bad input) leaves spans unreached: show them as roots.
    for span in sorted(spans.values(), key=lambda s: (s.start, s.span_id)):
        if span.span_id not in seen and len(ordered) < MAX_SPANS:
            seen.add(span.span_id)
            ordered.append(_at_depth(span, 0))
    return ordered, len(spans) - len(ordered)


def _at_depth(span: TraceSpan, depth: int) -> TraceSpan:
    return replace(span, depth=depth)


def trace_errors(
    db: Database, project_ids: Sequence[int], trace_ids: Sequence[str]
) -> list[TraceError]:
    """The error events of these traces (not their performance problems), oldest first."""
    if not trace_ids:
        return []
    with db.read() as conn:
        return _errors(conn, list(project_ids), sorted(set(trace_ids)))[0]


def _errors(
    conn: Connection, project_ids: list[int], trace_ids: list[str]
) -> tuple[list[TraceError], list[TraceError]]:
    """The traces' error events, and their performance issue occurrences."""
    e, i, p = tables.events, tables.issues, tables.projects
    stmt = (
        select(
            e.c.event_id,
            e.c.issue_id,
            e.c.title,
            e.c.level,
            e.c.project_id,
            e.c.timestamp,
            e.c.data,
            e.c.trace_id,
            i.c.short_id,
            i.c.type.label("issue_type"),
            p.c.slug,
        )
        .outerjoin(i, i.c.id == e.c.issue_id)
        .join(p, p.c.id == e.c.project_id)
        .where(e.c.trace_id.in_(trace_ids), e.c.project_id.in_(project_ids))
        .order_by(e.c.timestamp)
        .limit(500)
    )
    errors: list[TraceError] = []
    problems: list[TraceError] = []
    for row in conn.execute(stmt):
        short = f"{row.slug.upper()}-{base36(int(row.short_id))}" if row.short_id else ""
        found = problems if (row.issue_type or "").startswith("performance_") else errors
        found.append(
            TraceError(
                row.event_id,
                int(row.issue_id) if row.issue_id is not None else None,
                short,
                row.title,
                row.level,
                int(row.project_id),
                float(row.timestamp),
                _span_id(row.data),
                row.trace_id or "",
            )
        )
    return errors, problems


def _span_id(data: bytes) -> str | None:
    """The span the error happened in (``contexts.trace.span_id``)."""
    try:
        event = unpack(data)
    except ValueError:
        return None
    contexts = event.get("contexts") if isinstance(event, dict) else None
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    span_id = trace.get("span_id") if isinstance(trace, dict) else None
    return span_id if isinstance(span_id, str) else None


def profile_of(db: Database, project_id: int, event_id: str) -> bytes | None:
    """The raw profile of a transaction (JSON bytes), if one arrived with it."""
    s = tables.stored_items
    eid = event_id.replace("-", "").lower()
    stmt = (
        select(s.c.payload)
        .where(s.c.project_id == project_id, s.c.event_id == eid, s.c.type == "profile")
        .limit(1)
    )
    with db.read() as conn:
        payload = conn.execute(stmt).scalar()
    return unpack_bytes(payload) if payload is not None else None
