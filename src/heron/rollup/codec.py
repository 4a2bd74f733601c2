"""Rollup rows to and from the bytes the store keeps (``perf_rollups.data``).

A transaction rollup's counters live in columns of their own (summable in SQL); everything
that only merges in Python — the duration sketch, the users sample, the measurements — goes
into one versioned JSON document with sketches as base64. Decoding never trusts the bytes:
anything malformed raises ValueError.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from heron.rollup.aggregate import TransactionRollup
from heron.rollup.sketch import DurationSketch

VERSION = 1


def encode_rollup_data(row: TransactionRollup) -> bytes:
    """The non-counter part of ``row`` as bytes."""
    doc = {
        "v": VERSION,
        "d": _b64(row.durations),
        "u": row.users,
        "c": row.users_capped,
        "m": {
            name: [row.measurement_units.get(name, ""), _b64(sketch)]
            for name, sketch in sorted(row.measurements.items())
        },
    }
    return orjson.dumps(doc)


def decode_rollup(
    key: tuple[int, str, str, str, int], count: int, failures: int, data: bytes
) -> TransactionRollup:
    """The row stored under ``key`` (project, name, environment, release, bucket)."""
    doc = _document(data)
    users = doc.get("u")
    measurements = doc.get("m")
    if not isinstance(users, dict) or not isinstance(measurements, dict):
        raise ValueError("rollup data lacks users or measurements")
    row = TransactionRollup(*key, count=count, failures=failures)
    row.durations = _sketch(doc.get("d"))
    if all(type(v) is float for v in users.values()):
        row.users = users  # what encode wrote: a fresh dict of str keys, taken as it is
    else:
        row.users = {str(u): float(v) for u, v in users.items() if isinstance(v, int | float)}
    row.users_capped = bool(doc.get("c"))
    for name, pair in measurements.items():
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError(f"rollup measurement {name!r} is malformed")
        row.measurements[str(name)] = _sketch(pair[1])
        if pair[0]:
            row.measurement_units[str(name)] = pair[0]
    return row


# What encode_rollup_data writes first: the sketch can be read without parsing the rest.
_PREFIX = b'{"v":%d,"d":"' % VERSION


def holds_durations(head: bytes) -> bool:
    """Whether these first bytes of a row's data hold its whole duration sketch (so
    :func:`decode_durations` can read it from them alone)."""
    return head.startswith(_PREFIX) and head.find(b'"', len(_PREFIX)) > 0


def decode_durations(data: bytes) -> DurationSketch:
    """Only the duration sketch of a row's data (what percentiles and apdex need)."""
    if data.startswith(_PREFIX):
        end = data.find(b'"', len(_PREFIX))  # base64 has no quotes
        if end > 0:
            return _sketch(data[len(_PREFIX) : end].decode("ascii", "replace"))
    return _sketch(_document(data).get("d"))


def _document(data: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"rollup data is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise ValueError("rollup data has an unknown version")
    return doc


def _b64(sketch: DurationSketch) -> str:
    return base64.b64encode(sketch.to_bytes()).decode("ascii")


def _sketch(value: Any) -> DurationSketch:
    if not isinstance(value, str):
        raise ValueError("a rollup sketch is missing")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a rollup sketch is not base64") from None
    return DurationSketch.from_bytes(raw)
