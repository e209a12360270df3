"""handover: a delivery keeps the receipt as the national archive gave it (who answered,
when, and the SHA-256 it received), so the biên nhận can be shown and downloaded.

Revision ID: handover_0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "handover_0005"
down_revision = "handover_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handover_delivery") as batch:
        batch.add_column(sa.Column("receiver", sa.String(200), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("received_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handover_delivery") as batch:
        batch.drop_column("received_sha256")
        batch.drop_column("answered_at")
        batch.drop_column("receiver")
