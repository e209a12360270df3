"""Handover's internal HTTP API (reached through the gateway)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.handover.handlers import HandoverDeps, latest_package
from shared.text import validate_file_code

router = APIRouter(prefix="/api/v1", tags=["handover"])


def _deps(request: Request) -> HandoverDeps:
    deps: HandoverDeps = request.app.state.deps
    return deps


Deps = Annotated[HandoverDeps, Depends(_deps)]


class PackageOut(BaseModel):
    """A handover package (gói bàn giao): a BagIt bag with SHA-256 manifests, zipped."""

    model_config = ConfigDict(from_attributes=True)
    package_id: str
    file_code: str
    object_key: str
    location: str = Field(description="where the package is stored (path or s3:// URL)")
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
        object_key=package.object_key,
        location=deps.packages.location(package.object_key),
        sha256=package.sha256,
        size=package.size,
        payload_oxum=package.payload_oxum,
        created_at=package.created_at,
    )
