"""The catalogue's tables. Rows are never handed out: the repository maps them to and from the
domain's aggregates and records (``repository.py``), the read side queries them (``views.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.db import Timestamp, utcnow

Json = dict[str, Any]


class FondsRow(SQLModel, table=True):
    __tablename__ = "catalogue_fonds"
    code: str = Field(primary_key=True, max_length=50)
    name: str = Field(max_length=500)
    status: str = Field(max_length=10)
    agency_code: str | None = Field(default=None, max_length=50)
    history: str | None = Field(default=None, sa_type=Text)
    time_range: str | None = Field(default=None, max_length=100)
    total_docs: int | None = Field(default=None, sa_type=BigInteger)
    classification: str | None = Field(default=None, sa_type=Text)
    languages: str | None = Field(default=None, max_length=100)
    backup_regime: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class FileRow(SQLModel, table=True):
    """A hồ sơ: its TT 05 elements as columns, its workflow records as small JSON values."""

    __tablename__ = "catalogue_file"
    file_code: str = Field(primary_key=True, max_length=100)
    title: str = Field(max_length=1000)
    number_of_page: int = Field(sa_type=BigInteger)
    state: str = Field(max_length=30, index=True)
    version: int = 0
    agency_code: str | None = Field(default=None, max_length=100)
    file_year: int | None = None
    file_number: str | None = Field(default=None, max_length=100)
    fonds_code: str | None = Field(default=None, max_length=50, index=True)
    group_name: str | None = Field(default=None, max_length=200)
    inventory_number: str | None = Field(default=None, max_length=50)
    maintenance: str | None = Field(default=None, max_length=2)
    mode: str | None = Field(default=None, max_length=2)
    language: str | None = Field(default=None, max_length=100)
    start_date: str | None = Field(default=None, max_length=10)
    end_date: str | None = Field(default=None, max_length=10)
    keyword: str | None = Field(default=None, max_length=100)
    total_doc: int | None = Field(default=None, sa_type=BigInteger)
    number_of_paper: int | None = Field(default=None, sa_type=BigInteger)
    format: str | None = Field(default=None, max_length=2)
    infor_sign: str | None = Field(default=None, max_length=30)
    confidence_level: str | None = Field(default=None, max_length=2)
    paper_file_code: str | None = Field(default=None, max_length=100)
    risk_recovery: bool = True
    risk_recovery_status: str | None = Field(default=None, max_length=2)
    description: str | None = Field(default=None, max_length=2000)
    extension: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    criteria: list[Json] = Field(default_factory=list, sa_type=JSON)
    approval: Json | None = Field(default=None, sa_type=JSON)
    arrangement: Json | None = Field(default=None, sa_type=JSON)
    rescan: list[Json] = Field(default_factory=list, sa_type=JSON)
    verification_id: str | None = Field(default=None, max_length=36)
    acceptance_id: str | None = Field(default=None, max_length=36)
    accepted_by: str | None = Field(default=None, max_length=200)
    accepted_at: datetime | None = Field(default=None, sa_type=Timestamp)
    package_id: str | None = Field(default=None, max_length=36)
    package_key: str | None = Field(default=None, max_length=300)
    package_sha256: str | None = Field(default=None, max_length=64)
    early_answers: list[Json] = Field(default_factory=list, sa_type=JSON)  # receipts first
    returned_packages: list[str] = Field(default_factory=list, sa_type=JSON)  # refused ids
    # why it was not built; SQL NULL when none, so the sweep asks "IS NULL" of it
    package_failure: Json | None = Field(default=None, sa_type=JSON(none_as_null=True))
    suggestions: Json | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class DocumentRow(SQLModel, table=True):
    """A văn bản of a hồ sơ (TT 05 §4.2)."""

    __tablename__ = "catalogue_document"
    file_code: str = Field(primary_key=True, max_length=100)
    ordinal: int = Field(primary_key=True)
    first_page: int
    last_page: int
    type_name: str | None = Field(default=None, max_length=2)
    code_number: str | None = Field(default=None, max_length=11)
    code_notation: str | None = Field(default=None, max_length=30)
    issued_date: str | None = Field(default=None, max_length=10)
    organ_name: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=100)
    number_of_page: int | None = None
    maintenance: str | None = Field(default=None, max_length=2)
    mode: str | None = Field(default=None, max_length=2)
    infor_sign: str | None = Field(default=None, max_length=30)
    keyword: str | None = Field(default=None, max_length=100)
    confidence_level: str | None = Field(default=None, max_length=2)
    autograph: str | None = Field(default=None, max_length=2000)
    format: str | None = Field(default=None, max_length=2)
    risk_recovery: bool | None = None
    risk_recovery_status: str | None = Field(default=None, max_length=2)
    process: bool | None = None
    description: str | None = Field(default=None, max_length=500)
    extension: dict[str, str] = Field(default_factory=dict, sa_type=JSON)


class PageRow(SQLModel, table=True):
    """A page (trang): the stored original, the keys of its derivatives, its quality report."""

    __tablename__ = "catalogue_page"
    page_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    sequence: int
    object_key: str | None = Field(default=None, max_length=300)
    sha256: str | None = Field(default=None, max_length=64)
    media_type: str | None = Field(default=None, max_length=50)
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    received_at: datetime | None = Field(default=None, sa_type=Timestamp)
    text_key: str | None = Field(default=None, max_length=300)
    hocr_key: str | None = Field(default=None, max_length=300)
    alto_key: str | None = Field(default=None, max_length=300)
    pdf_key: str | None = Field(default=None, max_length=300)
    image_key: str | None = Field(default=None, max_length=300)
    confidence: float | None = None
    engine: str | None = Field(default=None, max_length=100)
    processed_at: datetime | None = Field(default=None, sa_type=Timestamp)
    quality: Json | None = Field(default=None, sa_type=JSON)
    failure_code: str | None = Field(default=None, max_length=100)
    failure_detail: str | None = Field(default=None, max_length=2000)
    replaced_by: str | None = Field(default=None, max_length=36)
    version: int = 1


class SearchRow(SQLModel, table=True):
    """A searchable text: a page's OCR text, or a hồ sơ's own description (``kind``). Beside
    the printed text, its syllables as written (``exact``) and folded (``folded``), one token
    between single spaces; SQLite indexes these with FTS5, PostgreSQL with tsvector columns
    generated from them and GIN indexes (see migration catalogue_0005)."""

    __tablename__ = "catalogue_search"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=110, unique=True)  # the page id, or "file:<file code>"
    kind: str = Field(max_length=4)
    file_code: str = Field(max_length=100, index=True)
    page_id: str | None = Field(default=None, max_length=36)
    sequence: int | None = None
    text: str = Field(sa_type=Text)
    exact: str = Field(sa_type=Text)
    folded: str = Field(sa_type=Text)


class TransitionRow(SQLModel, table=True):
    """Who moved a hồ sơ from one state to another, from which client system, when and why."""

    __tablename__ = "catalogue_transition"
    id: int | None = Field(default=None, primary_key=True)
    file_code: str = Field(max_length=100, index=True)
    from_state: str = Field(max_length=30)
    to_state: str = Field(max_length=30)
    client: str = Field(max_length=200)
    person: str | None = Field(default=None, max_length=200)
    reason: str = Field(max_length=1000)
    at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class DecisionRow(SQLModel, table=True):
    """A quyết định phê duyệt danh mục hồ sơ."""

    __tablename__ = "catalogue_selection_decision"
    __table_args__ = (UniqueConstraint("number", "signed_on", name="uq_catalogue_decision"),)
    decision_id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=100)
    signed_on: str = Field(max_length=10)
    signer: str = Field(max_length=200)
    file_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    client: str = Field(max_length=200)
    person: str | None = Field(default=None, max_length=200)
    at: datetime = Field(sa_type=Timestamp)


class AcceptanceRow(SQLModel, table=True):
    """A biên bản nghiệm thu."""

    __tablename__ = "catalogue_acceptance"
    acceptance_id: str = Field(primary_key=True, max_length=36)
    minutes_number: str | None = Field(default=None, max_length=100)
    role: str | None = Field(default=None, max_length=100)
    file_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    client: str = Field(max_length=200)
    person: str | None = Field(default=None, max_length=200)
    at: datetime = Field(sa_type=Timestamp)


class VerificationRow(SQLModel, table=True):
    """One kiểm tra run, signed off or not."""

    __tablename__ = "catalogue_verification"
    verification_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    passed: bool
    findings: list[Json] = Field(default_factory=list, sa_type=JSON)
    waivers: list[Json] = Field(default_factory=list, sa_type=JSON)
    client: str = Field(max_length=200)
    person: str | None = Field(default=None, max_length=200)
    at: datetime = Field(sa_type=Timestamp)


class CorrectionRow(SQLModel, table=True):
    """A confirmed biên mục field beside what the extractor suggested: the ground truth."""

    __tablename__ = "catalogue_correction"
    id: int | None = Field(default=None, primary_key=True)
    file_code: str = Field(max_length=100, index=True)
    ordinal: int
    field: str = Field(max_length=30)
    suggested: str | None = Field(default=None, sa_type=Text)
    confirmed: str | None = Field(default=None, sa_type=Text)
    confidence: float | None = None
    at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
