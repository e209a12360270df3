"""package-ready in: download by the signed URL, check, answer with package-receipt."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import structlog

from services.receiver.checks import SignaturePolicy, inspect_package
from shared.db import utcnow
from shared.envelope import Envelope
from shared.errors import TransientError
from shared.events import PackageReady, PackageReceipt, RejectedItem
from shared.kafka import KafkaPublisher

log = structlog.get_logger(__name__)
SOURCE = "sohoa-receiver"
RECEIPT_NAMESPACE = uuid.UUID("5b0d4c8e-7f1a-4e2b-9c3d-1a2b3c4d5e6f")


class HandoverUnreachable(TransientError):
    code = "receiver.handover-unreachable"
    title = "Không tải được gói từ bên giao"


@dataclass(frozen=True)
class ReceiverDeps:
    publisher: KafkaPublisher
    inbox: Path
    name: str
    http: httpx.AsyncClient
    signatures: SignaturePolicy = field(default_factory=SignaturePolicy)


def receipt_id_for(package_id: uuid.UUID, sha256: str) -> str:
    """The same bytes of the same package always get the same receipt id (idempotent)."""
    return f"BN-{uuid.uuid5(RECEIPT_NAMESPACE, f'{package_id}:{sha256.lower()}')}"


async def _download(url: str, target: Path, http: httpx.AsyncClient) -> None:
    try:
        async with http.stream("GET", url) as response:
            if response.status_code >= 500:
                raise HandoverUnreachable(f"{url}: HTTP {response.status_code}")
            response.raise_for_status()
            with target.open("wb") as sink:
                async for chunk in response.aiter_bytes(1 << 20):
                    sink.write(chunk)
    except httpx.TransportError as error:
        raise HandoverUnreachable(f"{url}: {error}") from error


async def on_package_ready(event: PackageReady, envelope: Envelope, deps: ReceiverDeps) -> None:
    reasons: list[RejectedItem]
    with tempfile.TemporaryDirectory(prefix="receiver-", dir=deps.inbox) as work:
        archive = Path(work) / f"{event.package_id}.zip"
        if event.download_url is None:
            reasons = [RejectedItem(path="", reason="package-ready has no download URL")]
        else:
            try:
                await _download(event.download_url, archive, deps.http)
            except httpx.HTTPStatusError as error:
                code = error.response.status_code
                reasons = [RejectedItem(path="", reason=f"download refused: HTTP {code}")]
            else:
                unpacked = Path(work) / "unpacked"
                unpacked.mkdir()
                reasons = await asyncio.to_thread(
                    inspect_package, archive, event.sha256, unpacked, deps.signatures
                )
        received = await asyncio.to_thread(_sha256, archive) if archive.exists() else event.sha256
        if not reasons:
            kept = deps.inbox / f"{event.package_id}.zip"
            if not kept.exists():
                shutil.copyfile(archive, kept)
    receipt = PackageReceipt(
        file_code=event.file_code,
        package_id=event.package_id,
        receipt_id=receipt_id_for(event.package_id, received),
        accepted=not reasons,
        sha256=received,
        reasons=tuple(reasons),
        receiver=deps.name,
        at=utcnow(),
    )
    await deps.publisher.publish(receipt, correlation_id=envelope.correlation_id)
    log.info(
        "receipt_sent",
        package_id=str(event.package_id),
        accepted=receipt.accepted,
        reasons=len(reasons),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
