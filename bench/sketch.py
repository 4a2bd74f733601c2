"""Duration sketch benchmark: adds/s, merges/s and bytes per sketch, on one core.

    .venv/bin/python bench/sketch.py

For sketches of 1,000 and 100,000 log-normal durations (median ~90 ms with a tail into
seconds, like request latencies) prints the best of three rounds of:

* adds/s: ``add`` of every value into a fresh sketch,
* merges/s: ``merge`` of that sketch into a running total (what rolling minutes up to hours
  and hours up to a 7-day range does),
* bytes: the size of ``to_bytes`` (what a rollup row stores), and decodes/s of ``from_bytes``.

Takes a few seconds.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heron.rollup import DurationSketch


def durations(n: int) -> list[float]:
    rng = random.Random(n)
    return [rng.lognormvariate(4.5, 1.0) for _ in range(n)]


def per_second(fn: Callable[[], object], repeat: int, rounds: int = 3) -> float:
    best = min(_timed(fn) for _ in range(rounds))
    return repeat / best


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    print(f"{'values':>8} {'adds/s':>11} {'merges/s':>9} {'bytes':>6} {'decodes/s':>10}")
    for n in (1000, 100_000):
        values = durations(n)
        sketch = DurationSketch()
        for value in values:
            sketch.add(value)
        data = sketch.to_bytes()

        def add_all(values: list[float] = values) -> None:
            fresh = DurationSketch()
            for value in values:
                fresh.add(value)

        def merge_many(sketch: DurationSketch = sketch) -> None:
            total = DurationSketch()
            for _ in range(1000):
                total.merge(sketch)

        def decode_many(data: bytes = data) -> None:
            for _ in range(1000):
                DurationSketch.from_bytes(data)

        adds = per_second(add_all, n)
        merges = per_second(merge_many, 1000)
        decodes = per_second(decode_many, 1000)
        print(f"{n:>8,} {adds:>11,.0f} {merges:>9,.0f} {len(data):>6,} {decodes:>10,.0f}")


if __name__ == "__main__":
    main()
