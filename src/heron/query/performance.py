"""Performance figures read off the rollups: per transaction, totals, series, histograms, spans.

Every figure over a time range merges the stored minute, hour and day rows that tile the
range (heron.rollup sketches merge exactly), so no query scans transactions except the lists
of single transactions (slowest events). Ranges longer than a day are widened to whole hours,
so they read at most two days' worth of hour rows besides the day rows; shorter ranges are
widened to whole minutes.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from heron.query.errors import QueryError
from heron.rollup import (
    DAY,
    HOUR,
    MINUTE,
    DurationSketch,
    TransactionRollup,
    apdex,
    combine,
    decode_durations,
    decode_rollup,
    distinct_users,
    holds_durations,
    miserable_users,
)
from heron.store import Database, tables

PERF_PERIODS = {
    "1h": HOUR,
    "24h": DAY,
    "7d": 7 * DAY,
    "14d": 14 * DAY,
    "30d": 30 * DAY,
    "90d": 90 * DAY,
}
DEFAULT_APDEX_MS = 300.0
LONG_RANGE = 7 * DAY
_SIZES = (DAY, HOUR, MINUTE)

_pr = tables.perf_rollups
_sr = tables.span_rollups


@dataclass(frozen=True, slots=True)
class PerfScope:
    """Which transactions a figure covers: projects, a time range [start, end) and filters."""

    project_ids: tuple[int, ...]
    start: float
    end: float
    environment: str | None = None
    release: str | None = None
    transaction: str | None = None

    @classmethod
    def for_period(
        cls,
        project_ids: Sequence[int],
        period: str = "24h",
        *,
        now: float | None = None,
        environment: str | None = None,
        release: str | None = None,
        transaction: str | None = None,
    ) -> PerfScope:
        """The last ``period`` (one of PERF_PERIODS) up to ``now``."""
        if period not in PERF_PERIODS:
            raise QueryError(f"invalid period {period!r}: use one of {', '.join(PERF_PERIODS)}")
        end = time.time() if now is None else now
        return cls(
            tuple(project_ids),
            end - PERF_PERIODS[period],
            end,
            environment or None,
            release or None,
            transaction or None,
        )

    @property
    def seconds(self) -> float:
        """The length of the range as read (widened to whole minutes or hours)."""
        start, end = self.aligned()
        return float(end - start)

    def aligned(self) -> tuple[int, int]:
        """The range widened to the unit it is read in: minutes up to a day, else hours; a
        week or more starts at 00:00 UTC of its first day."""
        if self.end <= self.start:
            raise QueryError("the time range is empty: start must be before end")
        unit = MINUTE if self.end - self.start <= DAY else HOUR
        start, end = int(self.start // unit) * unit, math.ceil(self.end / unit) * unit
        if self.end - self.start >= LONG_RANGE:
            start = start // DAY * DAY
        return start, end

    def pieces(
        self, *, now: float | None = None, finest: int = MINUTE
    ) -> list[tuple[int, int, int]]:
        """The rollup rows to read (see :func:`tiles`), none finer than ``finest`` (span rows
        have no minutes: their ranges widen to whole hours). A range over a day that reaches
        the present reads the current day from its day row: nothing lies after now, so that
        row holds exactly the day so far, one row instead of an hour row per hour."""
        start, end = self.aligned()
        start, end = start // finest * finest, math.ceil(end / finest) * finest
        current = time.time() if now is None else now
        if end - start > DAY and end >= current:
            end = math.ceil(end / DAY) * DAY
        return tiles(start, end, [s for s in _SIZES if s >= finest])


@dataclass(frozen=True, slots=True)
class MeasurementFigures:
    count: int
    p50: float | None
    p75: float | None
    p95: float | None
    unit: str


@dataclass(frozen=True, slots=True)
class TransactionFigures:
    """One transaction name's figures over a scope (name "" and project 0 for totals)."""

    project_id: int
    name: str
    count: int
    failures: int
    tpm: float
    failure_rate: float | None
    avg_ms: float | None
    p50_ms: float | None
    p75_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    apdex: float | None
    users: float
    miserable_users: float
    user_misery: float | None
    measurements: dict[str, MeasurementFigures] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start: float
    figures: TransactionFigures


