"""catalogue: hồ sơ, pages, transitions, outbox, processed events.

Revision ID: catalogue_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "catalogue_0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "catalogue_file",
        sa.Column("file_code", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(1000), nullable=False),
        sa.Column("number_of_page", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("file_metadata", sa.JSON(), nullable=False),
        sa.Column("accepted_by", sa.String(200), nullable=True),
        sa.Column("accepted_at", TZ, nullable=True),
        sa.Column("package_key", sa.String(300), nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "catalogue_page",
        sa.Column("page_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(300), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("media_type", sa.String(50), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("folded_text", sa.Text(), nullable=True),
        sa.Column("text_key", sa.String(300), nullable=True),
        sa.Column("hocr_key", sa.String(300), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("engine", sa.String(100), nullable=True),
        sa.Column("processed_at", TZ, nullable=True),
    )
    op.create_index("ix_catalogue_page_file_code", "catalogue_page", ["file_code"])
    op.create_table(
        "catalogue_transition",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("from_state", sa.String(30), nullable=False),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_catalogue_transition_file_code", "catalogue_transition", ["file_code"])
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
    op.drop_table("catalogue_transition")
    op.drop_table("catalogue_page")
    op.drop_table("catalogue_file")
