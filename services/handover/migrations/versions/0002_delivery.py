"""handover: deliveries to the national archive and their receipts.

Revision ID: handover_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "handover_0002"
down_revision = "handover_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handover_delivery",
        sa.Column("package_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt_id", sa.String(100), nullable=True),
        sa.Column("reasons", sa.String(), nullable=False),
    )
    op.create_index("ix_handover_delivery_file_code", "handover_delivery", ["file_code"])


def downgrade() -> None:
    op.drop_index("ix_handover_delivery_file_code", "handover_delivery")
    op.drop_table("handover_delivery")
