"""catalogue: the national archive's receipt kept when it arrives before its package.

Revision ID: catalogue_0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0007"
down_revision = "catalogue_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.add_column(sa.Column("early_answers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.drop_column("early_answers")
