"""perf rollup rows over all environments and releases

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op

from heron.rollup import TransactionRollup, combine, decode_rollup, encode_rollup_data

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# As in heron.store.tables: the marker value and the sizes that have such rows.
ALL_VALUES = "\x1f"
SIZES = (3600, 86400)
_BUCKETS_PER_READ = 48

_pr = sa.table(
    "perf_rollups",
    sa.column("project_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("environment", sa.String),
    sa.column("release", sa.String),
    sa.column("size", sa.Integer),
    sa.column("bucket", sa.Integer),
    sa.column("count", sa.BigInteger),
    sa.column("failures", sa.BigInteger),
    sa.column("data", sa.LargeBinary),
)


def upgrade() -> None:
    """Build the hour and day rows over every release of an environment and over every
    environment and release from the stored ones (what the digest writes from now on)."""
    conn = op.get_bind()
    c = _pr.c
    conn.execute(sa.delete(_pr).where(sa.or_(c.environment == ALL_VALUES, c.release == ALL_VALUES)))
    keys = conn.execute(
        sa.select(c.project_id, c.size, c.bucket).where(c.size.in_(SIZES)).distinct()
    ).all()
    per_scope: dict[tuple[int, int], list[int]] = defaultdict(list)
    for project_id, size, bucket in keys:
        per_scope[(int(project_id), int(size))].append(int(bucket))
    for (project_id, size), buckets in sorted(per_scope.items()):
        buckets.sort()
        for start in range(0, len(buckets), _BUCKETS_PER_READ):
            chunk = buckets[start : start + _BUCKETS_PER_READ]
            _build(conn, project_id, size, chunk)


def _build(conn: sa.Connection, project_id: int, size: int, buckets: list[int]) -> None:
    c = _pr.c
    stmt = (
        sa.select(c.name, c.environment, c.release, c.bucket, c.count, c.failures, c.data)
        .where(c.project_id == project_id, c.size == size, c.bucket.in_(buckets))
        .order_by(c.bucket, c.name, c.environment)
    )
    rows = [
        decode_rollup(
            (project_id, name, env, release, int(bucket)), int(count), int(failures), bytes(data)
        )
        for name, env, release, bucket, count, failures, data in conn.execute(stmt)
    ]
    new: list[dict[str, Any]] = []
    for (bucket, name), members in groupby(rows, key=lambda r: (r.bucket, r.name)):
        per_environment = [
            _total(list(group), environment, ALL_VALUES)
            for environment, group in groupby(members, key=lambda r: r.environment)
        ]
        for total in [*per_environment, _total(per_environment, ALL_VALUES, ALL_VALUES)]:
            new.append(
                {
                    "project_id": project_id,
                    "name": name,
                    "environment": total.environment,
                    "release": total.release,
                    "size": size,
                    "bucket": bucket,
                    "count": total.count,
                    "failures": total.failures,
                    "data": encode_rollup_data(total),
                }
            )
    if new:
        conn.execute(sa.insert(_pr), new)


def _total(members: list[TransactionRollup], environment: str, release: str) -> TransactionRollup:
    total = combine(members)
    total.environment, total.release = environment, release
    return total


def downgrade() -> None:
    c = _pr.c
    op.get_bind().execute(
        sa.delete(_pr).where(sa.or_(c.environment == ALL_VALUES, c.release == ALL_VALUES))
    )
