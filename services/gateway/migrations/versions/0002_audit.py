"""gateway: the audit log (nhật ký truy cập), append-only.

Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), so not even a mistaken
statement by hand changes what was recorded.

Revision ID: gateway_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gateway_0002"
down_revision = "gateway_0001"
branch_labels = None
depends_on = None

POSTGRES = (
    """CREATE FUNCTION gateway_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'gateway_audit is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER gateway_audit_no_change BEFORE UPDATE OR DELETE ON gateway_audit
    FOR EACH ROW EXECUTE FUNCTION gateway_audit_append_only()""",
    """CREATE TRIGGER gateway_audit_no_truncate BEFORE TRUNCATE ON gateway_audit
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_audit_append_only()""",
)
SQLITE = tuple(
    f"""CREATE TRIGGER gateway_audit_no_{verb.lower()} BEFORE {verb} ON gateway_audit
    BEGIN SELECT RAISE(ABORT, 'gateway_audit is append-only ({verb} refused)'); END"""
    for verb in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    op.create_table(
        "gateway_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(50), nullable=True),
        sa.Column("person", sa.String(200), nullable=True),
        sa.Column("username", sa.String(50), nullable=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("operation", sa.String(300), nullable=False),
        sa.Column("file_code", sa.String(100), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=True),
    )
    for column in ("at", "client", "file_code"):
        op.create_index(f"ix_gateway_audit_{column}", "gateway_audit", [column])
    statements = POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE gateway_audit")
        op.execute("DROP FUNCTION gateway_audit_append_only()")
        return
    op.drop_table("gateway_audit")