@dataclass(frozen=True, slots=True)
class HistogramBin:
    start_ms: float
    end_ms: float
    count: int


# --- reading rollup rows ---------------------------------------------------------------------


def tiles(start: int, end: int, sizes: Sequence[int] = _SIZES) -> list[tuple[int, int, int]]:
    """(size, first bucket, end) pieces tiling [start, end) with the largest buckets that fit.

    ``start`` and ``end`` must be multiples of the smallest size.
    """
    if not sizes or start >= end:
        return []
    size, rest = sizes[0], sizes[1:]
    lo, hi = math.ceil(start / size) * size, end // size * size
    if lo >= hi:
        return tiles(start, end, rest)
    return [*tiles(start, lo, rest), (size, lo, hi), *tiles(hi, end, rest)]


def _rollup_where(
    scope: PerfScope, pieces: list[tuple[int, int, int]], *, totals: bool
) -> list[ColumnElement[bool]]:
    """Rows of the scope in ``pieces``: its transaction's, else the totals rows or every named
    row. Hour and day pieces read the rows over all releases (and environments) where the
    scope does not filter on them."""
    where: list[ColumnElement[bool]] = [_pr.c.project_id.in_(scope.project_ids)]
    if scope.transaction is not None:
        where.append(_pr.c.name == scope.transaction)
    elif totals:
        where.append(_pr.c.name == tables.ALL_TRANSACTIONS)
    else:
        where.append(_pr.c.name != tables.ALL_TRANSACTIONS)
    every = tables.ALL_VALUES
    if scope.release is not None:
        fine = and_(
            _pr.c.release == scope.release,
            _pr.c.environment == scope.environment
            if scope.environment is not None
            else _pr.c.environment != every,
        )
        coarse = fine
    else:
        env = scope.environment
        coarse = and_(_pr.c.environment == (every if env is None else env), _pr.c.release == every)
        fine = _pr.c.environment == env if env is not None else true()
    where.append(
        tiles_clause(_pr, pieces, lambda size: coarse if size in tables.ALL_VALUES_SIZES else fine)
    )
    return where


def tiles_clause(
    table: Any,
    pieces: list[tuple[int, int, int]],
    per_size: Callable[[int], ColumnElement[bool]] = lambda _size: true(),
) -> ColumnElement[bool]:
    """Rows in ``pieces``, each piece also matching ``per_size`` of its size."""
    return or_(
        *(
            and_(table.c.size == size, table.c.bucket >= lo, table.c.bucket < hi, per_size(size))
            for size, lo, hi in pieces
        )
    )


@dataclass(frozen=True, slots=True)
class _Stored:
    """One rollup row as read: decoded whole, or only as far as a figure needs."""

    key: tuple[int, str, str, str, int]  # project, name, environment, release, bucket
    count: int
    failures: int
    data: bytes

    @property
    def project_id(self) -> int:
        return self.key[0]

    @property
    def name(self) -> str:
        return self.key[1]

    @property
    def bucket(self) -> int:
        return self.key[4]

    def decode(self, *, durations_only: bool = False) -> TransactionRollup:
        """The row; with ``durations_only`` its counts and durations only (no users or
        measurements: they cost most to decode and merge)."""
        if not durations_only:
            return decode_rollup(self.key, self.count, self.failures, self.data)
        return TransactionRollup(
            *self.key,
            count=self.count,
            failures=self.failures,
            durations=decode_durations(self.data),
        )


# Reads that need only durations fetch this much of each row's data: the sketch comes first
# (in the benchmark at most ~700 bytes, a day row of a busy name over a few decades of
# durations ~1,500), the users sample (up to tens of kilobytes) after it. PostgreSQL sends
# bytea as hex text, so whole rows cost more to fetch than to decode.
_HEAD_BYTES = 2048


