"""Handover: file-accepted in, a validated BagIt package stored write-once, package-ready out."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.handover.adapters.aip import AipRequest, PackageInvalid, build_aip
from services.handover.adapters.bags import make_validated_bag, zip_tree
from services.handover.adapters.db import (
    FixityCheck,
    FixityRecord,
    HandoverDelivery,
    HandoverPackage,
    deliveries,
    deliveries_of,
    fixity_failures,
    next_to_check,
    packages_of,
    unanswered,
)
from services.handover.adapters.pades import AgencySigner
from services.handover.domain import (
    REPRESENTATION,
    Delivery,
    FixityMismatch,
    PackageNotFound,
    ReceiptNotFound,
    bag_info,
    check_download_token,
    download_token,
    objid_for,
    package_folder,
    package_id_for,
    package_key,
    rep_data_paths,
)
from shared.db import in_thread, utcnow
from shared.eark import eark_errors
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import (
    Event,
    FileAccepted,
    FixityFailed,
    PackageFailed,
    PackageReady,
    PackageReceipt,
)
from shared.objectstore import ObjectExists, ObjectMissing, ObjectStore, StoredObject
from shared.outbox import add_to_outbox

log = structlog.get_logger(__name__)
SOURCE = "sohoa-handover"


@dataclass(frozen=True)
class RetryTimes:
    """When an unanswered delivery is announced again, and when it counts as overdue."""

    first_wait: timedelta = timedelta(minutes=5)
    max_wait: timedelta = timedelta(hours=6)
    overdue_after: timedelta = timedelta(days=2)


@dataclass(frozen=True)
class HandoverDeps:
    engine: Engine
    originals: ObjectStore
    derivatives: ObjectStore
    packages: ObjectStore
    wake_outbox: Callable[[], None]
    organization: str
    public_url: str
    download_secret: str
    download_ttl_seconds: int
    retry: RetryTimes = field(default_factory=lambda: RetryTimes())
    work_dir: str | None = None
    pdf_per: str = "document"  # one PDF/A per văn bản, or "file": one per hồ sơ
    signer: AgencySigner | None = None  # the archive's PAdES signature, when configured

    def download_url(self, package_id: uuid.UUID, now: datetime) -> tuple[str, datetime]:
        """A short-lived signed URL for the zip, and when it stops working."""
        expires = int(now.timestamp()) + self.download_ttl_seconds
        token = download_token(package_id, expires, self.download_secret)
        url = f"{self.public_url.rstrip('/')}/api/v1/packages/{package_id}/download?token={token}"
        return url, datetime.fromtimestamp(expires, tz=UTC)


def _existing(session: Session, accept_event_id: str) -> HandoverPackage | None:
    query = select(HandoverPackage).where(HandoverPackage.accept_event_id == accept_event_id)
    return session.exec(query).first()


def _replaced(session: Session, file_code: str) -> uuid.UUID | None:
    """The newest package already built for the hồ sơ: a new one replaces it whole."""
    earlier = packages_of(session, file_code)
    return uuid.UUID(earlier[0].package_id) if earlier else None


async def _gather_payload(
    event: FileAccepted, data: Path, deps: HandoverDeps
) -> list[tuple[str, str, str]]:
    """Fetch originals unchanged (checking their capture SHA-256), text and hOCR into the
    representation's ``data/``. Returns (area, key, SHA-256) of each object read, for the
    fixity audit: the derivatives' digests are taken here, as they were packaged."""
    stored: list[tuple[str, str, str]] = []
    for page in event.pages:
        paths = rep_data_paths(page)
        for part in paths.values():
            (data / part).parent.mkdir(parents=True, exist_ok=True)
        fetched = await deps.originals.download(page.object_key, data / paths["original"])
        if fetched.sha256 != page.sha256:
            raise FixityMismatch(f"{page.object_key}: {fetched.sha256} ≠ {page.sha256}")
        text = await deps.derivatives.download(page.text_key, data / paths["text"])
        hocr = await deps.derivatives.download(page.hocr_key, data / paths["hocr"])
        stored += [
            ("originals", page.object_key, page.sha256),
            ("derivatives", page.text_key, text.sha256),
            ("derivatives", page.hocr_key, hocr.sha256),
        ]
    return stored


