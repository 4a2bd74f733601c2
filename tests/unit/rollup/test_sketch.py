"""DurationSketch against exact figures computed from sorted lists.

Rank is the nearest rank: quantile ``q`` of ``n`` sorted values is the ``max(1, ceil(q·n))``-th
smallest (1-based), the same definition the sketch documents.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.protocol import parse_envelope
from heron.rollup import DurationSketch
from heron.rollup.sketch import GAMMA, MAX_VALUE, RELATIVE_ACCURACY

CAPTURED = Path("/work/shared/conformance/envelopes/captured")

# Float rounding in log/exp may push a value just across a bucket edge.
TOLERANCE = RELATIVE_ACCURACY * (1 + 1e-9)
QUANTILES = [0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]

# 0.001 ms … 10 min, log-uniform so every decade shows up, plus exact zeros.
duration = st.one_of(
    st.just(0.0),
    st.floats(min_value=-3.0, max_value=math.log10(600_000.0)).map(lambda e: 10.0**e),
    st.floats(min_value=0.001, max_value=600_000.0),
)


@st.composite
def durations(draw: st.DrawFn, min_size: int = 1) -> list[float]:
    values = draw(st.lists(duration, min_size=min_size, max_size=200))
    if values:  # duplicates, as real traffic has plenty
        values += draw(st.lists(st.sampled_from(values), max_size=50))
    return values


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def sketch_of(values: list[float], max_buckets: int = 2048) -> DurationSketch:
    sketch = DurationSketch(max_buckets)
    for value in values:
        sketch.add(value)
    return sketch


def assert_close(estimate: float | None, expected: float) -> None:
    assert estimate is not None
    assert abs(estimate - expected) <= TOLERANCE * expected, (estimate, expected)


@settings(max_examples=100, deadline=None)
@given(durations(), st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=5))
def test_quantiles_within_one_percent_of_nearest_rank(values: list[float], qs: list[float]) -> None:
    sketch = sketch_of(values)
    asked = QUANTILES + qs
    estimates = sketch.quantiles(asked)
    for q, estimate in zip(asked, estimates, strict=True):
        assert_close(estimate, exact(values, q))
        assert sketch.quantile(q) == estimate
    assert sketch.quantile(0) == min(values)
    assert sketch.quantile(1) == max(values)


@settings(max_examples=100, deadline=None)
@given(durations())
def test_count_sum_min_max_are_exact(values: list[float]) -> None:
    sketch = sketch_of(values)
    assert sketch.count == len(values)
    assert sketch.min == min(values)
    assert sketch.max == max(values)
    # The sum is kept in units of 2⁻³² ms: off by at most half a unit per value.
    assert abs(sketch.sum - math.fsum(values)) <= len(values) * 2.0**-32 + 1e-15 * sketch.sum


@settings(max_examples=100, deadline=None)
@given(durations(min_size=0), durations(min_size=0), durations(min_size=0))
def test_merge_equals_sketch_of_all_values(a: list[float], b: list[float], c: list[float]) -> None:
    whole = sketch_of(a + b + c)
    left = sketch_of(a)
    left.merge(sketch_of(b))
    left.merge(sketch_of(c))
    right = DurationSketch.merged([sketch_of(c), sketch_of(b), sketch_of(a)])
    assert left == whole
    assert right == whole
    assert left.to_bytes() == whole.to_bytes() == right.to_bytes()


@settings(max_examples=100, deadline=None)
@given(durations(min_size=0), st.integers(1, 64), durations())
def test_copy_is_equal_and_independent(values: list[float], cap: int, more: list[float]) -> None:
    original = DurationSketch(cap)
    for value in values:
        original.add(value)
    before = original.to_bytes()
    copied = original.copy()
    assert copied == original and copied.max_buckets == cap
    for value in more:
        copied.add(value)
    copied.merge(original)
    assert original.to_bytes() == before
    # Merging into an empty sketch is a copy too, with the smaller cap.
    empty = DurationSketch()
    empty.merge(original)
    assert empty == original


@settings(max_examples=100, deadline=None)
@given(durations(min_size=0))
def test_bytes_round_trip(values: list[float]) -> None:
    sketch = sketch_of(values)
    data = sketch.to_bytes()
    again = DurationSketch.from_bytes(data)
    assert again == sketch
    assert again.to_bytes() == data
    assert DurationSketch.from_bytes(memoryview(data)) == sketch
    assert again.quantiles(QUANTILES) == sketch.quantiles(QUANTILES)
    assert (again.count, again.sum, again.min, again.max) == (
        sketch.count,
        sketch.sum,
        sketch.min,
        sketch.max,
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_from_bytes_of_garbage_raises_value_error(data: bytes) -> None:
    for candidate in (data, b"\x01" + data):
        with contextlib.suppress(ValueError):
            DurationSketch.from_bytes(candidate)


@settings(max_examples=150, deadline=None)
@given(durations(), st.data())
def test_from_bytes_of_damaged_sketch_raises_value_error(
    values: list[float], data: st.DataObject
) -> None:
    raw = bytearray(sketch_of(values).to_bytes())
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    try:
        parsed = DurationSketch.from_bytes(bytes(raw[:cut]))
    except ValueError:
        return
    # What still parses is a consistent sketch.
    assert parsed.count == 0 or parsed.quantile(0.5) is not None
    assert parsed.to_bytes() == bytes(raw[:cut])  # one sketch, one encoding


def test_empty_sketch() -> None:
    sketch = DurationSketch()
    assert (sketch.count, sketch.sum, sketch.min, sketch.max) == (0, 0.0, None, None)
    assert sketch.quantile(0.5) is None
    assert sketch.quantiles([0.5, 0.9]) == [None, None]
    assert sketch.histogram(10) == []
    assert sketch.count_at_most(300) == 0
    assert sketch.apdex(300) is None
    assert DurationSketch.from_bytes(sketch.to_bytes()) == sketch
    assert DurationSketch.merged([]) == sketch


@pytest.mark.parametrize("value", [-1.0, -0.0001, math.nan, math.inf, MAX_VALUE * 2])
def test_add_rejects_values_out_of_range(value: float) -> None:
    with pytest.raises(ValueError):
        DurationSketch().add(value)


def test_negative_zero_is_zero() -> None:
    assert sketch_of([-0.0, 1.0]) == sketch_of([0.0, 1.0])
    assert math.copysign(1.0, sketch_of([-0.0]).min or 0.0) == 1.0


def test_add_with_count_and_bad_arguments() -> None:
    sketch = DurationSketch()
    sketch.add(120.0, count=3)
    sketch.add(5.0, count=0)
    assert sketch.count == 3
    assert sketch.sum == 360.0
    assert sketch == sketch_of([120.0] * 3)
    with pytest.raises(ValueError):
        sketch.add(1.0, count=-1)
    with pytest.raises(ValueError):
        sketch.quantile(1.5)
    with pytest.raises(ValueError):
        DurationSketch(max_buckets=0)
    with pytest.raises(TypeError):
        hash(sketch)
    assert sketch != "not a sketch"


@settings(max_examples=50, deadline=None)
@given(durations(), durations())
def test_bucket_cap_folds_the_lowest_buckets_in_any_order(a: list[float], b: list[float]) -> None:
    cap = 16
    whole = sketch_of(a + b, max_buckets=cap)
    merged = sketch_of(b, max_buckets=cap)
    merged.merge(sketch_of(a, max_buckets=cap))
    assert merged == whole
    assert len(whole.to_bytes()) < 200
    assert whole.count == len(a + b)
    # Folding only moves low values up: ranks in the top cap - 1 buckets stay within 1 %.
    values = a + b
    for q in QUANTILES:
        expected = exact(values, q)
        if expected >= max(values) / GAMMA ** (cap - 3):
            assert_close(whole.quantile(q), expected)
    assert whole.max_buckets == cap


def test_wide_range_is_folded_at_the_default_cap() -> None:
    sketch = DurationSketch()
    value = 1e-6
    while value < MAX_VALUE:
        sketch.add(value)
        value *= 1.01
    assert sketch.count > 2048
    assert len(sketch.to_bytes()) < 2048 * 3 + 64
    assert_close(sketch.quantile(0.99), 10.0 ** (-6 + 0.99 * 21))


@settings(max_examples=100, deadline=None)
@given(durations(), st.floats(min_value=0.0, max_value=700_000.0))
def test_count_at_most_miscounts_only_values_near_the_threshold(
    values: list[float], threshold: float
) -> None:
    sketch = sketch_of(values)
    got = sketch.count_at_most(threshold)
    surely_in = sum(v <= threshold / (1 + TOLERANCE) for v in values)
    maybe_in = sum(v <= threshold / (1 - TOLERANCE) for v in values)
    assert surely_in <= got <= maybe_in
    if threshold >= max(values):
        assert got == len(values)
    if threshold < min(values):
        assert got == 0


def test_apdex() -> None:
    sketch = sketch_of([100.0] * 6 + [1000.0] * 2 + [5000.0] * 2)
    assert sketch.apdex(300) == pytest.approx((6 + 2 / 2) / 10)


def test_histogram_of_known_values() -> None:
    values = [5.0] * 3 + [15.0] * 2 + [95.0] + [0.0] * 4
    sketch = sketch_of(values)
    bins = sketch.histogram(10, 0.0, 100.0)
    assert [(lo, hi) for lo, hi, _ in bins] == [(10.0 * k, 10.0 * (k + 1)) for k in range(10)]
    assert [c for _, _, c in bins] == [7, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    # Out-of-range values go to the edge bins so the counts add up.
    assert [c for _, _, c in sketch.histogram(2, 10.0, 20.0)] == [7, 3]
    assert sketch.histogram(3)[0][0] == 0.0
    assert sketch.histogram(3)[-1][1] == 95.0
    assert (
        sketch_of([7.0, 7.0]).histogram(4) == [(7.0, 7.0, 2), (7.0, 7.0, 0)] + [(7.0, 7.0, 0)] * 2
    )
    with pytest.raises(ValueError):
        sketch.histogram(0)
    with pytest.raises(ValueError):
        sketch.histogram(3, 10.0, 1.0)


@settings(max_examples=50, deadline=None)
@given(durations(), st.integers(1, 40))
def test_histogram_counts_add_up(values: list[float], buckets: int) -> None:
    bins = sketch_of(values).histogram(buckets)
    assert len(bins) == buckets
    assert sum(c for _, _, c in bins) == len(values)
    assert all(a[1] == pytest.approx(b[0]) for a, b in itertools.pairwise(bins))


def test_lognormal_traffic_by_the_minute() -> None:
    rng = random.Random(5)
    minutes = [[rng.lognormvariate(4.5, 1.2) for _ in range(200)] for _ in range(60)]
    hour = DurationSketch.merged(sketch_of(m) for m in minutes)
    every = [v for m in minutes for v in m]
    assert hour == sketch_of(every)
    for q in (0.5, 0.75, 0.95, 0.99):
        assert_close(hour.quantile(q), exact(every, q))
    assert len(hour.to_bytes()) < 2000


def _seconds(stamp: float | str) -> float:
    if isinstance(stamp, str):
        return datetime.fromisoformat(stamp).timestamp()
    return float(stamp)


def captured_durations() -> list[list[float]]:
    """Per envelope, the ms durations of its transactions, their spans and its v2 spans."""
    if not CAPTURED.exists():
        pytest.skip(f"conformance data not available at {CAPTURED}")
    found = []
    for path in sorted(CAPTURED.rglob("*.envelope")):
        durations = []
        for item in parse_envelope(path.read_bytes()).items:
            if item.type == "transaction":
                event = orjson.loads(item.payload)
                for span in [event, *event.get("spans", [])]:
                    end, start = _seconds(span["timestamp"]), _seconds(span["start_timestamp"])
                    durations.append((end - start) * 1000)
            elif item.type == "span":
                for span in orjson.loads(item.payload)["items"]:
                    end, start = span["end_timestamp"], span["start_timestamp"]
                    durations.append((end - start) * 1000)
        if durations:
            found.append(durations)
    return found


def test_durations_sent_by_real_sdks() -> None:
    per_envelope = captured_durations()
    every = [d for durations in per_envelope for d in durations]
    assert len(every) >= 5
    whole = DurationSketch.merged(sketch_of(durations) for durations in per_envelope)
    assert whole == sketch_of(every)
    for q in QUANTILES:
        assert_close(whole.quantile(q), exact(every, q))
    assert DurationSketch.from_bytes(whole.to_bytes()) == whole


@settings(max_examples=200, deadline=None)
@given(durations(), st.floats(min_value=0.0, max_value=700_000.0))
def test_count_at_most_counts_the_buckets_whose_representative_is_under(
    values: list[float], threshold: float
) -> None:
    from heron.rollup.sketch import _representative

    sketch = sketch_of(values)
    if threshold >= max(values) or threshold < min(values):
        return  # the exact ends, covered above
    # Every bucket (in index order) whose representative is at most the threshold.
    expected = sketch._zero
    for index, count in sorted(sketch._bins.items()):
        if _representative(index) > threshold:
            break
        expected += count
    assert sketch.count_at_most(threshold) == expected
    # Also exactly at a representative, where the logarithm may round either way.
    for index in sketch._bins:
        edge = _representative(index)
        if min(values) <= edge < max(values):
            want = sketch._zero + sum(c for i, c in sketch._bins.items() if i <= index)
            assert sketch.count_at_most(edge) == want


@settings(max_examples=200, deadline=None)
@given(durations(), st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=6))
def test_quantiles_are_the_representative_of_the_bucket_holding_the_rank(
    values: list[float], qs: list[float]
) -> None:
    from heron.rollup.sketch import _representative

    sketch = sketch_of(values)
    n = sketch.count
    for q, got in zip(qs, sketch.quantiles(qs), strict=True):
        rank = max(1, math.ceil(q * n))
        if rank in (1, n):
            assert got == (sketch.min if rank == 1 else sketch.max)
            continue
        # Walk the buckets in order, as the definition reads.
        seen, estimate = sketch._zero, 0.0
        for index, count in sorted(sketch._bins.items()):
            if seen >= rank:
                break
            seen += count
            estimate = _representative(index)
        assert got == min(max(estimate, sketch.min), sketch.max)  # type: ignore[type-var]
