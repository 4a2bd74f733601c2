"""Streamed spans: a segment's spans may arrive in several envelopes.

With span streaming (Python's ``trace_lifecycle="stream"``) the SDK flushes finished spans
in batches, so a long request's children can be sent before its segment span, and a child
that ends after its segment after it. Every span item is kept raw with its trace id; here
the spans that came without their segment are joined to it:

* children and their segment in the same batch: joined in memory;
* children that came in an earlier batch: read back from the raw items of the segment's
  trace (one query per batch, only when the batch has span-v2 segments);
* children that come after their segment was stored: added to the span rollups of that
  transaction (its counts and duration are already final); model calls among them are
  attributed to it (its name, user, tags…, read back from its raw item) and stored.

Whatever stays unjoined is still shown by the trace view, which reads the raw items.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

import orjson
from sqlalchemy import Connection, select

from heron.digest.events import PreparedEvent
from heron.digest.items import Work
from heron.digest.llm import save_llm_calls
from heron.digest.perf import save_late_spans
from heron.digest.perf_issues import prepare_perf_events
from heron.llm import MODEL_CALL, ModelCall, classify, model_calls
from heron.rollup import Span, Transaction, from_span_v2_items, from_transaction_event, segments
from heron.store import tables, unpack_bytes

# How far back earlier children are looked for: longer than any request worth a segment.
WINDOW = 3600.0

SegmentKey = tuple[int, str, str]  # project id, trace id, segment span id


def join_streamed_spans(conn: Connection, work: Work) -> None:
    """Give the batch's span-v2 segments the children that came apart from them, and fold
    children whose segment was stored earlier into its span rollups. Call before the
    batch's own raw items are written."""
    loose: dict[SegmentKey, list[Span]] = defaultdict(list)
    for project_id, span in work.loose_spans:
        if span.segment_id:
            loose[(project_id, span.trace_id, span.segment_id)].append(span)
    wanted = {
        (project_id, txn.trace_id, txn.span_id): index
        for index, (project_id, txn) in enumerate(work.transactions)
        if (project_id, txn.event_id) in work.streamed_segments
    }
    if not wanted and not loose:
        return
    found: dict[SegmentKey, list[Span]] = defaultdict(list)
    for key in wanted:
        found[key].extend(loose.pop(key, []))
    if loose:
        # Children of a classic transaction of this batch: the AI spans current SDKs send
        # as a span-v2 item beside the transaction, in the same envelope.
        for index, (project_id, txn) in enumerate(work.transactions):
            key = (project_id, txn.trace_id, txn.span_id)
            if key in loose:
                wanted.setdefault(key, index)
                found[key].extend(loose.pop(key))
    for key, spans in _earlier_children(conn, wanted).items():
        found[key].extend(spans)
    redone = _Redone(work)
    for key, spans in found.items():
        if spans:
            _adopt(work, wanted[key], spans, redone)
    redone.apply(work)
    if loose:
        _fold_late(conn, loose)


class _Redone:
    """The performance problems and model calls of the batch's adopted transactions, kept
    apart and put into the work once: redone in the work's lists per transaction, the
    adoptions of a batch would cost the square of its size."""

    def __init__(self, work: Work) -> None:
        self._received: dict[str, float] = {}
        for txn_id, event in work.perf_events:
            self._received.setdefault(txn_id, event.received_at)
        self.perf: dict[str, list[PreparedEvent]] = {}
        self.calls: dict[tuple[int, str], list[ModelCall]] = {}

    def received_at(self, txn_id: str) -> float | None:
        """When the transaction came, from the first of its problems found so far."""
        if txn_id in self.perf:
            events = self.perf[txn_id]
            return events[0].received_at if events else None
        return self._received.get(txn_id)

    def redo(
        self, txn_id: str, events: list[PreparedEvent], key: tuple[int, str], calls: list[ModelCall]
    ) -> None:
        """Replace the transaction's problems and calls; the latest go last, as appended."""
        self.perf.pop(txn_id, None)
        self.perf[txn_id] = events
        self.calls.pop(key, None)
        self.calls[key] = calls

    def apply(self, work: Work) -> None:
        """Swap the redone problems and calls into the work, in one pass over each list."""
        if self.perf:
            work.perf_events = [(t, e) for t, e in work.perf_events if t not in self.perf]
            work.perf_events.extend((t, e) for t, events in self.perf.items() for e in events)
        if self.calls:
            work.llm_calls = [
                (p, c) for p, c in work.llm_calls if (p, c.event_id) not in self.calls
            ]
            work.llm_calls.extend((k[0], c) for k, calls in self.calls.items() for c in calls)


