"""The catalogue's own tables: hồ sơ, their pages with text, and every state transition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Text
from sqlmodel import Field, Session, SQLModel, col, func, select

from services.catalogue.domain import FileState
from shared.db import Timestamp, utcnow


class ArchivalFile(SQLModel, table=True):
    """A hồ sơ (archival file) as catalogued."""

    __tablename__ = "catalogue_file"
    file_code: str = Field(primary_key=True, max_length=100)
    title: str = Field(max_length=1000)
    number_of_page: int = Field(description="số lượng trang declared at chỉnh lý")
    state: str = Field(default=FileState.INVENTORIED, max_length=30)
    file_metadata: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    accepted_by: str | None = Field(default=None, max_length=200)
    accepted_at: datetime | None = Field(default=None, sa_type=Timestamp)
    package_key: str | None = Field(default=None, max_length=300)
    package_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class CataloguePage(SQLModel, table=True):
    """A page (trang): filled from page-ingested and page-processed, in either order."""

    __tablename__ = "catalogue_page"
    page_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    sequence: int
    object_key: str | None = Field(default=None, max_length=300)
    sha256: str | None = Field(default=None, max_length=64)
    media_type: str | None = Field(default=None, max_length=50)
    text: str | None = Field(default=None, sa_type=Text)
    folded_text: str | None = Field(default=None, sa_type=Text)
    text_key: str | None = Field(default=None, max_length=300)
    hocr_key: str | None = Field(default=None, max_length=300)
    confidence: float | None = None
    engine: str | None = Field(default=None, max_length=100)
    processed_at: datetime | None = Field(default=None, sa_type=Timestamp)
    failure_code: str | None = Field(default=None, max_length=100)
    failure_detail: str | None = Field(default=None, max_length=2000)


class FileTransition(SQLModel, table=True):
    """Who moved a hồ sơ from one state to another, when and why."""

    __tablename__ = "catalogue_transition"
    id: int | None = Field(default=None, primary_key=True)
    file_code: str = Field(max_length=100, index=True)
    from_state: str = Field(max_length=30)
    to_state: str = Field(max_length=30)
    actor: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


def get_file(session: Session, file_code: str) -> ArchivalFile | None:
    return session.get(ArchivalFile, file_code)


def pages_of(session: Session, file_code: str) -> list[CataloguePage]:
    query = (
        select(CataloguePage)
        .where(CataloguePage.file_code == file_code)
        .order_by(col(CataloguePage.sequence))
    )
    return list(session.exec(query))


def transitions_of(session: Session, file_code: str) -> list[FileTransition]:
    query = (
        select(FileTransition)
        .where(FileTransition.file_code == file_code)
        .order_by(col(FileTransition.id))
    )
    return list(session.exec(query))


def count_pages(session: Session, file_code: str) -> tuple[int, int]:
    """(pages stored, pages stored and read) of a hồ sơ."""
    of_file = select(func.count()).where(
        CataloguePage.file_code == file_code, col(CataloguePage.object_key).is_not(None)
    )
    received = session.exec(of_file).one()
    read = session.exec(of_file.where(col(CataloguePage.text_key).is_not(None))).one()
    return int(received), int(read)


def search_pages(session: Session, folded: str, limit: int) -> list[tuple[CataloguePage, str]]:
    """Pages whose folded text holds the folded phrase, with their hồ sơ title."""
    query = (
        select(CataloguePage, ArchivalFile.title)
        .join(
            ArchivalFile, col(ArchivalFile.file_code) == col(CataloguePage.file_code), isouter=True
        )
        .where(col(CataloguePage.folded_text).contains(folded, autoescape=True))
        .order_by(col(CataloguePage.file_code), col(CataloguePage.sequence))
        .limit(limit)
    )
    return [(page, title or "") for page, title in session.exec(query)]
