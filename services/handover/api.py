"""Handover's internal HTTP API (reached through the gateway)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from services.handover.adapters.db import HandoverPackage
from services.handover.domain import DeliveryState
from services.handover.handlers import (
    HandoverDeps,
    latest_package,
    latest_receipt,
    list_deliveries,
    list_fixity_failures,
    package_for_download,
    packages_of_file,
)
from shared.db import utcnow
from shared.records import touched
from shared.text import validate_file_code

router = APIRouter(prefix="/api/v1", tags=["handover"])
# Served to the national archive by a URL carrying its own signature (handover.download-refused).
SIGNED_DOWNLOADS = ("/api/v1/packages/",)


def _deps(request: Request) -> HandoverDeps:
    deps: HandoverDeps = request.app.state.deps
    return deps


Deps = Annotated[HandoverDeps, Depends(_deps)]


class PackageOut(BaseModel):
    """A handover package (gói bàn giao): a BagIt bag with SHA-256 manifests, zipped."""

    model_config = ConfigDict(from_attributes=True)
    package_id: str
    file_code: str
    download: str = Field(
        description="where the zip is streamed from (the gateway's download route); never a "
        "storage path or bucket"
    )
    sha256: str
    size: int
    payload_oxum: str
    created_at: datetime


@router.get(
    "/files/{file_code}/package",
    response_model=PackageOut,
    summary="The newest handover package of a hồ sơ",
    responses={404: {"description": "not packaged yet"}},
)
async def get_package(file_code: str, deps: Deps) -> PackageOut:
    package = await latest_package(validate_file_code(file_code), deps)
    return PackageOut(
        package_id=package.package_id,
        file_code=package.file_code,
        download=f"/api/v1/files/{package.file_code}/package/download",
        sha256=package.sha256,
        size=package.size,
        payload_oxum=package.payload_oxum,
        created_at=package.created_at,
    )


@router.get(
    "/packages/{package_id}/download",
    response_class=FileResponse,
    summary="Download a handover package by the signed URL package-ready announced",
    responses={
        200: {"content": {"application/zip": {}}, "description": "the package zip"},
        403: {"description": "token wrong or expired (handover.download-refused)"},
        404: {"description": "no such package"},
    },
)
async def download_package(
    package_id: uuid.UUID,
    request: Request,
    deps: Deps,
    token: Annotated[str, Query(max_length=200)],
) -> FileResponse:
    async def fetch(target: Path) -> HandoverPackage:
        package = await package_for_download(package_id, token, target, deps)
        touched(request, (package.file_code,))  # the path names a package, not its hồ sơ
        return package

    return await _zip_response(deps, fetch)


@router.get(
    "/files/{file_code}/package/download",
    response_class=FileResponse,
    summary="Download the newest handover package of a hồ sơ (people, through the gateway)",
    responses={
        200: {"content": {"application/zip": {}}, "description": "the package zip"},
        404: {"description": "not packaged yet (handover.package-not-found)"},
    },
)
async def download_latest_package(file_code: str, deps: Deps) -> FileResponse:
    async def fetch(target: Path) -> HandoverPackage:
        package = await latest_package(validate_file_code(file_code), deps)
        await deps.packages.download(package.object_key, target)
        return package

    return await _zip_response(deps, fetch)


async def _zip_response(
    deps: HandoverDeps, fetch: Callable[[Path], Awaitable[HandoverPackage]]
) -> FileResponse:
    """The stored zip copied to a work folder (streamed), sent, and the folder removed."""
    work = tempfile.mkdtemp(prefix="handover-download-", dir=deps.work_dir)
    target = Path(work) / "package.zip"
    try:
        package = await fetch(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return FileResponse(
        target,
        media_type="application/zip",
        filename=f"{package.package_id}.zip",
        headers={"Digest": f"sha-256={package.sha256}"},
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )


class DeliveryOut(BaseModel):
    """One package's delivery to the national archive and its answer."""

    package_id: uuid.UUID
    file_code: str
    state: str = Field(description="pending, received, re-delivered, accepted, rejected")
    attempts: int
    first_sent_at: datetime
    last_sent_at: datetime
    overdue: bool
    receipt_id: str | None
    reasons: list[str]


class ReceiptOut(BaseModel):
    """The national archive's receipt (biên nhận) for the newest answered package of a hồ sơ."""

    file_code: str
    package_id: uuid.UUID
    receipt_id: str
    accepted: bool
    reasons: list[str] = Field(description="why it was refused, one per finding; empty if accepted")
    receiver: str | None = Field(description="the archive's system that answered")
    answered_at: datetime | None = Field(description="when it answered")
    received_sha256: str | None = Field(description="the package's SHA-256 as it was received")
    package_sha256: str | None = Field(description="the SHA-256 sohoa recorded for the package")


@router.get(
    "/files/{file_code}/receipt",
    response_model=ReceiptOut,
    summary="The national archive's receipt for a hồ sơ's package (biên nhận)",
    responses={404: {"description": "no receipt yet (handover.receipt-not-found)"}},
)
async def get_receipt(file_code: str, deps: Deps) -> ReceiptOut:
    code = validate_file_code(file_code)
    delivery = await latest_receipt(code, deps)
    packages = {p.package_id: p for p in await packages_of_file(code, deps)}
    package = packages.get(str(delivery.package_id))
    return ReceiptOut(
        file_code=delivery.file_code,
        package_id=delivery.package_id,
        receipt_id=delivery.receipt_id or "",
        accepted=delivery.state is DeliveryState.ACCEPTED,
        reasons=list(delivery.reasons),
        receiver=delivery.receiver,
        answered_at=delivery.answered_at,
        received_sha256=delivery.received_sha256,
        package_sha256=package.sha256 if package is not None else None,
    )


@router.get("/deliveries", response_model=list[DeliveryOut], summary="Deliveries and receipts")
async def get_deliveries(
    request: Request,
    deps: Deps,
    overdue: Annotated[bool | None, Query(description="only overdue ones")] = None,
) -> list[DeliveryOut]:
    listed = await list_deliveries(deps, utcnow())
    shown = [(d, late) for d, late in listed if overdue is None or late == overdue]
    touched(request, (d.file_code for d, _ in shown))
    return [
        DeliveryOut(
            package_id=d.package_id,
            file_code=d.file_code,
            state=d.state.value,
            attempts=d.attempts,
            first_sent_at=d.first_sent_at,
            last_sent_at=d.last_sent_at,
            overdue=late,
            receipt_id=d.receipt_id,
            reasons=list(d.reasons),
        )
        for d, late in shown
    ]


class FixityFailureOut(BaseModel):
    """A stored object whose SHA-256 no longer matches its record."""

    area: str
    object_key: str
    file_code: str
    expected_sha256: str
    actual_sha256: str = Field(description="empty when the object is gone")
    checked_at: datetime | None


@router.get(
    "/fixity/failures",
    response_model=list[FixityFailureOut],
    summary="Objects the fixity audit found changed or missing",
)
async def get_fixity_failures(deps: Deps) -> list[FixityFailureOut]:
    return [
        FixityFailureOut(
            area=r.area,
            object_key=r.object_key,
            file_code=r.file_code,
            expected_sha256=r.sha256,
            actual_sha256=r.actual_sha256,
            checked_at=r.checked_at,
        )
        for r in await list_fixity_failures(deps)
    ]
