"""llm calls, prices and budgets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "llm_calls",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("span_id", sa.String(length=32), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("request_model", sa.String(length=200), nullable=True),
        sa.Column("response_model", sa.String(length=200), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("streaming", sa.Boolean(), nullable=True),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cache_read_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=True),
        sa.Column("output_tokens", sa.BigInteger(), nullable=True),
        sa.Column("reasoning_tokens", sa.BigInteger(), nullable=True),
        sa.Column("total_tokens", sa.BigInteger(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("price_version", sa.String(length=64), nullable=True),
        sa.Column("transaction", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=64), server_default="", nullable=False),
        sa.Column("release", sa.String(length=250), server_default="", nullable=False),
        sa.Column("user_key", sa.String(length=300), nullable=True),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=200), nullable=True),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.String(length=200), nullable=True),
        sa.Column("prompt_chars", sa.Integer(), nullable=True),
        sa.Column("response_chars", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_calls")),
        sa.UniqueConstraint(
            "project_id",
            "trace_id",
            "span_id",
            name=op.f("uq_llm_calls_project_id_trace_id_span_id"),
        ),
    )
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_llm_calls_project_timestamp", ["project_id", "timestamp"], unique=False
        )
        batch_op.create_index("ix_llm_calls_project_job", ["project_id", "job_id"], unique=False)
    op.create_table(
        "llm_prices",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("input", sa.String(length=40), nullable=False),
        sa.Column("output", sa.String(length=40), nullable=False),
        sa.Column("cached_input", sa.String(length=40), nullable=True),
        sa.Column("cache_write", sa.String(length=40), nullable=True),
        sa.Column("reasoning", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "model", name=op.f("pk_llm_prices")),
    )
    op.create_table(
        "llm_budgets",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_value", sa.String(length=300), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("thresholds", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_budgets")),
    )
    with op.batch_alter_table("llm_budgets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_budgets_project_id"), ["project_id"], unique=False)
    op.create_table(
        "llm_budget_events",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("budget_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.Column("crossed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_budget_events")),
        sa.UniqueConstraint(
            "budget_id",
            "period_start",
            "threshold",
            name=op.f("uq_llm_budget_events_budget_id_period_start_threshold"),
        ),
    )


def downgrade() -> None:
    op.drop_table("llm_budget_events")
    with op.batch_alter_table("llm_budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_budgets_project_id"))
    op.drop_table("llm_budgets")
    op.drop_table("llm_prices")
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_llm_calls_project_job")
        batch_op.drop_index("ix_llm_calls_project_timestamp")
    op.drop_table("llm_calls")
