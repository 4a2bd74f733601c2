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
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("llm_job_tag", sa.String(length=32), server_default="job_id", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "llm_channel_tag", sa.String(length=32), server_default="channel", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("llm_store_prompts", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("response", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cache_savings_usd", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.drop_column("cache_savings_usd")
        batch_op.drop_column("response")
        batch_op.drop_column("prompt")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("llm_store_prompts")
        batch_op.drop_column("llm_channel_tag")
        batch_op.drop_column("llm_job_tag")
