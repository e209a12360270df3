"""gateway: clients (API keys hashed) and the people acting through them.

Revision ID: gateway_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gateway_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_client",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "gateway_person",
        sa.Column("client", sa.String(50), sa.ForeignKey("gateway_client.name"), primary_key=True),
        sa.Column("username", sa.String(50), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("gateway_person")
    op.drop_table("gateway_client")
