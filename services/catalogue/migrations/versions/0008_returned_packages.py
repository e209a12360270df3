"""catalogue: the packages the national archive refused, so a re-sent announcement of one
(a broker re-drive, a redelivery) is known for stale instead of dead-lettered.

Revision ID: catalogue_0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0008"
down_revision = "catalogue_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.add_column(
            sa.Column("returned_packages", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.drop_column("returned_packages")
