"""Handover's own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, Session, SQLModel, col, select

from shared.db import Timestamp, utcnow


class HandoverPackage(SQLModel, table=True):
    """A built and stored handover package (gói bàn giao) of one hồ sơ."""

    __tablename__ = "handover_package"
    package_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    accept_event_id: str = Field(max_length=100, unique=True)
    object_key: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    payload_oxum: str = Field(max_length=50)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


def packages_of(session: Session, file_code: str) -> list[HandoverPackage]:
    query = (
        select(HandoverPackage)
        .where(HandoverPackage.file_code == file_code)
        .order_by(col(HandoverPackage.created_at).desc())
    )
    return list(session.exec(query))
