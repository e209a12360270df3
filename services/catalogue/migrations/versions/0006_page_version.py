"""catalogue: the version of a page (ingest's count of re-scans at its number).

Revision ID: catalogue_0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0006"
down_revision = "catalogue_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_page") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_page") as batch:
        batch.drop_column("version")