def _adopt(work: Work, index: int, children: list[Span], redone: _Redone) -> None:
    """Add ``children`` (new span ids only) to the transaction and redo its problems."""
    project_id, txn = work.transactions[index]
    known = {s.span_id for s in txn.spans} | {txn.span_id}
    new = {s.span_id: s for s in children if s.span_id not in known}
    if not new:
        return
    spans = tuple(sorted((*txn.spans, *new.values()), key=lambda s: s.start))
    joined = replace(txn, spans=spans)
    work.transactions[index] = (project_id, joined)
    received = redone.received_at(txn.event_id)
    events = prepare_perf_events(project_id, [joined], received_at=received or time.time())
    # Its AI spans may be among the children (current SDKs send them beside the transaction).
    redone.redo(txn.event_id, events, (project_id, txn.event_id), model_calls(joined))


def _earlier_children(
    conn: Connection, segments: Iterable[SegmentKey]
) -> dict[SegmentKey, list[Span]]:
    """Children of ``segments`` kept raw by earlier batches."""
    by_project: dict[int, set[str]] = defaultdict(set)
    wanted = set(segments)
    for project_id, trace_id, _span_id in wanted:
        by_project[project_id].add(trace_id)
    s = tables.stored_items
    found: dict[SegmentKey, list[Span]] = defaultdict(list)
    since = time.time() - WINDOW
    for project_id, traces in sorted(by_project.items()):
        ordered = sorted(traces)
        for start in range(0, len(ordered), 500):
            stmt = select(s.c.payload).where(
                s.c.project_id == project_id,
                s.c.type == "span",
                s.c.trace_id.in_(ordered[start : start + 500]),
                s.c.received_at >= since,
            )
            for (payload,) in conn.execute(stmt):
                for span in _spans(payload):
                    key = (project_id, span.trace_id, span.segment_id or "")
                    if not span.is_segment and key in wanted:
                        found[key].append(span)
    return found


def _spans(payload: bytes) -> list[Span]:
    try:
        raw = orjson.loads(unpack_bytes(payload))
        return from_span_v2_items(raw)
    except ValueError:
        return []  # unreadable raw items only lose their own spans


def _fold_late(conn: Connection, loose: dict[SegmentKey, list[Span]]) -> None:
    """Children whose segment's transaction is already stored join its span rollups.

    Found by trace and span id, so children of a span-v2 segment and of a classic
    transaction event (whose event id is not derived from its span ids) are found alike.
    """
    t = tables.transactions
    by_project: dict[int, dict[tuple[str, str], list[Span]]] = defaultdict(dict)
    for (project_id, trace_id, segment_id), spans in loose.items():
        by_project[project_id][(trace_id, segment_id)] = spans
    for project_id, by_segment in sorted(by_project.items()):
        traces = sorted({trace_id for trace_id, _ in by_segment})
        late: list[tuple[str, float, list[Span]]] = []
        calls: list[tuple[int, ModelCall]] = []
        for start in range(0, len(traces), 500):
            stmt = select(t.c.event_id, t.c.trace_id, t.c.span_id, t.c.name, t.c.timestamp).where(
                t.c.project_id == project_id, t.c.trace_id.in_(traces[start : start + 500])
            )
            for event_id, trace_id, span_id, name, end in conn.execute(stmt):
                spans = by_segment.pop((trace_id, span_id), [])
                if spans:  # a segment stored twice is folded into once
                    late.append((name, float(end), spans))
                if any(classify(s) == MODEL_CALL for s in spans):
                    segment = _stored_segment(conn, project_id, event_id, trace_id, span_id)
                    if segment is not None:
                        joined = replace(segment, spans=tuple(spans))
                        calls.extend((project_id, call) for call in model_calls(joined))
        if late:
            save_late_spans(conn, project_id, late)
        # Stored at most once (the calls' trace and span ids are unique), as replays need.
        save_llm_calls(conn, calls)


def _stored_segment(
    conn: Connection, project_id: int, event_id: str, trace_id: str, span_id: str
) -> Transaction | None:
    """A stored transaction as it came (its raw transaction event, or the span-v2 item with
    its segment span), without the children it had then."""
    s = tables.stored_items
    row = conn.execute(
        select(s.c.payload)
        .where(s.c.project_id == project_id, s.c.type == "transaction", s.c.event_id == event_id)
        .limit(1)
    ).first()
    if row is not None:
        with contextlib.suppress(ValueError):
            raw = orjson.loads(unpack_bytes(row.payload))
            if isinstance(raw, dict):
                raw.setdefault("event_id", event_id)
                return replace(from_transaction_event(raw), spans=())
    stmt = select(s.c.payload).where(
        s.c.project_id == project_id, s.c.type == "span", s.c.trace_id == trace_id
    )
    for (payload,) in conn.execute(stmt):
        for segment in segments(_spans(payload)):
            if segment.span_id == span_id:
                return replace(segment, spans=())
    return None
