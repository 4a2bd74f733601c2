"""One handler per envelope item type; a new item type is a new entry in HANDLERS."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from heron.digest.events import PreparedEvent, prepare_event
from heron.digest.perf_issues import prepare_perf_events
from heron.digest.projects import DEFAULT, ProjectGrouping
from heron.inbox import InboxRow, OutcomeRecord
from heron.llm import ModelCall, model_calls
from heron.protocol import ITEM_CATEGORIES, Envelope, Item, category_of
from heron.rollup import Span, Transaction, from_span_v2_items, from_transaction_event, segments
from heron.store import pack_bytes


@dataclass
class Work:
    """What one batch will write, gathered before the write transaction opens."""

    events: list[PreparedEvent] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    raw_items: list[dict[str, Any]] = field(default_factory=list)
    # (project id, transaction) for the performance rollups (heron.digest.perf).
    transactions: list[tuple[int, Transaction]] = field(default_factory=list)
    # (transaction event id, event) for the performance issues found in those transactions:
    # detected with the rest of the CPU work, kept only for transactions not stored before.
    perf_events: list[tuple[str, PreparedEvent]] = field(default_factory=list)
    # Span-v2 children that came without their segment, and the (project id, event id) of
    # the segments that came as span-v2: heron.digest.streamed joins the two.
    loose_spans: list[tuple[int, Span]] = field(default_factory=list)
    streamed_segments: set[tuple[int, str]] = field(default_factory=set)
    outcomes: list[OutcomeRecord] = field(default_factory=list)
    # (project id, model call) found in those transactions' AI spans (heron.llm): like the
    # performance issues, kept only for transactions not stored before.
    llm_calls: list[tuple[int, ModelCall]] = field(default_factory=list)
    # Input, not output: the grouping settings of the row's project.
    grouping: ProjectGrouping = DEFAULT

    def extend(self, other: Work) -> None:
        self.events += other.events
        self.attachments += other.attachments
        self.raw_items += other.raw_items
        self.transactions += other.transactions
        self.perf_events += other.perf_events
        self.loose_spans += other.loose_spans
        self.streamed_segments |= other.streamed_segments
        self.outcomes += other.outcomes
        self.llm_calls += other.llm_calls


Handler = Callable[[Work, InboxRow, Envelope, Item], None]


def _outcome(
    row: InboxRow, outcome: str, category: str, reason: str, qty: int = 1
) -> OutcomeRecord:
    return OutcomeRecord(row.project_id, outcome, category, reason, qty, row.received_at)


def handle_event(work: Work, row: InboxRow, envelope: Envelope, item: Item) -> None:
    raw = orjson.loads(item.payload)
    if not isinstance(raw, dict):
        work.outcomes.append(_outcome(row, "invalid", category_of(item.type), "invalid_json"))
        return
    header_id = envelope.headers.get("event_id")
    work.events.append(
        prepare_event(
            raw,
            project_id=row.project_id,
            received_at=row.received_at,
            client_ip=row.client_ip,
            event_id=header_id if isinstance(header_id, str) else None,
            grouping_config=work.grouping.primary,
            secondary_config=work.grouping.secondary,
        )
    )
    work.outcomes.append(_outcome(row, "accepted", "error", ""))


def handle_attachment(work: Work, row: InboxRow, envelope: Envelope, item: Item) -> None:
    event_id = envelope.headers.get("event_id")
    if not isinstance(event_id, str):
        work.outcomes.append(_outcome(row, "invalid", "attachment", "missing_event_id"))
        return
    work.attachments.append(
        {
            "project_id": row.project_id,
            "event_id": event_id.replace("-", "").lower(),
            "filename": str(item.headers.get("filename") or "attachment")[:500],
            "content_type": _opt_str(item.headers.get("content_type")),
            "attachment_type": str(item.headers.get("attachment_type") or "event.attachment"),
            "size": len(item.payload),
            "data": pack_bytes(item.payload),
            "received_at": row.received_at,
        }
    )
    work.outcomes.append(_outcome(row, "accepted", "attachment", ""))


def handle_client_report(work: Work, row: InboxRow, envelope: Envelope, item: Item) -> None:
    report = orjson.loads(item.payload)
    if not isinstance(report, dict):
        return
    for key in (
        "discarded_events",
        "rate_limited_events",
        "filtered_events",
        "filtered_sampling_events",
    ):
        entries = report.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            quantity = entry.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                continue
            work.outcomes.append(
                _outcome(
                    row,
                    "client_discard",
                    str(entry.get("category") or "default")[:32],
                    str(entry.get("reason") or "unknown")[:64],
                    quantity,
                )
            )


def handle_kept_raw(
    work: Work, row: InboxRow, envelope: Envelope, item: Item, trace_id: str | None = None
) -> None:
    """Item types a later stage processes (transactions, spans, sessions…): keep them raw.

    A profile keeps the envelope's event id, which is its transaction's: that links them.
    """
    event_id = envelope.headers.get("event_id") if item.type in ("transaction", "profile") else None
    work.raw_items.append(
        {
            "project_id": row.project_id,
            "type": item.type[:64],
            "event_id": event_id.replace("-", "").lower()[:32]
            if isinstance(event_id, str)
            else None,
            "trace_id": trace_id,
            "received_at": row.received_at,
            "headers": orjson.dumps(item.headers).decode(),
            "payload": pack_bytes(item.payload),
        }
    )
    work.outcomes.append(_outcome(row, "accepted", category_of(item.type), ""))


def handle_transaction(work: Work, row: InboxRow, envelope: Envelope, item: Item) -> None:
    """Kept raw (the trace view and reprocessing read it) and turned into performance data."""
    raw = orjson.loads(item.payload)
    txn = None
    if isinstance(raw, dict):
        if not raw.get("event_id") and isinstance(envelope.headers.get("event_id"), str):
            raw["event_id"] = envelope.headers["event_id"]
        # Not a transaction after all: kept raw, counted as accepted.
        with contextlib.suppress(ValueError):
            txn = from_transaction_event(raw)
    handle_kept_raw(work, row, envelope, item, _trace_id(txn.trace_id) if txn else None)
    if txn is not None and txn.event_id:
        _add_transactions(work, row, [txn])


def handle_spans(work: Work, row: InboxRow, envelope: Envelope, item: Item) -> None:
    """Span-v2 containers: kept raw; segments become transactions with their children.

    Children whose segment span is not in the same item are joined to it later
    (heron.digest.streamed); the trace view shows them either way (it reads raw items).
    """
    payload = orjson.loads(item.payload)
    spans = []
    if isinstance(payload, dict):
        try:
            spans = from_span_v2_items(payload)
        except ValueError:
            spans = []
    traces = {s.trace_id for s in spans}
    handle_kept_raw(
        work, row, envelope, item, _trace_id(traces.pop()) if len(traces) == 1 else None
    )
    found = segments(spans)
    _add_transactions(work, row, found)
    here = {(t.trace_id, t.span_id) for t in found}
    work.streamed_segments.update((row.project_id, t.event_id) for t in found)
    work.loose_spans.extend(
        (row.project_id, s)
        for s in spans
        if not s.is_segment and s.segment_id and (s.trace_id, s.segment_id) not in here
    )


def _add_transactions(work: Work, row: InboxRow, transactions: list[Transaction]) -> None:
    work.transactions.extend((row.project_id, txn) for txn in transactions)


def finish_envelope(work: Work, row: InboxRow) -> None:
    """Once every item of the envelope is read: its span-v2 children join its transactions
    (current SDKs send AI spans as a span-v2 item beside the transaction), then each
    transaction is searched for performance problems and model calls.

    Done here, with the rest of the CPU work (in a worker process when there is a pool), so
    the one writer only joins spans that came in other envelopes (heron.digest.streamed).
    """
    if work.loose_spans and work.transactions:
        _join_children(work)
    for project_id, txn in work.transactions:
        for event in prepare_perf_events(project_id, [txn], received_at=row.received_at):
            work.perf_events.append((txn.event_id, event))
        work.llm_calls.extend((project_id, call) for call in model_calls(txn))
        # Normalized now, the spans' descriptions are ready when the writer rolls them up.
        for span in txn.spans:
            span.normalized_description  # noqa: B018  (a property that keeps its value)


def _join_children(work: Work) -> None:
    """Loose span-v2 children of the envelope's own transactions join them (new span ids
    only, in start order); the others stay loose for the writer."""
    index = {(p, t.trace_id, t.span_id): i for i, (p, t) in enumerate(work.transactions)}
    children: dict[int, list[Span]] = {}
    loose = []
    for project_id, span in work.loose_spans:
        found = index.get((project_id, span.trace_id, span.segment_id or ""))
        if found is None:
            loose.append((project_id, span))
        else:
            children.setdefault(found, []).append(span)
    for i, spans in children.items():
        project_id, txn = work.transactions[i]
        known = {s.span_id for s in txn.spans} | {txn.span_id}
        new = {s.span_id: s for s in spans if s.span_id not in known}
        if new:
            joined = tuple(sorted((*txn.spans, *new.values()), key=lambda s: s.start))
            work.transactions[i] = (project_id, replace(txn, spans=joined))
    work.loose_spans = loose


def handle_unknown(work: Work, row: InboxRow, envelope: Envelope, item: Item) -> None:
    work.outcomes.append(_outcome(row, "dropped", "default", "unknown_item_type"))


def _trace_id(value: str) -> str | None:
    value = value.replace("-", "").lower()
    return value if len(value) == 32 else None


def _opt_str(value: Any) -> str | None:
    return str(value)[:200] if isinstance(value, str) else None


HANDLERS: dict[str, Handler] = {
    "event": handle_event,
    "attachment": handle_attachment,
    "client_report": handle_client_report,
    "transaction": handle_transaction,
    "span": handle_spans,
}
for _type in ITEM_CATEGORIES:
    HANDLERS.setdefault(_type, handle_kept_raw)


def handler_for(item_type: str) -> Handler:
    return HANDLERS.get(item_type, handle_unknown)
