"""The time range of a request: ``statsPeriod`` (default 24h) or ``start`` and ``end``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from heron import query
from heron.query import QueryError

MAX_RANGE = 90 * 86400


def time_range(params: Mapping[str, str]) -> tuple[float, float]:
    """(start, end) in unix seconds; QueryError for a bad or too long range."""
    start_text, end_text = params.get("start"), params.get("end")
    if start_text or end_text:
        if not (start_text and end_text):
            raise QueryError("start and end go together")
        start, end = parse_time(start_text), parse_time(end_text)
    else:
        end = datetime.now(UTC).timestamp()
        start = end - query.parse_period(params.get("statsPeriod") or "24h")
    if not start < end:
        raise QueryError("start must be before end")
    if end - start > MAX_RANGE:
        raise QueryError("the time range is longer than 90 days")
    return start, end


def parse_time(text: str) -> float:
    """An ISO 8601 time (UTC when it names no zone) in unix seconds."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"invalid time {text!r}: use ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
