"""ingest: pages, outbox, processed events.

Revision ID: ingest_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "ingest_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_page",
        sa.Column("page_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(50), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("file_code", "sequence", name="uq_ingest_page_sequence"),
    )
    op.create_index("ix_ingest_page_file_code", "ingest_page", ["file_code"])
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
    op.drop_index("ix_ingest_page_file_code", "ingest_page")
    op.drop_table("ingest_page")