async def on_file_accepted(event: FileAccepted, envelope: Envelope, deps: HandoverDeps) -> None:
    """Build, validate and store the package. The same acceptance again is answered with its
    package's package-ready again (the catalogue sends it again when it never heard of the
    package: that announcement was lost); it is never built twice. One that cannot be built
    is announced (package-failed, for the hồ sơ to show why) before the runner dead-letters
    the acceptance; an outage is neither, and is waited out."""
    try:
        await _package(event, envelope, deps)
    except PermanentError as exc:
        failed = PackageFailed(
            file_code=event.file_code, reason_code=exc.code, detail=str(exc)[:2000], at=utcnow()
        )
        await _announce(failed, envelope, deps)
        log.warning("package_failed", code=exc.code)
        raise


async def _announce(event: Event, cause: Envelope, deps: HandoverDeps) -> None:
    """One event through the outbox, in the correlation of the event that caused it."""
    await in_thread(
        deps.engine,
        lambda s: add_to_outbox(s, event, source=SOURCE, correlation_id=cause.correlation_id),
    )
    deps.wake_outbox()


async def _package(event: FileAccepted, envelope: Envelope, deps: HandoverDeps) -> None:
    built = await in_thread(deps.engine, lambda s: _existing(s, envelope.id))
    if built is not None:  # sent again: the catalogue never heard of the package it made
        await _announce(_ready_again(built, deps, utcnow()), envelope, deps)
        return
    package_id = package_id_for(envelope.id)
    key = package_key(event.file_code, package_id)
    replaces = await in_thread(deps.engine, lambda s: _replaced(s, event.file_code))
    with tempfile.TemporaryDirectory(prefix="handover-", dir=deps.work_dir) as work:
        bag_dir = Path(work) / str(package_id)
        objid = objid_for(package_id)
        aip = bag_dir / package_folder(objid)
        objects = await _gather_payload(
            event, aip / "representations" / REPRESENTATION / "data", deps
        )
        request = AipRequest(
            event,
            objid,
            deps.organization,
            utcnow(),
            replaces=objid_for(replaces) if replaces else None,
            pdf_per=deps.pdf_per,
            signer=deps.signer,
        )
        await asyncio.to_thread(build_aip, aip, request)
        errors = await asyncio.to_thread(eark_errors, aip)
        if errors:  # our own bug: never store or announce a package the archive would refuse
            raise PackageInvalid("; ".join(errors[:5]))
        info = bag_info(event, package_id, deps.organization)
        oxum = await asyncio.to_thread(make_validated_bag, bag_dir, info)
        archive = Path(work) / f"{package_id}.zip"
        await asyncio.to_thread(zip_tree, bag_dir, archive, str(package_id))
        try:
            source = await asyncio.to_thread(open, archive, "rb")
            with source:
                stored = await deps.packages.put(key, source, content_type="application/zip")
        except ObjectExists:  # stored before a crash: the stored object is the package
            stored = await deps.packages.download(key, Path(work) / "stored.zip")
    objects.append(("handover", stored.key, stored.sha256))
    contents = _contents(event, oxum, deps.pdf_per)
    await _record(event, envelope, (package_id, replaces), stored, oxum, deps, contents, objects)
    log.info("package_ready", package_id=str(package_id), size=stored.size)


def _contents(event: FileAccepted, oxum: str, pdf_per: str) -> dict[str, int]:
    payload_bytes, _, files = oxum.partition(".")
    documents = len(event.documents)
    return {
        "pages": len(event.pages),
        "documents": documents,
        "pdfs": documents if documents and pdf_per == "document" else 1,
        "files": int(files),
        "payload_bytes": int(payload_bytes),
    }


