"""A digest batch of transactions folded into per-bucket rollup rows, and figures read off them.

A :class:`TransactionRollup` row holds, per project, transaction name, environment, release and
time bucket, the count, the failures, a duration sketch, measurement sketches and a bounded
sample of users; a :class:`SpanRollup` row holds, per project, transaction, op and normalized
description, the count and a duration sketch. Rows of the same key merge, in any order, into
the same row (sketches and the user sample are order-independent), so minute rows roll up into
hour and day rows that equal aggregating at that size directly.

A transaction lands in the bucket of its *end* timestamp (what Sentry calls the event's
``timestamp``: the moment it is known complete), and its spans land in the same bucket, so a
span row never counts a span whose transaction is in another bucket.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, Self, TypeVar

from heron.rollup.describe import span_group
from heron.rollup.sketch import DEFAULT_MAX_BUCKETS, MAX_VALUE, DurationSketch
from heron.rollup.spans import Transaction

MINUTE, HOUR, DAY = 60, 3600, 86400
MAX_USERS = 1000
DEFAULT_APDEX_MS = 300.0
PERCENTILES = {"p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}

TransactionKey = tuple[int, str, str, str, int]  # project_id, name, environment, release, bucket
SpanKey = tuple[int, str, str, str, int]  # project_id, transaction, op, group, bucket

_HASH_SPACE = float(1 << 64)


def bucket_start(timestamp: float, size: int) -> int:
    """The start (unix seconds, UTC) of the ``size``-second bucket holding ``timestamp``."""
    if size <= 0 or DAY % size:
        raise ValueError(f"bucket size must divide a day: {size!r}")
    return int(timestamp // size) * size


@functools.lru_cache(maxsize=1 << 16)  # capped samples look the same keys up again and again
def _user_hash(user: str) -> int:
    return int.from_bytes(hashlib.blake2b(user.encode(), digest_size=8).digest(), "big")


@dataclass(slots=True)
class TransactionRollup:
    """One transaction name's figures in one bucket (see the module docstring).

    ``users`` maps a user key to that user's slowest duration (ms), which is all user misery
    needs (a user is miserable when any of their transactions took over 4T). Past
    ``MAX_USERS`` distinct users only the ``MAX_USERS`` keys with the smallest hash are kept
    (a bottom-k sample, so merges stay order-independent) and ``users_capped`` is set; counts
    of distinct or miserable users are then estimated from the sample.
    """

    project_id: int
    name: str
    environment: str
    release: str
    bucket: int
    count: int = 0
    failures: int = 0
    durations: DurationSketch = field(default_factory=DurationSketch)
    users: dict[str, float] = field(default_factory=dict)
    users_capped: bool = False
    measurements: dict[str, DurationSketch] = field(default_factory=dict)
    measurement_units: dict[str, str] = field(default_factory=dict)
    # The largest hash in a capped sample: saves a trim for users that would not be kept.
    _hash_limit: tuple[int, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> TransactionKey:
        return (self.project_id, self.name, self.environment, self.release, self.bucket)

    def add(self, txn: Transaction) -> None:
        """Count one transaction (its key fields are not checked)."""
        self.count += 1
        if txn.is_failure:
            self.failures += 1
        duration = min(txn.duration_ms, MAX_VALUE)
        self.durations.add(duration)
        if txn.user is not None:
            self._add_user(txn.user, duration)
        for name, (value, unit) in txn.measurements.items():
            if not 0.0 <= value <= MAX_VALUE:
                continue  # negative or absurd measurements have no place in a sketch
            sketch = self.measurements.get(name)
            if sketch is None:
                sketch = self.measurements[name] = DurationSketch()
            sketch.add(value)
            if unit:
                # Keep the smallest unit name seen, so merging in any order agrees.
                known = self.measurement_units.get(name)
                self.measurement_units[name] = unit if known is None else min(known, unit)

    def _add_user(self, user: str, duration: float) -> None:
        users = self.users
        known = users.get(user)
        if known is not None:
            if duration > known:
                users[user] = duration
            return
        users[user] = duration
        if not self.users_capped:
            if len(users) > MAX_USERS:
                self._cap_users()
            return
        # A capped sample: the new user replaces the largest hash, or is not kept at all.
        limit = self._hash_limit or max((_user_hash(u), u) for u in users if u != user)
        if _user_hash(user) < limit[0]:
            del users[limit[1]]
            limit = max((_user_hash(u), u) for u in users)
        else:
            del users[user]
        self._hash_limit = limit

    def _cap_users(self) -> None:
        self.users_capped = True
        users = self.users
        excess = len(users) - MAX_USERS
        # The excess largest hashes go; the next largest is the new limit. Merges usually
        # overshoot by a few users, so this beats sorting the whole sample.
        ranked = heapq.nlargest(excess + 1, ((_user_hash(user), user) for user in users))
        for _, user in ranked[:excess]:
            del users[user]
        self._hash_limit = ranked[excess]

    def merge(self, other: TransactionRollup) -> None:
        """Add ``other`` (same key) into this row, in place."""
        if other.key != self.key:
            raise ValueError(f"cannot merge rollups of different keys: {other.key} {self.key}")
        self._merge_values(other)

    def _merge_values(self, other: TransactionRollup) -> None:
        self.count += other.count
        self.failures += other.failures
        self.durations.merge(other.durations)
        users = self.users
        # A full capped sample keeps only hashes below its largest: other users need not
        # be added only to be trimmed again (merging many capped rows stays linear).
        limit = self._hash_limit if len(users) >= MAX_USERS else None
        if limit is not None:
            get = users.get
            for user, duration in other.users.items():
                slowest = get(user)
                if slowest is not None:
                    if duration > slowest:
                        users[user] = duration
                elif (_user_hash(user), user) < limit:
                    users[user] = duration
        elif users:
            get = users.get
            for user, duration in other.users.items():
                slowest = get(user)
                if slowest is None or duration > slowest:
                    users[user] = duration
        else:
            users.update(other.users)
        self.users_capped = self.users_capped or other.users_capped
        self._hash_limit = limit
        if len(users) > MAX_USERS:
            self._cap_users()
        for name, sketch in other.measurements.items():
            mine = self.measurements.get(name)
            if mine is None:
                self.measurements[name] = sketch.copy()
            else:
                mine.merge(sketch)
        for name, unit in other.measurement_units.items():
            known = self.measurement_units.get(name)
            self.measurement_units[name] = unit if known is None else min(known, unit)

    def copy(self, bucket: int | None = None) -> TransactionRollup:
        """A deep copy, optionally moved to another bucket."""
        return TransactionRollup(
            self.project_id,
            self.name,
            self.environment,
            self.release,
            self.bucket if bucket is None else bucket,
            self.count,
            self.failures,
            self.durations.copy(),
            dict(self.users),
            self.users_capped,
            {name: sketch.copy() for name, sketch in self.measurements.items()},
            dict(self.measurement_units),
        )


@dataclass(slots=True)
class SpanRollup:
    """One span group (op + normalized description) under one transaction name in one bucket."""

    project_id: int
    transaction: str
    op: str
    group: str  # span_group(op, description)
    description: str  # normalized, for display
    bucket: int
    count: int = 0
    durations: DurationSketch = field(default_factory=DurationSketch)

    @property
    def key(self) -> SpanKey:
        return (self.project_id, self.transaction, self.op, self.group, self.bucket)

    @property
    def total_ms(self) -> float:
        """Time spent in these spans (their summed durations)."""
        return self.durations.sum

    def merge(self, other: SpanRollup) -> None:
        """Add ``other`` (same key) into this row, in place."""
        if other.key != self.key:
            raise ValueError(f"cannot merge rollups of different keys: {other.key} {self.key}")
        self._merge_values(other)

    def _merge_values(self, other: SpanRollup) -> None:
        self.count += other.count
        self.durations.merge(other.durations)

    def copy(self, bucket: int | None = None) -> SpanRollup:
        """A deep copy, optionally moved to another bucket."""
        return SpanRollup(
            self.project_id,
            self.transaction,
            self.op,
            self.group,
            self.description,
            self.bucket if bucket is None else bucket,
            self.count,
            self.durations.copy(),
        )


def aggregate(
    project_id: int,
    transactions: Iterable[Transaction],
    *,
    bucket_size: int = MINUTE,
    span_bucket_size: int | None = None,
) -> tuple[dict[TransactionKey, TransactionRollup], dict[SpanKey, SpanRollup]]:
    """Transaction and span rollup rows, by key, for one project's batch of transactions.

    Span rows use ``span_bucket_size`` when given (default: ``bucket_size``): the same rows
    as rolling them up to that size afterwards, without the rows in between.
    """
    span_size = bucket_size if span_bucket_size is None else span_bucket_size
    bucket_start(0, bucket_size)  # validates the sizes once
    bucket_start(0, span_size)
    txn_rows: dict[TransactionKey, TransactionRollup] = {}
    span_rows: dict[SpanKey, SpanRollup] = {}
    # Spans keep their normalized description; batches repeat the same few groups.
    groups: dict[tuple[str, str], str] = {}
    for txn in transactions:
        name, end = txn.name, txn.end
        bucket = int(end // bucket_size) * bucket_size
        env, release = txn.environment or "", txn.release or ""
        tkey = (project_id, name, env, release, bucket)
        row = txn_rows.get(tkey)
        if row is None:
            row = txn_rows[tkey] = TransactionRollup(project_id, name, env, release, bucket)
        row.add(txn)
        if not txn.spans:
            continue
        span_bucket = bucket if span_size == bucket_size else int(end // span_size) * span_size
        for span in txn.spans:
            op, described = span.op, span.normalized_description
            group = groups.get((op, described))
            if group is None:
                group = groups[(op, described)] = span_group(op, described)
            skey = (project_id, name, op, group, span_bucket)
            srow = span_rows.get(skey)
            if srow is None:
                srow = SpanRollup(project_id, name, op, group, described, span_bucket)
                span_rows[skey] = srow
            srow.count += 1
            srow.durations.add(min(span.duration_ms, MAX_VALUE))
    return txn_rows, span_rows


class _Rollup(Protocol):
    @property
    def bucket(self) -> int: ...
    @property
    def key(self) -> tuple[int, str, str, str, int]: ...
    def merge(self, other: Self, /) -> None: ...
    def _merge_values(self, other: Self, /) -> None: ...
    def copy(self, bucket: int | None = None) -> Self: ...


R = TypeVar("R", bound=_Rollup)


def roll_up(rows: Iterable[R], bucket_size: int) -> dict[tuple[int, str, str, str, int], R]:
    """``rows`` moved into ``bucket_size`` buckets (e.g. minutes into hours), merged by key.

    The input rows are left untouched.
    """
    bucket_start(0, bucket_size)  # validates the size once
    result: dict[tuple[int, str, str, str, int], R] = {}
    for row in rows:
        bucket = row.bucket // bucket_size * bucket_size
        key = (*row.key[:4], bucket)
        known = result.get(key)
        if known is None:
            result[key] = row.copy(bucket)
        else:
            known._merge_values(row)  # same key but for the bucket, which is known to match
    return result


# --- figures ---------------------------------------------------------------------------------


def combine(rows: Iterable[TransactionRollup]) -> TransactionRollup:
    """One row totalling ``rows`` of any keys (e.g. a name over a week, or a whole project).

    Key fields shared by every row are kept, the others become "" (project 0); the bucket is
    the earliest one. An empty input gives an empty row. The user samples are united first
    and capped once: the bottom-k of a union of bottom-k samples is the union's bottom-k, so
    this equals merging the rows one by one, without trimming after every row.
    """
    rows = list(rows)
    if not rows:
        return TransactionRollup(0, "", "", "", 0)
    first = rows[0]
    if (
        len(rows) == 1
        and len(first.users) <= MAX_USERS
        and first.durations.max_buckets <= DEFAULT_MAX_BUCKETS
    ):
        # What the loop below makes of one row (no cap to lower, no sample to trim), and the
        # common case of the digest's per-bucket totals.
        return first.copy()
    total = TransactionRollup(
        first.project_id if all(r.project_id == first.project_id for r in rows) else 0,
        first.name if all(r.name == first.name for r in rows) else "",
        first.environment if all(r.environment == first.environment for r in rows) else "",
        first.release if all(r.release == first.release for r in rows) else "",
        min(r.bucket for r in rows),
        sum(r.count for r in rows),
        sum(r.failures for r in rows),
        DurationSketch.merged(r.durations for r in rows),
    )
    users = total.users
    for row in rows:
        if not users:
            users.update(row.users)
            continue
        get = users.get
        for user, duration in row.users.items():
            slowest = get(user)
            if slowest is None or duration > slowest:
                users[user] = duration
    total.users_capped = any(r.users_capped for r in rows)
    if len(users) > MAX_USERS:
        total._cap_users()
    for row in rows:
        for name, sketch in row.measurements.items():
            mine = total.measurements.get(name)
            if mine is None:
                total.measurements[name] = sketch.copy()
            else:
                mine.merge(sketch)
        for name, unit in row.measurement_units.items():
            known = total.measurement_units.get(name)
            total.measurement_units[name] = unit if known is None else min(known, unit)
    return total


def throughput(row: TransactionRollup, range_seconds: float) -> float:
    """Transactions per minute over a time range of ``range_seconds``."""
    if range_seconds <= 0:
        raise ValueError("range must be positive")
    return row.count * 60.0 / range_seconds


def failure_rate(row: TransactionRollup) -> float | None:
    """Share of failed transactions; None when there are none."""
    return row.failures / row.count if row.count else None


def apdex(row: TransactionRollup, threshold_ms: float = DEFAULT_APDEX_MS) -> float | None:
    """(satisfied + tolerating / 2) / count with satisfied ≤ T < tolerating ≤ 4T."""
    return row.durations.apdex(threshold_ms)


def percentiles(row: TransactionRollup | SpanRollup) -> dict[str, float | None]:
    """p50, p75, p95 and p99 of the durations (ms, within 1 %)."""
    values = row.durations.quantiles(list(PERCENTILES.values()))
    return dict(zip(PERCENTILES, values, strict=True))


def _sample_scale(row: TransactionRollup) -> float:
    """How many distinct users each sampled user stands for (1 unless capped)."""
    users = row.users
    if not row.users_capped or len(users) < 2:
        return 1.0
    # Bottom-k estimate: k - 1 over the k-th smallest hash as a fraction of the hash space.
    kth = max(_user_hash(user) for user in users) + 1
    return (len(users) - 1) / (kth / _HASH_SPACE) / len(users)


def distinct_users(row: TransactionRollup) -> float:
    """Distinct users seen: exact up to ``MAX_USERS``, an estimate (±~3 %) past it."""
    return len(row.users) * _sample_scale(row)


def miserable_users(row: TransactionRollup, threshold_ms: float = DEFAULT_APDEX_MS) -> float:
    """Users with a transaction slower than 4T: exact up to ``MAX_USERS``, else estimated."""
    frustrated = 4 * threshold_ms
    slow = sum(1 for duration in row.users.values() if duration > frustrated)
    return slow * _sample_scale(row)


def user_misery(row: TransactionRollup, threshold_ms: float = DEFAULT_APDEX_MS) -> float | None:
    """Share of distinct users that were miserable; None when no user was identified."""
    if not row.users:
        return None
    return miserable_users(row, threshold_ms) / distinct_users(row)
