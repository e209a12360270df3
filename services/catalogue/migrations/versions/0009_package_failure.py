"""catalogue: why handover could not build a hồ sơ's package (package-failed), kept on it.

Revision ID: catalogue_0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0009"
down_revision = "catalogue_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.add_column(sa.Column("package_failure", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_file") as batch:
        batch.drop_column("package_failure")
