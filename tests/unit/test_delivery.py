"""The Delivery aggregate: retries with doubling waits, overdue, the first receipt decides."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.handover.domain import Delivery, DeliveryState

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
FIRST, MAX = timedelta(minutes=5), timedelta(hours=1)


def _delivery() -> Delivery:
    return Delivery.announced(uuid.uuid4(), "H49.64.33.2001.160", T0)


def test_an_unanswered_delivery_is_retried_with_doubling_waits() -> None:
    d = _delivery()
    assert not d.due(T0 + timedelta(minutes=4), FIRST, MAX)
    assert d.due(T0 + timedelta(minutes=5), FIRST, MAX)
    d.resent(T0 + timedelta(minutes=5))
    assert d.state is DeliveryState.REDELIVERED
    assert d.next_retry_at(FIRST, MAX) == T0 + timedelta(minutes=15)
    for n in range(10):
        d.resent(T0 + timedelta(hours=n + 1))
    assert d.next_retry_at(FIRST, MAX) - d.last_sent_at == MAX  # capped


def test_overdue_until_answered() -> None:
    d = _delivery()
    assert not d.overdue(T0 + timedelta(hours=23), timedelta(days=1))
    assert d.overdue(T0 + timedelta(days=1), timedelta(days=1))
    d.answer("BN-1", accepted=True, reasons=())
    assert not d.overdue(T0 + timedelta(days=9), timedelta(days=1))
    assert not d.due(T0 + timedelta(days=9), FIRST, MAX)


def test_a_download_marks_it_received_until_the_receipt_decides() -> None:
    d = _delivery()
    assert d.downloaded()
    assert d.state is DeliveryState.RECEIVED
    assert not d.downloaded()  # fetched again: no change
    assert d.due(T0 + timedelta(minutes=5), FIRST, MAX)  # no receipt yet: announced again
    assert d.overdue(T0 + timedelta(days=1), timedelta(days=1))
    assert d.answer("BN-1", accepted=True, reasons=())
    assert not d.downloaded()
    assert (d.state, d.receipt_id) == (DeliveryState.ACCEPTED, "BN-1")


def test_the_first_receipt_decides_and_a_duplicate_changes_nothing() -> None:
    d = _delivery()
    assert d.answer("BN-1", accepted=False, reasons=("METS.xml: sai",))
    assert not d.answer("BN-1", accepted=False, reasons=("METS.xml: sai",))
    assert not d.answer("BN-2", accepted=True, reasons=())
    assert (d.state, d.receipt_id, d.reasons) == (
        DeliveryState.REJECTED,
        "BN-1",
        ("METS.xml: sai",),
    )
    with pytest.raises(Exception, match="biên nhận"):
        d.resent(T0)


def test_a_receipt_keeps_who_answered_when_and_what_it_received() -> None:
    d = _delivery()
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert d.answer("BN-7", True, (), receiver="luu-tru-quoc-gia", at=at, received_sha256="ab" * 32)
    assert not d.answer("BN-8", False, ("x",), receiver="other", at=at, received_sha256="cd" * 32)
    assert d.answered
    assert (d.receipt_id, d.receiver, d.answered_at, d.received_sha256) == (
        "BN-7",
        "luu-tru-quoc-gia",
        at,
        "ab" * 32,
    )