def _rollup_rows(
    conn: Connection,
    scope: PerfScope,
    pieces: list[tuple[int, int, int]],
    *,
    totals: bool,
    durations_only: bool = False,
    names: Sequence[str] | None = None,
) -> Iterator[_Stored]:
    """Rows of ``pieces``: per name (those of ``names`` if given), or the project-wide total
    rows; with ``durations_only`` their data as far as the duration sketch only."""
    if not scope.project_ids or not pieces:
        return
    where = _rollup_where(scope, pieces, totals=totals)
    if names is not None:
        where.append(_pr.c.name.in_(sorted(set(names))))
    data = func.substr(_pr.c.data, 1, _HEAD_BYTES) if durations_only else _pr.c.data
    stmt = select(
        _pr.c.project_id,
        _pr.c.name,
        _pr.c.environment,
        _pr.c.release,
        _pr.c.size,
        _pr.c.bucket,
        _pr.c.count,
        _pr.c.failures,
        data,
    ).where(*where)
    for pid, name, env, release, size, bucket, count, failures, blob in conn.execute(stmt):
        key = (int(pid), name, env, release, int(bucket))
        raw = bytes(blob)
        if durations_only and len(raw) == _HEAD_BYTES and not holds_durations(raw):
            raw = _whole_data(conn, key, int(size))  # a sketch too wide for the head
        yield _Stored(key, int(count), int(failures), raw)


def _whole_data(conn: Connection, key: tuple[int, str, str, str, int], size: int) -> bytes:
    pid, name, env, release, bucket = key
    stmt = select(_pr.c.data).where(
        _pr.c.project_id == pid,
        _pr.c.name == name,
        _pr.c.environment == env,
        _pr.c.release == release,
        _pr.c.size == size,
        _pr.c.bucket == bucket,
    )
    return bytes(conn.execute(stmt).scalar_one())


def _per_project(
    rows: Iterable[_Stored], *, durations_only: bool = False
) -> dict[int, TransactionRollup]:
    """``rows`` decoded and merged per project (one merge per project: see
    heron.rollup.combine); only their counts and durations with ``durations_only``."""
    grouped: dict[int, list[TransactionRollup]] = defaultdict(list)
    for row in rows:
        grouped[row.project_id].append(row.decode(durations_only=durations_only))
    if not durations_only:
        return {pid: combine(members) for pid, members in grouped.items()}
    return {
        pid: TransactionRollup(
            pid,
            members[0].name,
            "",
            "",
            0,
            sum(r.count for r in members),
            sum(r.failures for r in members),
            DurationSketch.merged(r.durations for r in members),
        )
        for pid, members in grouped.items()
    }


# --- figures ---------------------------------------------------------------------------------


def _figures(
    rows: Mapping[int, TransactionRollup],
    seconds: float,
    apdex_ms: Mapping[int, float] | None,
    *,
    name: str,
) -> TransactionFigures:
    """Figures of one name (or the totals) from its merged rows per project.

    Percentiles come from the merged sketch; apdex and misery are computed per project with
    that project's threshold and weighted by counts.
    """
    parts = list(rows.values())
    durations = DurationSketch.merged(r.durations for r in parts)
    count = sum(r.count for r in parts)
    failures = sum(r.failures for r in parts)
    p50, p75, p95, p99 = durations.quantiles([0.5, 0.75, 0.95, 0.99])
    scores, users, miserable = 0.0, 0.0, 0.0
    for pid, row in rows.items():
        threshold = (apdex_ms or {}).get(pid, DEFAULT_APDEX_MS)
        score = apdex(row, threshold)
        if score is not None:
            scores += score * row.durations.count
        users += distinct_users(row)
        miserable += miserable_users(row, threshold)
    measurements = _measurements(parts)
    projects = {r.project_id for r in parts}
    return TransactionFigures(
        project_id=projects.pop() if len(projects) == 1 else 0,
        name=name,
        count=count,
        failures=failures,
        tpm=count * 60.0 / seconds if seconds > 0 else 0.0,
        failure_rate=failures / count if count else None,
        avg_ms=durations.sum / durations.count if durations.count else None,
        p50_ms=p50,
        p75_ms=p75,
        p95_ms=p95,
        p99_ms=p99,
        apdex=scores / durations.count if durations.count else None,
        users=users,
        miserable_users=miserable,
        user_misery=miserable / users if users else None,
        measurements=measurements,
    )


