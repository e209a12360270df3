"""Tables every service database has (outbox, processed events), for services' Alembic
revisions. Written as explicit operations, not from the models, so a revision never changes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_messaging_tables() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(100), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_message_sent_at", "outbox_message", ["sent_at"])
    create_processed_event_table()


def create_processed_event_table() -> None:
    """The processed-event record alone, for a service that consumes but never publishes
    (the gateway's webhooks)."""
    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_messaging_tables() -> None:
    op.drop_table("processed_event")
    op.drop_index("ix_outbox_message_sent_at", "outbox_message")
    op.drop_table("outbox_message")
