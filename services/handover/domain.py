"""Handover rules: package identity, names inside the bag, bag-info. No I/O here."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import PurePosixPath

from shared.errors import NotFound, PermanentError
from shared.events import AcceptedPage, DescribedFile, FileAccepted

PACKAGE_NAMESPACE = uuid.UUID("6f1c2a7e-5d0b-4c8e-9a51-3b7e2f9d4c10")


class FixityMismatch(PermanentError):
    """An original no longer has the SHA-256 taken at capture: never package it silently."""

    code = "handover.fixity-mismatch"
    title = "Giá trị băm SHA-256 của bản gốc không khớp"
    http_status = 409


class PackageNotFound(NotFound):
    code = "handover.package-not-found"
    title = "Chưa có gói bàn giao cho hồ sơ"


class ReceiptNotFound(NotFound):
    code = "handover.receipt-not-found"
    title = "Lưu trữ quốc gia chưa gửi biên nhận cho gói bàn giao của hồ sơ"


def package_id_for(accept_event_id: str) -> uuid.UUID:
    """One package per acceptance decision: a redelivered file-accepted builds the same one."""
    return uuid.uuid5(PACKAGE_NAMESPACE, accept_event_id)


def package_key(file_code: str, package_id: uuid.UUID) -> str:
    return f"{file_code}/{package_id}.zip"


def bag_info(event: FileAccepted, package_id: uuid.UUID, organization: str) -> dict[str, str]:
    return {
        "Source-Organization": organization,
        "External-Identifier": objid_for(package_id),
        "External-Description": event.title,
        "Internal-Sender-Identifier": str(package_id),
        "Bag-Group-Identifier": event.file_code,
    }


# --- the TT 05/2025 AIP_hoso package (domain notes §7) ---------------------------------------

VIETNAM = timezone(timedelta(hours=7))
REPRESENTATION = "rep1"


def objid_for(package_id: uuid.UUID) -> str:
    """METS ``@OBJID`` of an AIP: ``urn:uuid:<UUID>``."""
    return f"urn:uuid:{package_id}"


class RecordStatus(StrEnum):
    """METS ``metsHdr/@RECORDSTATUS`` of a package (E-ARK vocabulary). A hồ sơ packaged again
    (the archive refused a package and it was corrected, or pages were re-scanned) gets a
    complete new package that replaces the earlier one."""

    NEW = "NEW"
    REPLACEMENT = "REPLACEMENT"  # the hồ sơ packaged again, whole: it replaces the earlier one


def package_folder(objid: str) -> str:
    """The package folder is named by its OBJID with ``:`` → ``_``."""
    return objid.replace(":", "_")


def package_time(at: datetime) -> str:
    """METS ``@CREATED`` and friends: ISO 8601 in Vietnam time (``+07:00``)."""
    return at.astimezone(VIETNAM).isoformat(timespec="seconds")


def camel(name: str) -> str:
    """``number_of_page`` → ``numberOfPage``: the schema's element names."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def rep_data_paths(page: AcceptedPage) -> dict[str, str]:
    """Where each part of a page goes under ``representations/rep1/data/``: the original scan
    unchanged, and the OCR text and hOCR it was read into."""
    stem = f"{page.sequence:04d}"
    suffix = PurePosixPath(page.object_key).suffix
    return {
        "original": f"originals/{stem}{suffix}",
        "text": f"ocr/{stem}.txt",
        "hocr": f"ocr/{stem}.hocr",
    }


def described(event: FileAccepted) -> DescribedFile:
    """The hồ sơ description the catalogue sent; a v1 event without it gets the minimum."""
    if event.file is not None:
        return event.file
    return DescribedFile(
        file_code=event.file_code, title=event.title, number_of_page=len(event.pages)
    )


# --- delivery: short-lived signed download URLs ----------------------------------------------


class DownloadRefused(PermanentError):
    """The download token is wrong, for another package, or expired: ask for a new one."""

    code = "handover.download-refused"
    title = "Liên kết tải gói không hợp lệ hoặc đã hết hạn"
    http_status = 403


