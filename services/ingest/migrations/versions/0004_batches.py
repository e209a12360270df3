"""ingest: batches (đợt quét) and their page numbers, for completeness when closed.

Revision ID: ingest_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingest_0004"
down_revision = "ingest_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_batch",
        sa.Column("batch_id", sa.String(100), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("sequences", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_ingest_batch_file_code", "ingest_batch", ["file_code"])


def downgrade() -> None:
    op.drop_index("ix_ingest_batch_file_code", "ingest_batch")
    op.drop_table("ingest_batch")
