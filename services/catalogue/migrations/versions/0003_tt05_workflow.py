"""catalogue: TT 05/2025 description, the programme's workflow, phông and records.

Existing data is kept: free-form ``file_metadata`` becomes the ``extension`` and every value in
it that is a TT 05 element in its schema form moves to its own column (anything else stays in
the extension, where kiểm tra reports it); page text moves to its own table; the transition's
``actor`` becomes its ``client``; accepted hồ sơ get a nghiệm thu record of their acceptance.
Self-contained on purpose: a migration never changes with the code after it.

Revision ID: catalogue_0003
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0003"
down_revision = "catalogue_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
LEGACY_ACCEPTANCE = uuid.UUID("3d2f6a0e-9c1b-4f57-8e22-6b1d0c7a4e95")
CODES = {
    "maintenance": {f"{n:02d}" for n in range(1, 8)},
    "mode": {"01", "02", "03"},
    "format": {"01", "02", "03"},
    "confidenceLevel": {"01", "02", "03"},
    "riskRecoveryStatus": {"01", "02"},
}
COLUMN_OF = {
    "maintenance": "maintenance",
    "mode": "mode",
    "format": "format",
    "confidenceLevel": "confidence_level",
    "riskRecoveryStatus": "risk_recovery_status",
    "keyword": "keyword",
    "inforSign": "infor_sign",
    "paperFileCode": "paper_file_code",
    "description": "description",
}
TEXT_LIMITS = {"keyword": 100, "inforSign": 30, "paperFileCode": 100, "description": 2000}
_DATE = re.compile(r"(?:(?:(\d{1,2})/)?(\d{1,2})/)?(\d{4})")
_LANGUAGES = re.compile(r"(0[1-9]|1[01])(,(0[1-9]|1[01]))*")


def _stored_date(text: str) -> str | None:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    day, month, year = match.groups()
    if month is None:
        return year
    if not 1 <= int(month) <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return None
    return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")


def _columns_from(metadata: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """TT 05 elements in their schema form → columns; the rest stays as the extension."""
    columns: dict[str, Any] = {}
    extension: dict[str, str] = {}
    for name, raw in metadata.items():
        value = str(raw).strip()
        if (name in CODES and value in CODES[name]) or (
            name in TEXT_LIMITS and len(value) <= TEXT_LIMITS[name]
        ):
            columns[COLUMN_OF[name]] = value
        elif name == "language" and _LANGUAGES.fullmatch(value):
            columns["language"] = value
        elif name in ("startDate", "endDate") and _stored_date(value):
            columns["start_date" if name == "startDate" else "end_date"] = _stored_date(value)
        elif name in ("totalDoc", "numberOfPaper") and value.isdigit():
            columns["total_doc" if name == "totalDoc" else "number_of_paper"] = int(value)
        else:
            extension[name] = str(raw)
    return columns, extension


def upgrade() -> None:
    op.create_table(
        "catalogue_fonds",
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("agency_code", sa.String(50), nullable=True),
        sa.Column("history", sa.Text(), nullable=True),
        sa.Column("time_range", sa.String(100), nullable=True),
        sa.Column("total_docs", sa.BigInteger(), nullable=True),
        sa.Column("classification", sa.Text(), nullable=True),
        sa.Column("languages", sa.String(100), nullable=True),
        sa.Column("backup_regime", sa.String(500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
    )
    with op.batch_alter_table("catalogue_file") as batch:
        batch.alter_column("file_metadata", new_column_name="extension")
        batch.alter_column("number_of_page", type_=sa.BigInteger(), existing_nullable=False)
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        for name, kind in (
            ("agency_code", sa.String(100)),
            ("file_year", sa.Integer()),
            ("file_number", sa.String(100)),
            ("fonds_code", sa.String(50)),
            ("group_name", sa.String(200)),
            ("inventory_number", sa.String(50)),
            ("maintenance", sa.String(2)),
            ("mode", sa.String(2)),
            ("language", sa.String(100)),
            ("start_date", sa.String(10)),
            ("end_date", sa.String(10)),
            ("keyword", sa.String(100)),
            ("total_doc", sa.BigInteger()),
            ("number_of_paper", sa.BigInteger()),
            ("format", sa.String(2)),
            ("infor_sign", sa.String(30)),
            ("confidence_level", sa.String(2)),
            ("paper_file_code", sa.String(100)),
            ("risk_recovery_status", sa.String(2)),
            ("description", sa.String(2000)),
            ("approval", sa.JSON()),
            ("arrangement", sa.JSON()),
            ("verification_id", sa.String(36)),
            ("acceptance_id", sa.String(36)),
            ("package_id", sa.String(36)),
        ):
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.add_column(
            sa.Column("risk_recovery", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("criteria", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("rescan", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_index("ix_catalogue_file_state", ["state"])
        batch.create_index("ix_catalogue_file_fonds_code", ["fonds_code"])

    op.create_table(
        "catalogue_document",
        sa.Column("file_code", sa.String(100), primary_key=True),
        sa.Column("ordinal", sa.Integer(), primary_key=True),
        sa.Column("first_page", sa.Integer(), nullable=False),
        sa.Column("last_page", sa.Integer(), nullable=False),
        sa.Column("type_name", sa.String(2), nullable=True),
        sa.Column("code_number", sa.String(11), nullable=True),
        sa.Column("code_notation", sa.String(30), nullable=True),
        sa.Column("issued_date", sa.String(10), nullable=True),
        sa.Column("organ_name", sa.String(200), nullable=True),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("language", sa.String(100), nullable=True),
        sa.Column("number_of_page", sa.Integer(), nullable=True),
        sa.Column("maintenance", sa.String(2), nullable=True),
        sa.Column("mode", sa.String(2), nullable=True),
        sa.Column("infor_sign", sa.String(30), nullable=True),
        sa.Column("keyword", sa.String(100), nullable=True),
        sa.Column("confidence_level", sa.String(2), nullable=True),
        sa.Column("autograph", sa.String(2000), nullable=True),
        sa.Column("format", sa.String(2), nullable=True),
        sa.Column("risk_recovery", sa.Boolean(), nullable=True),
        sa.Column("risk_recovery_status", sa.String(2), nullable=True),
        sa.Column("process", sa.Boolean(), nullable=True),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("extension", sa.JSON(), nullable=False),
    )
    op.create_table(
        "catalogue_page_text",
        sa.Column("page_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded_text", sa.Text(), nullable=False),
    )
    op.create_index("ix_catalogue_page_text_file_code", "catalogue_page_text", ["file_code"])
    op.execute(
        "INSERT INTO catalogue_page_text (page_id, file_code, sequence, text, folded_text) "
        "SELECT page_id, file_code, sequence, text, COALESCE(folded_text, '') "
        "FROM catalogue_page WHERE text IS NOT NULL"
    )
    with op.batch_alter_table("catalogue_page") as batch:
        batch.drop_column("text")
        batch.drop_column("folded_text")
        for name, kind in (
            ("width", sa.Integer()),
            ("height", sa.Integer()),
            ("dpi", sa.Integer()),
            ("received_at", TZ),
            ("alto_key", sa.String(300)),
            ("pdf_key", sa.String(300)),
            ("image_key", sa.String(300)),
            ("quality", sa.JSON()),
            ("replaced_by", sa.String(36)),
        ):
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("catalogue_transition") as batch:
        batch.alter_column(
            "actor", new_column_name="client", existing_type=sa.String(200), existing_nullable=False
        )
        batch.add_column(sa.Column("person", sa.String(200), nullable=True))

    op.create_table(
        "catalogue_selection_decision",
        sa.Column("decision_id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("signed_on", sa.String(10), nullable=False),
        sa.Column("signer", sa.String(200), nullable=False),
        sa.Column("file_codes", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("person", sa.String(200), nullable=True),
        sa.Column("at", TZ, nullable=False),
        sa.UniqueConstraint("number", "signed_on", name="uq_catalogue_decision"),
    )
    op.create_table(
        "catalogue_acceptance",
        sa.Column("acceptance_id", sa.String(36), primary_key=True),
        sa.Column("minutes_number", sa.String(100), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("file_codes", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("person", sa.String(200), nullable=True),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_table(
        "catalogue_verification",
        sa.Column("verification_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("waivers", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("person", sa.String(200), nullable=True),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_catalogue_verification_file_code", "catalogue_verification", ["file_code"])
    _move_metadata_to_columns()


def _move_metadata_to_columns() -> None:
    connection = op.get_bind()
    files = sa.table(
        "catalogue_file",
        sa.column("file_code", sa.String()),
        sa.column("extension", sa.JSON()),
        sa.column("state", sa.String()),
        sa.column("accepted_by", sa.String()),
        sa.column("accepted_at", TZ),
        sa.column("acceptance_id", sa.String()),
        sa.column("confidence_level", sa.String()),
        sa.column("risk_recovery_status", sa.String()),
        *(sa.column(c) for c in set(COLUMN_OF.values()) | {"language", "start_date", "end_date"}),
        sa.column("total_doc", sa.BigInteger()),
        sa.column("number_of_paper", sa.BigInteger()),
    )
    acceptances = sa.table(
        "catalogue_acceptance",
        sa.column("acceptance_id", sa.String()),
        sa.column("minutes_number", sa.String()),
        sa.column("role", sa.String()),
        sa.column("file_codes", sa.JSON()),
        sa.column("client", sa.String()),
        sa.column("person", sa.String()),
        sa.column("at", TZ),
    )
    rows = connection.execute(
        sa.select(files.c.file_code, files.c.extension, files.c.accepted_by, files.c.accepted_at)
    ).all()
    for file_code, metadata, accepted_by, accepted_at in rows:
        columns, extension = _columns_from(dict(metadata or {}))
        columns.setdefault("confidence_level", "02")
        columns.setdefault("risk_recovery_status", "02")
        if accepted_at is not None:
            acceptance_id = str(uuid.uuid5(LEGACY_ACCEPTANCE, file_code))
            connection.execute(
                acceptances.insert().values(
                    acceptance_id=acceptance_id,
                    minutes_number=None,
                    role=None,
                    file_codes=[file_code],
                    client=accepted_by or "",
                    person=None,
                    at=accepted_at,
                )
            )
            columns["acceptance_id"] = acceptance_id
        connection.execute(
            files.update()
            .where(files.c.file_code == file_code)
            .values(extension=extension, **columns)
        )


def downgrade() -> None:
    op.drop_index("ix_catalogue_verification_file_code", "catalogue_verification")
    op.drop_table("catalogue_verification")
    op.drop_table("catalogue_acceptance")
    op.drop_table("catalogue_selection_decision")
    with op.batch_alter_table("catalogue_transition") as batch:
        batch.drop_column("person")
        batch.alter_column("client", new_column_name="actor")
    with op.batch_alter_table("catalogue_page") as batch:
        for name in (
            "width",
            "height",
            "dpi",
            "received_at",
            "alto_key",
            "pdf_key",
            "image_key",
            "quality",
            "replaced_by",
        ):
            batch.drop_column(name)
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("folded_text", sa.Text(), nullable=True))
    op.drop_index("ix_catalogue_page_text_file_code", "catalogue_page_text")
    op.drop_table("catalogue_page_text")
    op.drop_table("catalogue_document")
    with op.batch_alter_table("catalogue_file") as batch:
        batch.drop_index("ix_catalogue_file_fonds_code")
        batch.drop_index("ix_catalogue_file_state")
        for name in (
            "version",
            "agency_code",
            "file_year",
            "file_number",
            "fonds_code",
            "group_name",
            "inventory_number",
            "maintenance",
            "mode",
            "language",
            "start_date",
            "end_date",
            "keyword",
            "total_doc",
            "number_of_paper",
            "format",
            "infor_sign",
            "confidence_level",
            "paper_file_code",
            "risk_recovery_status",
            "description",
            "approval",
            "arrangement",
            "verification_id",
            "acceptance_id",
            "package_id",
            "risk_recovery",
            "criteria",
            "rescan",
        ):
            batch.drop_column(name)
        batch.alter_column("extension", new_column_name="file_metadata")
    op.drop_table("catalogue_fonds")
