"""gateway: the hồ sơ each audit entry touched, as the answering service named them (a
search's hits, a list, the codes of a body), so the log finds a restricted hồ sơ read through
a search, not only one named in the path (issue 14).

Append-only as ``gateway_audit`` is: the same trigger function refuses UPDATE, DELETE and
TRUNCATE on PostgreSQL, triggers of its own on SQLite.

Revision ID: gateway_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gateway_0004"
down_revision = "gateway_0003"
branch_labels = None
depends_on = None

POSTGRES = (
    """CREATE TRIGGER gateway_audit_record_no_change BEFORE UPDATE OR DELETE
    ON gateway_audit_record FOR EACH ROW EXECUTE FUNCTION gateway_audit_append_only()""",
    """CREATE TRIGGER gateway_audit_record_no_truncate BEFORE TRUNCATE ON gateway_audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_audit_append_only()""",
)
SQLITE = tuple(
    f"""CREATE TRIGGER gateway_audit_record_no_{verb.lower()} BEFORE {verb}
    ON gateway_audit_record
    BEGIN SELECT RAISE(ABORT, 'gateway_audit_record is append-only ({verb} refused)'); END"""
    for verb in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    # Entries from before say nothing of records touched: NULL, not 0.
    op.add_column("gateway_audit", sa.Column("records_count", sa.Integer(), nullable=True))
    op.create_table(
        "gateway_audit_record",
        sa.Column(
            "entry_id",
            sa.Integer(),
            sa.ForeignKey("gateway_audit.id"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
    )
    op.create_index("ix_gateway_audit_record_file_code", "gateway_audit_record", ["file_code"])
    statements = POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("gateway_audit_record")  # its triggers go with it
    op.drop_column("gateway_audit", "records_count")  # SQLite ≥ 3.35 drops it in place
