"""A mergeable sketch of durations whose percentiles are within 1 % of the exact ones.

Values (milliseconds, ≥ 0) are counted in logarithmic buckets: bucket ``i`` holds the values
in ``(g^(i-1), g^i]`` with ``g = (1 + a) / (1 - a)`` and ``a = 0.01``, and stands for them with
``2·g^i / (g + 1)``, which is within ``a`` (relative) of every one of them. Values under
``MIN_VALUE`` (1 ns; SDK timestamps have microsecond resolution) are counted as zero.

Quantiles use the nearest rank: ``q`` of ``n`` values is the ``max(1, ceil(q·n))``-th smallest.
The estimate is the representative of the bucket holding that rank, clamped to ``[min, max]``;
the first and last ranks return the exact ``min`` and ``max``.

At most ``max_buckets`` buckets are kept (default 2048, which spans 1 ns to about 19 years):
past that, the lowest buckets are folded into the lowest kept one, so only the smallest values
lose accuracy (they read high). Folding depends only on the set of indexes, so merging in any
order gives the same sketch. The sum is kept as an integer count of 2⁻³² ms for the same reason
(float addition depends on order).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import struct
from collections.abc import Iterable, Sequence
from typing import ClassVar

__all__ = ["DEFAULT_MAX_BUCKETS", "MAX_VALUE", "MIN_VALUE", "RELATIVE_ACCURACY", "DurationSketch"]

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
MIN_VALUE = 1e-6
MAX_VALUE = 1e15  # ms, ~31,000 years: keeps the fixed-point sum and the indexes bounded
DEFAULT_MAX_BUCKETS = 2048
_MAX_BUCKETS_LIMIT = 1 << 16

_LOG_GAMMA = math.log(GAMMA)
_INV_LOG_GAMMA = 1 / _LOG_GAMMA
_REP_FACTOR = 2 / (GAMMA + 1)
_SUM_SCALE = 1 << 32
_VERSION = 1
_MINMAX = struct.Struct("<dd")


def _index(value: float) -> int:
    return math.ceil(math.log(value) * _INV_LOG_GAMMA)


def _representative(index: int) -> float:
    return math.exp(index * _LOG_GAMMA) * _REP_FACTOR


_MIN_INDEX = _index(MIN_VALUE)
_MAX_INDEX = _index(MAX_VALUE)


class DurationSketch:
    """Counts of durations in logarithmic buckets; see the module docstring for the bounds."""

    __slots__ = ("_bins", "_count", "_max", "_max_buckets", "_min", "_sum", "_zero")
    __hash__: ClassVar[None]  # type: ignore[assignment]  # mutable, so unhashable

    def __init__(self, max_buckets: int = DEFAULT_MAX_BUCKETS) -> None:
        if not 1 <= max_buckets <= _MAX_BUCKETS_LIMIT:
            raise ValueError(f"max_buckets must be in 1..{_MAX_BUCKETS_LIMIT}")
        self._max_buckets = max_buckets
        self._bins: dict[int, int] = {}
        self._zero = 0
        self._count = 0
        self._sum = 0
        self._min = math.inf
        self._max = -math.inf

    # -- building ------------------------------------------------------------------------

    def add(self, value: float, count: int = 1) -> None:
        """Count ``value`` (ms, 0 ≤ value ≤ ``MAX_VALUE``) ``count`` times."""
        if not 0.0 <= value <= MAX_VALUE:  # also rejects NaN
            raise ValueError(f"duration out of range: {value!r}")
        if count < 1:
            if count == 0:
                return
            raise ValueError(f"count must be ≥ 0: {count!r}")
        if value == 0:
            value = 0.0  # not -0.0, which would make min (and the bytes) depend on order
        if value < self._min:
            self._min = float(value)
        if value > self._max:
            self._max = float(value)
        self._count += count
        self._sum += round(value * _SUM_SCALE) * count
        if value < MIN_VALUE:
            self._zero += count
            return
        bins = self._bins
        i = math.ceil(math.log(value) * _INV_LOG_GAMMA)
        if i in bins:
            bins[i] += count
        else:
            bins[i] = count
            if len(bins) > self._max_buckets:
                self._fold()

    def merge(self, other: DurationSketch) -> None:
        """Add every value of ``other`` to this sketch (in place); keeps the smaller cap."""
        if other._max_buckets < self._max_buckets:
            self._max_buckets = other._max_buckets
        bins = self._bins
        if bins:
            get = bins.get
            for i, c in other._bins.items():
                bins[i] = get(i, 0) + c
        else:
            bins.update(other._bins)
        self._zero += other._zero
        self._count += other._count
        self._sum += other._sum
        # What min() and max() would keep, without their calls (merging is the hot path).
        if other._min < self._min:
            self._min = other._min
        if other._max > self._max:
            self._max = other._max
        if len(bins) > self._max_buckets:
            self._fold()

    @classmethod
    def merged(cls, sketches: Iterable[DurationSketch]) -> DurationSketch:
        """A new sketch holding the values of all ``sketches``."""
        result = cls()
        for sketch in sketches:
            result.merge(sketch)
        return result

    def copy(self) -> DurationSketch:
        """An independent sketch equal to this one."""
        result = DurationSketch.__new__(DurationSketch)  # this one's cap is already valid
        result._max_buckets = self._max_buckets
        result._bins = self._bins.copy()
        result._zero = self._zero
        result._count = self._count
        result._sum = self._sum
        result._min = self._min
        result._max = self._max
        return result

    def _fold(self) -> None:
        keys = sorted(self._bins)
        cut = len(keys) - self._max_buckets
        folded = sum(self._bins.pop(i) for i in keys[:cut])
        self._bins[keys[cut]] += folded

    # -- reading -------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self._count

    @property
    def sum(self) -> float:
        """Sum of the values (each rounded to 2⁻³² ms)."""
        return self._sum / _SUM_SCALE

    @property
    def min(self) -> float | None:
        return self._min if self._count else None

    @property
    def max(self) -> float | None:
        return self._max if self._count else None

    @property
    def max_buckets(self) -> int:
        return self._max_buckets

    def quantile(self, q: float) -> float | None:
        """The nearest-rank ``q`` quantile (0 ≤ q ≤ 1) within 1 %; None when empty."""
        return self.quantiles([q])[0]

    def quantiles(self, qs: Sequence[float]) -> list[float | None]:
        """Several quantiles in one pass over the buckets, in the order asked."""
        for q in qs:
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quantile must be in [0, 1]: {q!r}")
        n = self._count
        if n == 0:
            return [None] * len(qs)
        result: list[float | None] = [None] * len(qs)
        # below[k]: how many values lie in the zero bucket and the buckets before keys[k];
        # the value of rank r is in the first bucket k with below[k + 1] >= r.
        keys = sorted(self._bins)
        below = list(itertools.accumulate(map(self._bins.__getitem__, keys), initial=self._zero))
        for pos, q in enumerate(qs):
            rank = max(1, math.ceil(q * n))
            if rank == 1 or rank == n:
                result[pos] = self._min if rank == 1 else self._max
                continue
            k = bisect.bisect_left(below, rank, 1) - 1
            estimate = _representative(keys[k]) if rank > self._zero else 0.0
            result[pos] = min(max(estimate, self._min), self._max)
        return result

    def count_at_most(self, threshold: float) -> int:
        """How many values are ≤ ``threshold``; only values within 1 % of it may be miscounted."""
        if threshold >= self._max:
            return self._count
        if threshold < self._min:
            return 0
        # Representatives grow with the index: count the buckets up to the last one whose
        # representative is ≤ threshold (found from the logarithm, then checked exactly).
        if threshold < _representative(_MIN_INDEX):
            return self._zero
        cut = math.floor(math.log(threshold / _REP_FACTOR) * _INV_LOG_GAMMA)
        while _representative(cut + 1) <= threshold:
            cut += 1
        while _representative(cut) > threshold:
            cut -= 1
        bins = self._bins
        keys = sorted(bins)
        return self._zero + sum(map(bins.__getitem__, keys[: bisect.bisect_right(keys, cut)]))

    def apdex(self, threshold: float) -> float | None:
        """(satisfied + tolerating / 2) / count, satisfied ≤ T < tolerating ≤ 4T; None if empty."""
        if self._count == 0:
            return None
        satisfied = self.count_at_most(threshold)
        tolerating = self.count_at_most(4 * threshold) - satisfied
        return (satisfied + tolerating / 2) / self._count

    def histogram(
        self, buckets: int, low: float | None = None, high: float | None = None
    ) -> list[tuple[float, float, int]]:
        """``buckets`` equal-width (lower, upper, count) bins over [low, high].

        ``low``/``high`` default to min/max; values outside go to the first/last bin, so the
        counts always add up to ``count``. An empty sketch without bounds gives [].
        """
        if buckets < 1:
            raise ValueError("buckets must be ≥ 1")
        if self._count == 0 and (low is None or high is None):
            return []
        lo = self._min if low is None else low
        hi = self._max if high is None else high
        if not lo <= hi:
            raise ValueError("low must be ≤ high")
        width = (hi - lo) / buckets
        counts = [0] * buckets

        def place(value: float, c: int) -> None:
            pos = int((value - lo) / width) if width > 0 and value > lo else 0
            counts[min(pos, buckets - 1)] += c

        if self._zero:
            place(self._min, self._zero)
        for i, c in self._bins.items():
            place(min(max(_representative(i), self._min), self._max), c)
        return [(lo + k * width, lo + (k + 1) * width, counts[k]) for k in range(buckets)]

    # -- bytes ---------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Compact, canonical bytes (equal sketches give equal bytes); see ``_put_buckets``."""
        # The digest encodes every row it writes: the common shapes (small counts, one
        # bucket) are written inline rather than through _put and _put_buckets.
        out = bytearray(_head(self._max_buckets))
        count, zero, total = self._count, self._zero, self._sum
        if count < 0x80 and zero < 0x80:
            out.append(count)
            out.append(zero)
        else:
            _put(out, count)
            _put(out, zero)
        while total > 0x7F:
            out.append((total & 0x7F) | 0x80)
            total >>= 7
        out.append(total)
        if count:
            out += _MINMAX.pack(self._min, self._max)
            bins = self._bins
            if len(bins) == 1:
                ((first, n),) = bins.items()
                if n < 0x100:
                    out += _one_bucket(first)
                    out.append(n)
                    return bytes(out)
            _put_buckets(out, bins)
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> DurationSketch:
        """The sketch written by ``to_bytes``; ValueError for anything else."""
        reader = _Reader(bytes(data))
        if reader.byte() != _VERSION:
            raise ValueError("unknown sketch version")
        max_buckets = reader.varint()
        if not 1 <= max_buckets <= _MAX_BUCKETS_LIMIT:
            raise ValueError("bad max_buckets")
        sketch = cls(max_buckets)
        sketch._count = reader.varint()
        sketch._zero = reader.varint()
        sketch._sum = reader.varint(20)
        if sketch._count:
            lo, hi = _MINMAX.unpack(reader.take(_MINMAX.size))
            if not 0.0 <= lo <= hi <= MAX_VALUE or math.copysign(1.0, lo) < 0:
                raise ValueError("bad min/max")
            sketch._min, sketch._max = lo, hi
            sketch._bins = _read_buckets(reader, max_buckets)
            _check(sketch)
        elif sketch._zero or sketch._sum:
            raise ValueError("values in an empty sketch")
        if not reader.done():
            raise ValueError("trailing bytes")
        return sketch

    # -- the rest ------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DurationSketch):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __repr__(self) -> str:
        return f"<DurationSketch count={self._count} buckets={len(self._bins)}>"