def download_token(package_id: uuid.UUID, expires: int, secret: str) -> str:
    """``<expiry unix seconds>.<HMAC-SHA256 of package id and expiry>``: no path, no bucket."""
    mac = hmac.new(secret.encode(), f"{package_id}:{expires}".encode(), hashlib.sha256)
    return f"{expires}.{mac.hexdigest()}"


def check_download_token(package_id: uuid.UUID, token: str, secret: str, now: int) -> None:
    expires_text, _, _mac = token.partition(".")
    if not expires_text.isdigit():
        raise DownloadRefused("token không đúng dạng")
    expected = download_token(package_id, int(expires_text), secret)
    if not hmac.compare_digest(expected, token):
        raise DownloadRefused("token không khớp gói")
    if int(expires_text) < now:
        raise DownloadRefused("token đã hết hạn")


# --- delivery: what the national archive has answered ----------------------------------------


class DeliveryState(StrEnum):
    PENDING = "pending"  # announced, no receipt yet
    RECEIVED = "received"  # the archive downloaded it by its URL; no receipt yet
    REDELIVERED = "re-delivered"  # announced again after no answer (same package, same bytes)
    ACCEPTED = "accepted"
    REJECTED = "rejected"


ANSWERED = frozenset({DeliveryState.ACCEPTED, DeliveryState.REJECTED})


@dataclass
class Delivery:
    """One package's delivery to the national archive. Unanswered, it is announced again
    with doubling waits; past ``overdue_after`` it shows as overdue. The first receipt
    decides; a repeated or later receipt changes nothing."""

    package_id: uuid.UUID
    file_code: str
    state: DeliveryState
    attempts: int
    first_sent_at: datetime
    last_sent_at: datetime
    receipt_id: str | None = None
    reasons: tuple[str, ...] = ()
    receiver: str | None = None  # the archive's system that answered
    answered_at: datetime | None = None  # when it answered, by its own clock
    received_sha256: str | None = None  # the package's SHA-256 as the archive received it

    @classmethod
    def announced(cls, package_id: uuid.UUID, file_code: str, at: datetime) -> Delivery:
        return cls(package_id, file_code, DeliveryState.PENDING, 1, at, at)

    def next_retry_at(self, first_wait: timedelta, max_wait: timedelta) -> datetime:
        wait: timedelta = min(max_wait, first_wait * 2 ** (self.attempts - 1))
        return self.last_sent_at + wait

    def due(self, now: datetime, first_wait: timedelta, max_wait: timedelta) -> bool:
        return self.state not in ANSWERED and now >= self.next_retry_at(first_wait, max_wait)

    def overdue(self, now: datetime, after: timedelta) -> bool:
        """Still unanswered long after the first announcement."""
        return self.state not in ANSWERED and now - self.first_sent_at >= after

    def resent(self, at: datetime) -> None:
        if self.state in ANSWERED:
            raise PermanentError(f"gói {self.package_id} đã có biên nhận")
        self.state = DeliveryState.REDELIVERED
        self.attempts += 1
        self.last_sent_at = at

    def downloaded(self) -> bool:
        """The archive fetched the package; False (nothing changes) once received or answered.
        Still unanswered, so still announced again and overdue in time: a receipt may be lost."""
        if self.state in ANSWERED or self.state is DeliveryState.RECEIVED:
            return False
        self.state = DeliveryState.RECEIVED
        return True

    def answer(
        self,
        receipt_id: str,
        accepted: bool,
        reasons: tuple[str, ...],
        *,
        receiver: str | None = None,
        at: datetime | None = None,
        received_sha256: str | None = None,
    ) -> bool:
        """Record the receipt (biên nhận) as the archive gave it; False (nothing changes) when
        one was recorded already."""
        if self.state in ANSWERED:
            return False
        self.state = DeliveryState.ACCEPTED if accepted else DeliveryState.REJECTED
        self.receipt_id = receipt_id
        self.reasons = reasons
        self.receiver, self.answered_at, self.received_sha256 = receiver, at, received_sha256
        return True

    @property
    def answered(self) -> bool:
        return self.state in ANSWERED
