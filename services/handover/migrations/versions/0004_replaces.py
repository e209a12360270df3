"""handover: a package that replaces an earlier package of the same hồ sơ names it.

Revision ID: handover_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "handover_0004"
down_revision = "handover_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handover_package") as batch:
        batch.add_column(sa.Column("replaces", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handover_package") as batch:
        batch.drop_column("replaces")