def _check(sketch: DurationSketch) -> None:
    bins = sketch._bins
    if sketch._zero + sum(bins.values()) != sketch._count:
        raise ValueError("counts do not add up")
    if (sketch._zero > 0) != (sketch._min < MIN_VALUE):
        raise ValueError("zero count does not match min")
    # The max is never folded, so it must sit in the highest bucket.
    top = max(bins) if bins else None
    if top != (_index(sketch._max) if sketch._max >= MIN_VALUE else None):
        raise ValueError("max does not match the buckets")
    lowest, highest = (round(v * _SUM_SCALE) * sketch._count for v in (sketch._min, sketch._max))
    if not lowest <= sketch._sum <= highest:
        raise ValueError("sum outside count * [min, max]")


# Buckets are struct-packed arrays, so decoding runs in C rather than a loop per byte:
# varint n, varint (first index - _MIN_INDEX), varint span (last - first), one byte
# width | _DENSE, then either every count from first to last (zeros included) or, when
# smaller, n uint16 offsets from first followed by n counts; counts use the narrowest width.
_DENSE = 0x80
_WIDTHS = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _width(top: int) -> int:
    if top < 0x100:
        return 1
    if top < 0x10000:
        return 2
    return 4 if top < 0x100000000 else 8


def _layout(n: int, span: int, top: int) -> tuple[int, bool]:
    width = _width(top)
    return width, (span + 1) * width <= n * (2 + width)


