"""ingest: page versions (re-scans never overwrite), colour mode, warnings, station, operator.

Revision ID: ingest_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingest_0003"
down_revision = "ingest_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_page") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("current", sa.Boolean(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("colour_mode", sa.String(10), nullable=False, server_default="RGB")
        )
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("station", sa.String(100), nullable=True))
        batch.add_column(sa.Column("operator", sa.String(100), nullable=True))
        batch.add_column(sa.Column("container_key", sa.String(300), nullable=True))
        batch.add_column(sa.Column("replaces", sa.String(36), nullable=True))
        batch.drop_constraint("uq_ingest_page_sequence", type_="unique")
        batch.create_unique_constraint(
            "uq_ingest_page_version", ["file_code", "sequence", "version"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_page") as batch:
        batch.drop_constraint("uq_ingest_page_version", type_="unique")
        batch.create_unique_constraint("uq_ingest_page_sequence", ["file_code", "sequence"])
        for column in ("replaces", "container_key", "operator", "station", "warnings"):
            batch.drop_column(column)
        for column in ("colour_mode", "current", "version"):
            batch.drop_column(column)
