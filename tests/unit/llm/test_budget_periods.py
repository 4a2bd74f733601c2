"""Budget periods are UTC calendar periods: a day, an ISO week from Monday, a month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from heron.query.llm_budgets import period_bounds


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("day", "2026-12-03T18:01:00", "2026-12-03T00:00:00", "2026-12-04T00:00:00"),
        ("week", "2026-12-03T18:01:00", "2026-11-30T00:00:00", "2026-12-07T00:00:00"),  # Thu
        ("week", "2026-11-30T00:00:00", "2026-11-30T00:00:00", "2026-12-07T00:00:00"),  # Mon
        ("week", "2026-12-06T23:59:59", "2026-11-30T00:00:00", "2026-12-07T00:00:00"),  # Sun
        ("month", "2026-12-31T23:59:59", "2026-12-01T00:00:00", "2027-01-01T00:00:00"),
        ("month", "2028-02-29T12:00:00", "2028-02-01T00:00:00", "2028-03-01T00:00:00"),
    ],
)
def test_period_bounds(period: str, now: str, start: str, end: str) -> None:
    assert period_bounds(period, _ts(now)) == (_ts(start), _ts(end))


def test_an_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="period"):
        period_bounds("year", 0.0)