def _put_buckets(out: bytearray, bins: dict[int, int]) -> None:
    n = len(bins)
    _put(out, n)
    if not n:
        return
    if n == 1:  # the common case of a span row: one value, or several alike
        ((first, count),) = bins.items()
        width = _width(count)
        _put(out, first - _MIN_INDEX)
        out.append(0)
        out.append(width | _DENSE)
        out += count.to_bytes(width, "little")
        return
    keys = sorted(bins)
    first, span = keys[0], keys[-1] - keys[0]
    width, dense = _layout(n, span, max(bins.values()))
    _put(out, first - _MIN_INDEX)
    _put(out, span)
    out.append(width | (_DENSE if dense else 0))
    code = _WIDTHS[width]
    if dense:
        counts = [0] * (span + 1)
        for i, c in bins.items():
            counts[i - first] = c
        out += struct.pack(f"<{span + 1}{code}", *counts)
    else:
        out += struct.pack(f"<{n}H", *[i - first for i in keys])
        out += struct.pack(f"<{n}{code}", *[bins[i] for i in keys])


def _read_buckets(reader: _Reader, max_buckets: int) -> dict[int, int]:
    n = reader.varint()
    if n > max_buckets:
        raise ValueError("too many buckets")
    if n == 0:
        return {}
    first = _MIN_INDEX + reader.varint()
    span = reader.varint()
    flags = reader.byte()
    width, dense = flags & ~_DENSE, bool(flags & _DENSE)
    if first + span > _MAX_INDEX or width not in _WIDTHS:
        raise ValueError("bad bucket range")
    if n == 1:  # one bucket: always dense, span 0, its count in the narrowest width
        count = int.from_bytes(reader.take(width), "little")
        if span or not dense or not count or _width(count) != width:
            raise ValueError("buckets not in canonical form")
        return {first: count}
    code = _WIDTHS[width]
    if dense:
        counts = struct.unpack(f"<{span + 1}{code}", reader.take((span + 1) * width))
        # The non-zero counts by index, iterated in C (day rows hold hundreds of buckets).
        indexes = itertools.compress(range(first, first + span + 1), counts)
        bins = dict(zip(indexes, filter(None, counts), strict=True))
        if not counts[0] or not counts[-1]:
            raise ValueError("bad bucket range")
    else:
        offsets = struct.unpack(f"<{n}H", reader.take(2 * n))
        counts = struct.unpack(f"<{n}{code}", reader.take(n * width))
        if list(offsets) != sorted(set(offsets)) or offsets[0] != 0 or offsets[-1] != span:
            raise ValueError("bucket offsets out of order")
        if min(counts) < 1:
            raise ValueError("empty bucket")
        bins = {first + k: c for k, c in zip(offsets, counts, strict=True)}
    if len(bins) != n or _layout(n, span, max(counts)) != (width, dense):
        raise ValueError("buckets not in canonical form")
    return bins


