"""Ingest's own tables (in its own database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, func, select

from shared.db import Timestamp, utcnow


class IngestedPage(SQLModel, table=True):
    """A page scan (trang) received and stored as an original."""

    __tablename__ = "ingest_page"
    __table_args__ = (UniqueConstraint("file_code", "sequence", name="uq_ingest_page_sequence"),)

    page_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    sequence: int
    object_key: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    media_type: str = Field(max_length=50)
    width: int
    height: int
    dpi: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


def pages_of(session: Session, file_code: str) -> list[IngestedPage]:
    query = (
        select(IngestedPage)
        .where(IngestedPage.file_code == file_code)
        .order_by(col(IngestedPage.sequence))
    )
    return list(session.exec(query))


def page_at(session: Session, file_code: str, sequence: int) -> IngestedPage | None:
    query = select(IngestedPage).where(
        IngestedPage.file_code == file_code, IngestedPage.sequence == sequence
    )
    return session.exec(query).first()


def page_with_content(session: Session, file_code: str, sha256: str) -> IngestedPage | None:
    query = select(IngestedPage).where(
        IngestedPage.file_code == file_code, IngestedPage.sha256 == sha256
    )
    return session.exec(query).first()


def next_sequence(session: Session, file_code: str) -> int:
    query = select(func.max(IngestedPage.sequence)).where(IngestedPage.file_code == file_code)
    return int(session.exec(query).one() or 0) + 1


class IntakeFile(SQLModel, table=True):
    """Ingest's own view of a hồ sơ, from the catalogue's file-state-changed events: whether
    it may take page scans now. Never read from the catalogue's database."""

    __tablename__ = "ingest_file"

    file_code: str = Field(primary_key=True, max_length=100)
    state: str = Field(max_length=30)
    open_for_scanning: bool
    arranged: bool
    number_of_page: int | None = Field(default=None, sa_type=BigInteger)
    rescan_sequences: list[int] = Field(default_factory=list, sa_type=JSON)
    version: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
