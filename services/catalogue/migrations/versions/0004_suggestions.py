"""catalogue: biên mục tự động — suggestions kept on the hồ sơ, confirmations as ground truth.

Revision ID: catalogue_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0004"
down_revision = "catalogue_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.add_column(sa.Column("suggestions", sa.JSON(), nullable=True))
    op.create_table(
        "catalogue_correction",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(30), nullable=False),
        sa.Column("suggested", sa.Text(), nullable=True),
        sa.Column("confirmed", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_catalogue_correction_file_code", "catalogue_correction", ["file_code"])


def downgrade() -> None:
    op.drop_index("ix_catalogue_correction_file_code", "catalogue_correction")
    op.drop_table("catalogue_correction")
    with op.batch_alter_table("catalogue_file") as batch:
        batch.drop_column("suggestions")
