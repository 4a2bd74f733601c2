"""span rollups by the hour and the day only

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The digest no longer writes minute span rows and nothing reads them.
    op.execute("DELETE FROM span_rollups WHERE size = 60")


def downgrade() -> None:
    pass  # the minute rows are not rebuilt: hour rows hold the same spans
