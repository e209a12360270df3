"""handover: recorded SHA-256 of stored objects and their fixity checks.

Revision ID: handover_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "handover_0003"
down_revision = "handover_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handover_fixity",
        sa.Column("area", sa.String(20), primary_key=True),
        sa.Column("object_key", sa.String(300), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("actual_sha256", sa.String(64), nullable=False),
    )
    op.create_index("ix_handover_fixity_file_code", "handover_fixity", ["file_code"])
    op.create_table(
        "handover_fixity_check",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("area", sa.String(20), nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
    )
    op.create_index("ix_handover_fixity_check_object_key", "handover_fixity_check", ["object_key"])


def downgrade() -> None:
    op.drop_index("ix_handover_fixity_check_object_key", "handover_fixity_check")
    op.drop_table("handover_fixity_check")
    op.drop_index("ix_handover_fixity_file_code", "handover_fixity")
    op.drop_table("handover_fixity")
