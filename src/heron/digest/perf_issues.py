"""Performance problems (N+1 queries, slow queries, …) as issues, through the error path.

Each :class:`heron.rollup.Finding` in a transaction becomes one :class:`PreparedEvent`, so
:func:`heron.digest.events.save_events` creates, counts, regresses and ignores performance
issues exactly like error issues. The event is the transaction seen from the problem: the
transaction's trace context and tags plus a ``perf_problem`` object with the evidence.

Pure: no database. The event id derives from the transaction's event id and the
fingerprint, so a transaction digested twice yields the same events and is counted once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from heron.digest.events import PreparedEvent
from heron.rollup import Finding, Span, Thresholds, Transaction, detect
from heron.store import pack

STRATEGY = "performance:1"
# Error hashes are bare hex: the prefix keeps the two kinds of issue apart forever.
HASH_PREFIX = "perf:"
EVENT_TYPE = "transaction"  # what the occurrence is, as Sentry's event API calls it
ISSUE_TYPES = {
    "n_plus_one_db": "performance_n_plus_one_db_queries",
    "slow_db_query": "performance_slow_db_query",
    "consecutive_http": "performance_consecutive_http",
    "large_http_payload": "performance_large_http_payload",
}
LEVEL = "warning"
# An N+1 of ten thousand queries needs a few examples, not all of them, in every event.
MAX_SPANS = 50
_MAX_DESCRIPTION = 2000
_TAG_MAX = 200
_TRANSACTION_MAX = 200  # the transactions table's name column: the summary page finds it


def prepare_perf_events(
    project_id: int,
    transactions: Iterable[Transaction],
    *,
    received_at: float,
    thresholds: Thresholds | None = None,
) -> list[PreparedEvent]:
    """One event per performance problem found in ``transactions`` (children only, never
    the root span: fingerprints hold the parent op, so every caller must do the same)."""
    thresholds = thresholds or Thresholds()
    events: list[PreparedEvent] = []
    for txn in transactions:
        if not txn.event_id:
            continue
        for finding in detect(txn.name, txn.spans, thresholds):
            events.append(_event(project_id, txn, finding, received_at))
    return events


def perf_hash(fingerprint: tuple[str, ...]) -> str:
    """The grouping hash of a finding's fingerprint under :data:`STRATEGY`."""
    digest = hashlib.sha256(orjson.dumps([STRATEGY, *fingerprint])).hexdigest()
    return HASH_PREFIX + digest[:32]


def perf_event_id(transaction_event_id: str, fingerprint: tuple[str, ...]) -> str:
    """A stable event id: the same problem in the same transaction is the same event."""
    key = orjson.dumps([transaction_event_id.replace("-", "").lower(), *fingerprint])
    return hashlib.sha256(key).hexdigest()[:32]


def _event(
    project_id: int, txn: Transaction, finding: Finding, received_at: float
) -> PreparedEvent:
    issue_type = ISSUE_TYPES[finding.kind.value]
    hash_ = perf_hash(finding.fingerprint)
    subtitle = str(finding.evidence.get("subtitle") or "")
    name = txn.name[:_TRANSACTION_MAX]
    user = _user(txn.user)
    tags = _tags(txn, name)
    data: dict[str, Any] = {
        "event_id": perf_event_id(txn.event_id, finding.fingerprint),
        "type": EVENT_TYPE,
        "timestamp": txn.end,
        "start_timestamp": txn.start,
        "received": received_at,
        "platform": txn.platform or "other",
        "level": LEVEL,
        "title": finding.title,
        "culprit": txn.name,
        "transaction": name,
        "environment": txn.environment,
        "release": txn.release,
        "user": user,
        "tags": [list(pair) for pair in tags],
        "contexts": {
            "trace": {
                "type": "trace",
                "trace_id": txn.trace_id,
                "span_id": txn.span_id,
                "parent_span_id": txn.parent_span_id,
                "op": txn.op,
                "status": txn.status,
            }
        },
        "metadata": {"title": finding.title, "value": subtitle},
        "sdk": {"name": txn.sdk} if txn.sdk else None,
        "perf_problem": {
            "kind": finding.kind.value,
            "issue_type": issue_type,
            "title": finding.title,
            "fingerprint": list(finding.fingerprint),
            "span_ids": list(finding.span_ids),
            "evidence": dict(finding.evidence),
            "spans": _offending(txn.spans, finding.span_ids),
            "transaction": {
                "event_id": txn.event_id,
                "name": name,
                "op": txn.op,
                "duration_ms": round(txn.duration_ms, 3),
            },
        },
        "_grouping": {
            "strategy": STRATEGY,
            "hashes": [hash_],
            "fingerprint": list(finding.fingerprint),
            "variants": {},
        },
    }
    summary = {
        key: data.get(key)
        for key in (
            "event_id",
            "timestamp",
            "type",
            "title",
            "culprit",
            "level",
            "platform",
            "release",
            "environment",
            "metadata",
        )
    }
    summary["logger"] = None
    summary["trace_id"] = _trace_id(txn.trace_id)
    return PreparedEvent(
        project_id,
        summary,
        [hash_],
        STRATEGY,
        [],
        _user_key(user),
        tags,
        pack(data),
        received_at,
        issue_type=issue_type,
    )


def _offending(spans: Iterable[Span], span_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    wanted = set(span_ids[:MAX_SPANS])
    return [
        {
            "span_id": s.span_id,
            "op": s.op,
            "description": s.description[:_MAX_DESCRIPTION],
            "duration_ms": round(s.duration_ms, 3),
            "start_timestamp": s.start,
        }
        for s in spans
        if s.span_id in wanted
    ]


def _tags(txn: Transaction, name: str) -> list[tuple[str, str]]:
    """The transaction's own tags first (they win), then the ones issues are searched by."""
    tags: list[tuple[str, str]] = []
    seen: set[str] = set()
    derived = [("transaction", name), ("environment", txn.environment), ("release", txn.release)]
    for key, value in [*txn.tags.items(), *derived]:
        key = key.strip()[:_TAG_MAX]
        if key and value and key not in seen:
            seen.add(key)
            tags.append((key, str(value)[:_TAG_MAX]))
    return tags


# The rollups' user keys name the field; error events' keys use "ip" for the address.
_USER_FIELDS = {"id": "id", "email": "email", "username": "username", "ip_address": "ip"}


def _user(key: str | None) -> dict[str, str] | None:
    if not key:
        return None
    field, _, value = key.partition(":")
    if field not in _USER_FIELDS or not value or value == "{{auto}}":
        return None
    return {field: value}


def _user_key(user: dict[str, str] | None) -> str | None:
    if not user:
        return None
    ((field, value),) = user.items()
    return f"{_USER_FIELDS[field]}:{value}"[:300]


def _trace_id(value: str) -> str | None:
    value = value.replace("-", "").lower()
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        return None
    return value