async def _record(
    event: FileAccepted,
    envelope: Envelope,
    ids: tuple[uuid.UUID, uuid.UUID | None],  # this package, and the one it replaces
    stored: StoredObject,
    oxum: str,
    deps: HandoverDeps,
    contents: dict[str, int],
    objects: list[tuple[str, str, str]],
) -> None:
    package_id, replaces = ids
    url, expires = deps.download_url(package_id, utcnow())
    ready = PackageReady(
        download_url=url,
        expires_at=expires,
        contents=contents,
        replaces_package_id=replaces,
        file_code=event.file_code,
        package_id=package_id,
        object_key=stored.key,
        sha256=stored.sha256,
        size=stored.size,
        payload_oxum=oxum,
    )

    def work(session: Session) -> None:
        session.add(
            HandoverPackage(
                package_id=str(package_id),
                file_code=event.file_code,
                accept_event_id=envelope.id,
                object_key=stored.key,
                sha256=stored.sha256,
                size=stored.size,
                payload_oxum=oxum,
                replaces=str(replaces) if replaces else None,
            )
        )
        for area, key, sha256 in objects:
            if session.get(FixityRecord, (area, key)) is None:
                session.add(
                    FixityRecord(
                        area=area, object_key=key, file_code=event.file_code, sha256=sha256
                    )
                )
        delivery = Delivery.announced(package_id, event.file_code, utcnow())
        session.add(HandoverDelivery.from_domain(delivery))
        add_to_outbox(session, ready, source=SOURCE, correlation_id=envelope.correlation_id)

    await in_thread(deps.engine, work)
    deps.wake_outbox()


async def package_for_download(
    package_id: uuid.UUID, token: str, target: Path, deps: HandoverDeps
) -> HandoverPackage:
    """Check the token, then copy the stored zip to ``target`` (streamed) for the response."""
    check_download_token(package_id, token, deps.download_secret, int(utcnow().timestamp()))
    package = await in_thread(deps.engine, lambda s: s.get(HandoverPackage, str(package_id)))
    if package is None:
        raise PackageNotFound(f"không có gói {package_id}")
    await deps.packages.download(package.object_key, target)
    await in_thread(deps.engine, lambda s: _mark_received(s, package_id))
    return package


def _mark_received(session: Session, package_id: uuid.UUID) -> None:
    """The national archive fetched the package by its signed URL: the delivery is received."""
    row = session.get(HandoverDelivery, str(package_id))
    if row is not None:
        delivery = row.to_domain()
        if delivery.downloaded():
            row.update_from(delivery)
            session.add(row)
            session.commit()


async def on_package_receipt(event: PackageReceipt, envelope: Envelope, deps: HandoverDeps) -> None:
    """Record the national archive's answer; a repeated or late receipt changes nothing."""
    reasons = tuple(f"{r.path}: {r.reason}" if r.path else r.reason for r in event.reasons)

    def work(session: Session) -> None:
        row = session.get(HandoverDelivery, str(event.package_id))
        if row is None:
            log.warning("receipt_for_unknown_package", package_id=str(event.package_id))
            return
        delivery = row.to_domain()
        answered = delivery.answer(
            event.receipt_id,
            event.accepted,
            reasons,
            receiver=event.receiver,
            at=event.at,
            received_sha256=event.sha256,
        )
        if answered:
            row.update_from(delivery)
            session.add(row)
            session.commit()

    await in_thread(deps.engine, work)


def _ready_again(package: HandoverPackage, deps: HandoverDeps, now: datetime) -> PackageReady:
    """A built package announced again: the same package id and bytes, a fresh download URL."""
    url, expires = deps.download_url(uuid.UUID(package.package_id), now)
    return PackageReady(
        file_code=package.file_code,
        package_id=uuid.UUID(package.package_id),
        object_key=package.object_key,
        sha256=package.sha256,
        size=package.size,
        payload_oxum=package.payload_oxum,
        download_url=url,
        expires_at=expires,
        replaces_package_id=uuid.UUID(package.replaces) if package.replaces else None,
    )


async def redeliver_due(deps: HandoverDeps, now: datetime) -> int:
    """Announce again every unanswered delivery whose wait is over: the same package id and
    bytes, a fresh download URL. Returns how many were sent."""

    def work(session: Session) -> int:
        sent = 0
        for row in unanswered(session):
            delivery = row.to_domain()
            if not delivery.due(now, deps.retry.first_wait, deps.retry.max_wait):
                continue
            package = session.get(HandoverPackage, row.package_id)
            if package is None:
                continue
            delivery.resent(now)
            row.update_from(delivery)
            session.add(row)
            add_to_outbox(session, _ready_again(package, deps, now), source=SOURCE)
            sent += 1
        session.commit()
        return sent

    sent = await in_thread(deps.engine, work)
    if sent:
        deps.wake_outbox()
        log.info("redelivered", count=sent)
    return sent


