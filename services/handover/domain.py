"""Handover rules: package identity, names inside the bag, bag-info. No I/O here."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from shared.errors import NotFound, PermanentError
from shared.events import AcceptedPage, FileAccepted

PACKAGE_NAMESPACE = uuid.UUID("6f1c2a7e-5d0b-4c8e-9a51-3b7e2f9d4c10")


class FixityMismatch(PermanentError):
    """An original no longer has the SHA-256 taken at capture: never package it silently."""

    code = "handover.fixity-mismatch"
    title = "Giá trị băm SHA-256 của bản gốc không khớp"
    http_status = 409


class PackageNotFound(NotFound):
    code = "handover.package-not-found"
    title = "Chưa có gói bàn giao cho hồ sơ"


def package_id_for(accept_event_id: str) -> uuid.UUID:
    """One package per acceptance decision: a redelivered file-accepted builds the same one."""
    return uuid.uuid5(PACKAGE_NAMESPACE, accept_event_id)


def package_key(file_code: str, package_id: uuid.UUID) -> str:
    return f"{file_code}/{package_id}.zip"


def payload_paths(page: AcceptedPage) -> dict[str, str]:
    """Where each part of a page goes under the bag's ``data/``."""
    stem = f"{page.sequence:04d}"
    suffix = PurePosixPath(page.object_key).suffix
    return {
        "original": f"originals/{stem}{suffix}",
        "text": f"text/{stem}.txt",
        "hocr": f"hocr/{stem}.hocr",
    }


def bag_info(event: FileAccepted, package_id: uuid.UUID, organization: str) -> dict[str, str]:
    return {
        "Source-Organization": organization,
        "External-Identifier": event.file_code,
        "External-Description": event.title,
        "Internal-Sender-Identifier": str(package_id),
        "Bag-Group-Identifier": event.file_code,
    }