def _measurements(rows: Sequence[TransactionRollup]) -> dict[str, MeasurementFigures]:
    sketches: dict[str, DurationSketch] = {}
    units: dict[str, str] = {}
    for row in rows:
        for key, sketch in row.measurements.items():
            known = sketches.get(key)
            if known is None:
                sketches[key] = sketch.copy()
            else:
                known.merge(sketch)
            units.setdefault(key, row.measurement_units.get(key, ""))
    result = {}
    for key, sketch in sorted(sketches.items()):
        p50, p75, p95 = sketch.quantiles([0.5, 0.75, 0.95])
        result[key] = MeasurementFigures(sketch.count, p50, p75, p95, units.get(key, ""))
    return result


SORTS: dict[str, Any] = {
    "name": lambda f: f.name,
    "count": lambda f: f.count,
    "tpm": lambda f: f.tpm,
    "failure_rate": lambda f: f.failure_rate,
    "p50": lambda f: f.p50_ms,
    "p75": lambda f: f.p75_ms,
    "p95": lambda f: f.p95_ms,
    "p99": lambda f: f.p99_ms,
    "avg": lambda f: f.avg_ms,
    "apdex": lambda f: f.apdex,
    "user_misery": lambda f: f.user_misery,
    "users": lambda f: f.users,
}


_SORTS_BY_USERS = frozenset({"users", "user_misery"})


def parse_sort(sort: str) -> tuple[str, bool]:
    """``-p95`` → ("p95", descending); QueryError for an unknown key."""
    key, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if key not in SORTS:
        raise QueryError(f"invalid sort {sort!r}: use one of {', '.join(SORTS)}")
    return key, descending


def transaction_figures(
    db: Database,
    scope: PerfScope,
    *,
    apdex_ms: Mapping[int, float] | None = None,
    sort: str = "-count",
    limit: int | None = None,
) -> list[TransactionFigures]:
    """Figures per (project, transaction name) over the scope, sorted; missing values last."""
    key, descending = parse_sort(sort)
    start, end = scope.aligned()
    seconds = end - start
    grouped: dict[tuple[int, str], list[_Stored]] = defaultdict(list)
    pieces = scope.pieces()
    # Users and measurements cost most to read and merge: with a limit (and a sort that does
    # not need them), every name is ranked on counts and durations, and only the names shown
    # are read whole.
    rank_first = limit is not None and key not in _SORTS_BY_USERS
    with db.read() as conn:
        for row in _rollup_rows(conn, scope, pieces, totals=False, durations_only=rank_first):
            grouped[(row.project_id, row.name)].append(row)
        if rank_first and limit is not None:
            ranked = [
                _figures(_per_project(rows, durations_only=True), seconds, apdex_ms, name=name)
                for (_pid, name), rows in grouped.items()
            ]
            shown = {(f.project_id, f.name) for f in _sorted(ranked, key, descending)[:limit]}
            grouped = defaultdict(list)
            names = [name for _pid, name in shown]
            for row in _rollup_rows(conn, scope, pieces, totals=False, names=names):
                if (row.project_id, row.name) in shown:
                    grouped[(row.project_id, row.name)].append(row)
    figures = [
        _figures(_per_project(rows), seconds, apdex_ms, name=name)
        for (_pid, name), rows in grouped.items()
    ]
    return _sorted(figures, key, descending)[:limit]