async def list_deliveries(deps: HandoverDeps, now: datetime) -> list[tuple[Delivery, bool]]:
    """Every delivery with whether it is overdue."""
    rows = await in_thread(deps.engine, deliveries)
    return [
        (d, d.overdue(now, deps.retry.overdue_after)) for d in (row.to_domain() for row in rows)
    ]


FIXITY_FAILURES = Gauge("sohoa_fixity_failures", "Stored objects whose SHA-256 no longer matches")
FIXITY_CHECKS = Counter("sohoa_fixity_checks_total", "Fixity checks made", ["outcome"])


async def audit_fixity(deps: HandoverDeps, limit: int) -> list[FixityRecord]:
    """Re-read up to ``limit`` stored objects (longest unchecked first), compare SHA-256 with
    the record, write a PREMIS fixity-check event for each, and publish fixity-failed for each
    new failure. Returns the objects that failed in this round."""
    chosen = await in_thread(deps.engine, lambda s: next_to_check(s, limit))
    stores = {
        "originals": deps.originals,
        "derivatives": deps.derivatives,
        "handover": deps.packages,
    }
    failed: list[FixityRecord] = []
    for record in chosen:
        with tempfile.TemporaryDirectory(prefix="fixity-", dir=deps.work_dir) as scratch:
            try:
                read = await stores[record.area].download(record.object_key, Path(scratch) / "o")
                actual = read.sha256
            except ObjectMissing:
                actual = ""
        ok = actual.lower() == record.sha256.lower()
        now = utcnow()
        FIXITY_CHECKS.labels("pass" if ok else "fail").inc()

        def work(
            session: Session,
            record: FixityRecord = record,
            ok: bool = ok,
            actual: str = actual,
            now: datetime = now,
        ) -> None:
            row = session.get(FixityRecord, (record.area, record.object_key))
            if row is None:
                return
            newly_failed = row.ok and not ok
            row.ok, row.actual_sha256, row.checked_at = ok, actual, now
            session.add(row)
            session.add(
                FixityCheck(
                    area=row.area,
                    object_key=row.object_key,
                    at=now,
                    outcome="pass" if ok else "fail",
                    detail=f"SHA-256 {actual or 'missing'} vs {row.sha256}",
                )
            )
            if newly_failed:
                add_to_outbox(
                    session,
                    FixityFailed(
                        file_code=row.file_code,
                        area=row.area,
                        object_key=row.object_key,
                        expected_sha256=row.sha256,
                        actual_sha256=actual,
                        checked_at=now,
                    ),
                    source=SOURCE,
                )
            session.commit()

        await in_thread(deps.engine, work)
        if not ok:
            failed.append(record)
    FIXITY_FAILURES.set(len(await in_thread(deps.engine, fixity_failures)))
    if failed:
        deps.wake_outbox()
        log.warning("fixity_failed", objects=[f"{r.area}/{r.object_key}" for r in failed])
    return failed


async def list_fixity_failures(deps: HandoverDeps) -> list[FixityRecord]:
    return await in_thread(deps.engine, fixity_failures)


async def latest_receipt(file_code: str, deps: HandoverDeps) -> Delivery:
    """The newest delivery of the hồ sơ that the national archive has answered."""
    rows = await in_thread(deps.engine, lambda s: deliveries_of(s, file_code))
    for delivery in (row.to_domain() for row in rows):
        if delivery.answered:
            return delivery
    raise ReceiptNotFound(f"hồ sơ {file_code} chưa có biên nhận của Lưu trữ quốc gia")


async def packages_of_file(file_code: str, deps: HandoverDeps) -> list[HandoverPackage]:
    """Every package of the hồ sơ, newest first."""
    return await in_thread(deps.engine, lambda s: packages_of(s, file_code))


async def latest_package(file_code: str, deps: HandoverDeps) -> HandoverPackage:
    packages = await packages_of_file(file_code, deps)
    if not packages:
        raise PackageNotFound(f"hồ sơ {file_code} chưa có gói bàn giao")
    return packages[0]
