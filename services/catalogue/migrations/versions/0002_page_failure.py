"""catalogue: why a page could not be read (page-failed).

Revision ID: catalogue_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0002"
down_revision = "catalogue_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_page") as batch:
        batch.add_column(sa.Column("failure_code", sa.String(100), nullable=True))
        batch.add_column(sa.Column("failure_detail", sa.String(2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_page") as batch:
        batch.drop_column("failure_detail")
        batch.drop_column("failure_code")
