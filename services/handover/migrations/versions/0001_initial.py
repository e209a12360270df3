"""handover: packages, outbox, processed events.

Revision ID: handover_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "handover_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handover_package",
        sa.Column("package_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("accept_event_id", sa.String(100), nullable=False, unique=True),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("payload_oxum", sa.String(50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handover_package_file_code", "handover_package", ["file_code"])
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
    op.drop_index("ix_handover_package_file_code", "handover_package")
    op.drop_table("handover_package")
