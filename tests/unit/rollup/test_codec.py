"""Rollup rows to bytes and back: lossless for what merges need, and strict on garbage."""

from __future__ import annotations

import pytest

from heron.rollup import TransactionRollup, decode_durations, decode_rollup, encode_rollup_data

KEY = (1, "GET /orders", "production", "shop@1.0", 1_700_000_040)


def _row() -> TransactionRollup:
    row = TransactionRollup(*KEY, count=3, failures=1)
    for value in (12.0, 250.5, 4000.0):
        row.durations.add(value)
    row.users = {"id:u-1": 250.5, "id:u-2": 4000.0}
    row.measurements["lcp"] = row.durations.copy()
    row.measurement_units["lcp"] = "millisecond"
    return row


def test_round_trip_keeps_every_value() -> None:
    row = _row()
    back = decode_rollup(KEY, row.count, row.failures, encode_rollup_data(row))
    assert back.key == row.key
    assert (back.count, back.failures) == (3, 1)
    assert back.durations == row.durations
    assert back.users == row.users
    assert back.measurements == row.measurements
    assert back.measurement_units == {"lcp": "millisecond"}
    assert encode_rollup_data(back) == encode_rollup_data(row)
    # The durations alone, read without parsing the rest; the same from a document whose
    # keys come in another order (parsed whole).
    assert decode_durations(encode_rollup_data(row)) == row.durations
    data = encode_rollup_data(row)
    reordered = b'{"u":{},"m":{},' + data[1:]
    assert decode_durations(reordered) == row.durations


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        b'{"v": 2}',
        b'{"v": 1, "d": "AAAA", "u": {}, "m": {}}',
        b'{"v": 1, "d": "***", "u": {}, "m": {}}',
        b'{"v": 1, "u": {}, "m": {}}',
        b'{"v": 1, "d": "", "u": [], "m": {}}',
        b'{"v": 1, "d": "", "u": {}, "m": {"lcp": 3}}',
    ],
)
def test_garbage_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_rollup(KEY, 0, 0, data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b'{"v":1,"d":"',
        b'{"v":1,"d":"***"}',
        b'{"v":1,"d":"AAAA"}',
        b'{"v":1,"d":"\xff\xfe"}',
        b'{"v": 2, "d": ""}',
        b'{"v": 1}',
    ],
)
def test_garbage_durations_are_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_durations(data)