def _put(out: bytearray, n: int) -> None:
    if n < 0x80:
        out.append(n)
        return
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


@functools.lru_cache(maxsize=4096)
def _one_bucket(index: int) -> bytes:
    """What ``_put_buckets`` writes for one bucket holding under 256 values, but the count."""
    out = bytearray()
    _put_buckets(out, {index: 1})
    return bytes(out[:-1])


@functools.lru_cache(maxsize=64)
def _head(max_buckets: int) -> bytes:
    """Version and bucket cap: the same few bytes in nearly every sketch."""
    out = bytearray([_VERSION])
    _put(out, max_buckets)
    return bytes(out)


class _Reader:
    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def byte(self) -> int:
        if self._pos >= len(self._data):
            raise ValueError("truncated sketch")
        self._pos += 1
        return self._data[self._pos - 1]

    def varint(self, max_bytes: int = 10) -> int:
        data, pos = self._data, self._pos
        if pos < len(data) and data[pos] < 0x80:  # most counts fit one byte
            self._pos = pos + 1
            return data[pos]
        n = shift = 0
        for _ in range(max_bytes):
            b = self.byte()
            n |= (b & 0x7F) << shift
            if b < 0x80:
                if b == 0 and shift:
                    raise ValueError("varint not in its shortest form")
                return n
            shift += 7
        raise ValueError("varint too long")

    def take(self, size: int) -> bytes:
        if self._pos + size > len(self._data):
            raise ValueError("truncated sketch")
        self._pos += size
        return self._data[self._pos - size : self._pos]

    def done(self) -> bool:
        return self._pos == len(self._data)