def _sorted(figures: list[TransactionFigures], key: str, descending: bool) -> list[Any]:
    get = SORTS[key]
    present = [f for f in figures if get(f) is not None]
    missing = [f for f in figures if get(f) is None]
    # Ties broken by name so pages are stable.
    present.sort(key=lambda f: f.name)
    present.sort(key=get, reverse=descending)
    missing.sort(key=lambda f: f.name)
    return present + missing


def perf_totals(
    db: Database, scope: PerfScope, *, apdex_ms: Mapping[int, float] | None = None
) -> TransactionFigures:
    """Figures of every transaction in the scope together (or of its one transaction)."""
    start, end = scope.aligned()
    with db.read() as conn:
        rows = list(_rollup_rows(conn, scope, scope.pieces(), totals=scope.transaction is None))
    return _figures(_per_project(rows), end - start, apdex_ms, name=scope.transaction or "")


def apdex_thresholds(db: Database, project_ids: Sequence[int]) -> dict[int, float]:
    """Each project's apdex threshold T in ms (projects.apdex_threshold_ms)."""
    if not project_ids:
        return {}
    p = tables.projects
    stmt = select(p.c.id, p.c.apdex_threshold_ms).where(p.c.id.in_(sorted(set(project_ids))))
    with db.read() as conn:
        return {int(pid): float(ms or DEFAULT_APDEX_MS) for pid, ms in conn.execute(stmt)}


def default_interval(seconds: float) -> int:
    """A chart's bucket size for a range: about 24 to 170 points."""
    if seconds <= 3 * HOUR:
        return MINUTE
    if seconds <= 8 * DAY:
        return HOUR
    return DAY


def perf_series(
    db: Database,
    scope: PerfScope,
    *,
    interval: int | None = None,
    apdex_ms: Mapping[int, float] | None = None,
    durations_only: bool = False,
) -> list[SeriesPoint]:
    """Figures per ``interval`` bucket over the scope, every bucket present, oldest first.

    With ``durations_only`` the figures come from counts and durations alone (users, misery
    and measurements stay empty): charts that do not show those skip their cost."""
    start, end = scope.aligned()
    size = interval or default_interval(end - start)
    if size not in _SIZES:
        raise QueryError(f"invalid interval {size!r}: use 60, 3600 or 86400 seconds")
    first = start // size * size
    last = math.ceil(end / size) * size
    if (last - first) // size > 2000:
        raise QueryError("too many points: choose a larger interval or a shorter range")
    buckets: dict[int, list[_Stored]] = {b: [] for b in range(first, last, size)}
    with db.read() as conn:
        pieces = [(size, first, last)]
        for row in _rollup_rows(
            conn, scope, pieces, totals=scope.transaction is None, durations_only=durations_only
        ):
            buckets[row.bucket].append(row)
    name = scope.transaction or ""
    return [
        SeriesPoint(
            float(b),
            _figures(_per_project(rows, durations_only=durations_only), size, apdex_ms, name=name),
        )
        for b, rows in buckets.items()
    ]


def duration_histogram(db: Database, scope: PerfScope, *, bins: int = 20) -> list[HistogramBin]:
    """Equal-width bins from the fastest to the slowest transaction in the scope (the top 1 %
    share the last bin, so one outlier does not flatten the chart)."""
    if not 1 <= bins <= 200:
        raise QueryError("bins must be between 1 and 200")
    sketches = []
    with db.read() as conn:
        rows = _rollup_rows(
            conn, scope, scope.pieces(), totals=scope.transaction is None, durations_only=True
        )
        for row in rows:
            sketches.append(row.decode(durations_only=True).durations)
    sketch = DurationSketch.merged(sketches)
    if not sketch.count:
        return []
    low = sketch.min or 0.0
    high = max(sketch.quantile(0.99) or low, low)
    return [HistogramBin(lo, hi, n) for lo, hi, n in sketch.histogram(bins, low, high)]


def with_name(scope: PerfScope, name: str | None) -> PerfScope:
    return replace(scope, transaction=name)
