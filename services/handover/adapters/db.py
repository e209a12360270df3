"""Handover's own tables."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, Session, SQLModel, col, select

from services.handover.domain import Delivery, DeliveryState
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
    replaces: str | None = Field(
        default=None, max_length=36, description="package id of the earlier package it replaces"
    )


def packages_of(session: Session, file_code: str) -> list[HandoverPackage]:
    query = (
        select(HandoverPackage)
        .where(HandoverPackage.file_code == file_code)
        .order_by(col(HandoverPackage.created_at).desc())
    )
    return list(session.exec(query))


class HandoverDelivery(SQLModel, table=True):
    """The delivery of one package to the national archive (see domain.Delivery)."""

    __tablename__ = "handover_delivery"
    package_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    state: str = Field(max_length=20)
    attempts: int
    first_sent_at: datetime = Field(sa_type=Timestamp)
    last_sent_at: datetime = Field(sa_type=Timestamp)
    receipt_id: str | None = Field(default=None, max_length=100)
    reasons: str = Field(default="[]", description="JSON list of the receipt's reasons")
    receiver: str | None = Field(default=None, max_length=200)
    answered_at: datetime | None = Field(default=None, sa_type=Timestamp)
    received_sha256: str | None = Field(default=None, max_length=64)

    def to_domain(self) -> Delivery:
        return Delivery(
            package_id=uuid.UUID(self.package_id),
            file_code=self.file_code,
            state=DeliveryState(self.state),
            attempts=self.attempts,
            first_sent_at=_aware(self.first_sent_at),
            last_sent_at=_aware(self.last_sent_at),
            receipt_id=self.receipt_id,
            reasons=tuple(json.loads(self.reasons)),
            receiver=self.receiver,
            answered_at=_aware(self.answered_at) if self.answered_at is not None else None,
            received_sha256=self.received_sha256,
        )

    def update_from(self, delivery: Delivery) -> None:
        self.state = delivery.state.value
        self.attempts = delivery.attempts
        self.first_sent_at = delivery.first_sent_at
        self.last_sent_at = delivery.last_sent_at
        self.receipt_id = delivery.receipt_id
        self.reasons = json.dumps(list(delivery.reasons), ensure_ascii=False)
        self.receiver = delivery.receiver
        self.answered_at = delivery.answered_at
        self.received_sha256 = delivery.received_sha256

    @classmethod
    def from_domain(cls, delivery: Delivery) -> HandoverDelivery:
        row = cls(
            package_id=str(delivery.package_id),
            file_code=delivery.file_code,
            state=delivery.state.value,
            attempts=delivery.attempts,
            first_sent_at=delivery.first_sent_at,
            last_sent_at=delivery.last_sent_at,
        )
        row.update_from(delivery)
        return row


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def unanswered(session: Session) -> list[HandoverDelivery]:
    query = select(HandoverDelivery).where(
        col(HandoverDelivery.state).in_([DeliveryState.PENDING, DeliveryState.REDELIVERED])
    )
    return list(session.exec(query))


def deliveries_of(session: Session, file_code: str) -> list[HandoverDelivery]:
    """The deliveries of one hồ sơ's packages, newest first."""
    query = (
        select(HandoverDelivery)
        .where(HandoverDelivery.file_code == file_code)
        .order_by(col(HandoverDelivery.first_sent_at).desc())
    )
    return list(session.exec(query))


def deliveries(session: Session) -> list[HandoverDelivery]:
    return list(
        session.exec(select(HandoverDelivery).order_by(col(HandoverDelivery.first_sent_at)))
    )


class FixityRecord(SQLModel, table=True):
    """A stored object and the SHA-256 recorded for it, with its last audit."""

    __tablename__ = "handover_fixity"
    area: str = Field(primary_key=True, max_length=20)
    object_key: str = Field(primary_key=True, max_length=300)
    file_code: str = Field(max_length=100, index=True)
    sha256: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    checked_at: datetime | None = Field(default=None, sa_type=Timestamp)
    ok: bool = True
    actual_sha256: str = Field(default="", max_length=64)


class FixityCheck(SQLModel, table=True):
    """One PREMIS ``fixity check`` event: which object, when, the outcome."""

    __tablename__ = "handover_fixity_check"
    id: int | None = Field(default=None, primary_key=True)
    area: str = Field(max_length=20)
    object_key: str = Field(max_length=300, index=True)
    at: datetime = Field(sa_type=Timestamp)
    outcome: str = Field(max_length=10, description="pass or fail")
    detail: str = Field(default="")


def next_to_check(session: Session, limit: int) -> list[FixityRecord]:
    """The objects audited longest ago (never-audited first)."""
    never = select(FixityRecord).where(col(FixityRecord.checked_at).is_(None)).limit(limit)
    chosen = list(session.exec(never))
    if len(chosen) < limit:
        older = (
            select(FixityRecord)
            .where(col(FixityRecord.checked_at).is_not(None))
            .order_by(col(FixityRecord.checked_at))
            .limit(limit - len(chosen))
        )
        chosen += list(session.exec(older))
    return chosen


def fixity_failures(session: Session) -> list[FixityRecord]:
    query = select(FixityRecord).where(col(FixityRecord.ok).is_(False))
    return list(session.exec(query.order_by(col(FixityRecord.area), col(FixityRecord.object_key))))
