"""gateway: webhook subscriptions and their deliveries; the processed-event record of the
consumer of file-state-changed.

Revision ID: gateway_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_processed_event_table

revision = "gateway_0003"
down_revision = "gateway_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_webhook",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client", sa.String(50), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_gateway_webhook_client", "gateway_webhook", ["client"])
    op.create_table(
        "gateway_webhook_delivery",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "subscription", sa.String(36), sa.ForeignKey("gateway_webhook.id"), nullable=False
        ),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("subscription", "event_id"),
    )
    op.create_index(
        "ix_gateway_webhook_delivery_subscription", "gateway_webhook_delivery", ["subscription"]
    )
    op.create_index(
        "ix_gateway_webhook_delivery_next_attempt_at",
        "gateway_webhook_delivery",
        ["next_attempt_at"],
    )
    create_processed_event_table()


def downgrade() -> None:
    op.drop_table("processed_event")
    op.drop_table("gateway_webhook_delivery")
    op.drop_table("gateway_webhook")
