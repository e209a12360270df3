"""ingest: its own view of which hồ sơ may take scans, kept from file-state-changed.

Revision ID: ingest_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingest_0002"
down_revision = "ingest_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_file",
        sa.Column("file_code", sa.String(100), primary_key=True),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("open_for_scanning", sa.Boolean(), nullable=False),
        sa.Column("arranged", sa.Boolean(), nullable=False),
        sa.Column("number_of_page", sa.BigInteger(), nullable=True),
        sa.Column("rescan_sequences", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingest_file")
