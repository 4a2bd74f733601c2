"""llm rollups: usage per hour and day of each dimension's values

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = [
        "calls",
        "errors",
        "input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "total_tokens",
        "usage_tokens",
        "unknown_tokens",
        "unpriced",
    ]
    op.create_table(
        "llm_rollups",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in counters),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("cache_savings_usd", sa.Float(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("durations", sa.LargeBinary(), nullable=True),
        sa.Column("ttfts", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint(
            "project_id",
            "dimension",
            "size",
            "bucket",
            "environment",
            "value",
            name=op.f("pk_llm_rollups"),
        ),
    )
    # Calls stored before this version are summed into the new table.
    from heron.digest.llm_rollups import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("llm_rollups")
