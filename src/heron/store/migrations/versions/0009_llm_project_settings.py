"""llm project settings: job and channel tag keys, opt-in prompt storage; cache savings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN: a batch copy of ``projects`` would break the foreign
    # keys that point at it.
    op.add_column(
        "projects",
        sa.Column("llm_job_tag", sa.String(length=32), server_default="job_id", nullable=False),
    )
    op.add_column(
        "projects",
        sa.Column(
            "llm_channel_tag", sa.String(length=32), server_default="channel", nullable=False
        ),
    )
    op.add_column(
        "projects",
        sa.Column("llm_store_prompts", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("llm_calls", sa.Column("prompt", sa.Text(), nullable=True))
    op.add_column("llm_calls", sa.Column("response", sa.Text(), nullable=True))
    op.add_column("llm_calls", sa.Column("cache_savings_usd", sa.Float(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as above.
    for table, column in (
        ("llm_calls", "cache_savings_usd"),
        ("llm_calls", "response"),
        ("llm_calls", "prompt"),
        ("projects", "llm_store_prompts"),
        ("projects", "llm_channel_tag"),
        ("projects", "llm_job_tag"),
    ):
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
