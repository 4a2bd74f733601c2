"""Envelope item types and the rate-limit data category each one counts against."""

from __future__ import annotations

# Item types whose payload is one event-shaped JSON document.
EVENT_ITEM_TYPES = frozenset({"event", "transaction", "feedback", "security", "raw_security"})

ITEM_CATEGORIES: dict[str, str] = {
    "event": "error",
    "transaction": "transaction",
    "security": "security",
    "raw_security": "security",
    "feedback": "feedback",
    "user_report": "user_report_v2",
    "user_feedback": "user_report_v2",
    "attachment": "attachment",
    "session": "session",
    "sessions": "session",
    "client_report": "internal",
    "check_in": "monitor",
    "log": "log_item",
    "otel_log": "log_item",
    "span": "span",
    "otel_span": "span",
    "trace_metric": "trace_metric",
    "profile": "profile",
    "profile_chunk": "profile_chunk",
    "replay_event": "replay",
    "replay_recording": "replay",
    "replay_video": "replay",
    "statsd": "metric_bucket",
    "metric_buckets": "metric_bucket",
    "metric_meta": "metric_bucket",
}


def category_of(item_type: str) -> str:
    """The data category of an item type; unknown types count as ``default``."""
    return ITEM_CATEGORIES.get(item_type, "default")
