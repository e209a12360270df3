"""Ingest commands, each ``fn(msg, uow)`` on the domain; and the one async flow that ties them
to the slow parts (decoding a scan, storing the original) outside any transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from services.ingest.adapters.images import inspect_image
from services.ingest.domain import (
    FileUnknown,
    ImageFacts,
    Intake,
    PageVersion,
    ScanPolicy,
    SequenceTaken,
    check_file_name,
    check_rules,
    new_page_id,
    original_key,
)
from services.ingest.ports import UnitOfWork
from shared.db import utcnow
from shared.envelope import Envelope
from shared.errors import PermanentError, TransientError
from shared.events import FileStateChanged, PageIngested, PageRejected
from shared.objectstore import ObjectExists, ObjectStore
from shared.uploads import Upload

SOURCE = "sohoa-ingest"


@dataclass(frozen=True)
class Scan:
    """One uploaded file and what its sender said of it."""

    file_code: str
    sequence: int | None
    file_name: str | None = None
    paper: str | None = None
    colour: str | None = None
    station: str | None = None
    operator: str | None = None


@dataclass(frozen=True)
class Planned:
    existing: PageVersion | None
    intake: Intake | None


@dataclass(frozen=True)
class IngestDeps:
    unit_of_work: Callable[[str], UnitOfWork]  # correlation id → a new unit of work
    originals: ObjectStore
    wake_outbox: Callable[[], None]
    policy_for: Callable[[str], ScanPolicy]


# --- commands on the unit of work ------------------------------------------------------------


def find_retry(msg: tuple[str, str], uow: UnitOfWork) -> PageVersion | None:
    """The page already stored with these bytes (a retried upload), if any."""
    file_code, sha256 = msg
    with uow:
        return uow.pages.with_content(file_code, sha256)


def gate(file_code: str, uow: UnitOfWork) -> Intake:
    """Ingest's view of whether a hồ sơ may take scans; unknown until the catalogue says."""
    with uow:
        known = uow.intakes.get(file_code)
    if known is None:
        raise FileUnknown(f"chưa nhận được hồ sơ {file_code} từ mục lục (catalogue)")
    return known[0]


def plan_pages(pages: list[PageVersion], uow: UnitOfWork) -> list[PageVersion]:
    """Where checked pages will go: their numbers (the next free one when not asked) and
    versions (a new one where kiểm tra sent the page back), so the originals can be stored
    under their final keys before anything is recorded."""
    with uow:
        planned: list[PageVersion] = []
        next_free = uow.pages.next_sequence(pages[0].file_code) if pages else 1
        for page in pages:
            known = uow.intakes.get(page.file_code)
            intake = known[0] if known else Intake(page.file_code, "", True, True)
            sequence = page.sequence or next_free
            next_free = max(next_free, sequence + 1)
            version = uow.pages.slot(page.file_code, sequence).next_version(intake)
            key = original_key(page.file_code, sequence, page.sha256, page.media_type, version)
            planned.append(replace(page, sequence=sequence, version=version, object_key=key))
        return planned


def record_pages(pages: list[PageVersion], uow: UnitOfWork) -> list[PageVersion]:
    """Record the stored originals at their planned versions and announce each; all or none.
    A version taken meanwhile by a concurrent upload is a conflict."""
    with uow:
        for page in pages:
            slot = uow.pages.slot(page.file_code, page.sequence)
            known = uow.intakes.get(page.file_code)
            intake = known[0] if known else Intake(page.file_code, "", True, True)
            if slot.next_version(intake) != page.version:
                raise SequenceTaken(
                    f"trang {page.sequence} của hồ sơ {page.file_code} vừa được tải lên"
                )
            slot.add(page)
            uow.pages.save(slot)
            uow.publish(_announcement(page))
        uow.commit()
        return pages


def reject(event: PageRejected, uow: UnitOfWork) -> None:
    """A refused scan leaves only its page-rejected event behind."""
    with uow:
        uow.publish(event)
        uow.commit()


def on_file_state_changed(event: FileStateChanged, uow: UnitOfWork) -> None:
    """Keep the scanning gate of a hồ sơ; an event older than the one kept changes nothing."""
    with uow:
        known = uow.intakes.get(event.file_code)
        if known is not None and known[1] >= event.version:
            return
        intake = Intake(
            event.file_code,
            event.to_state,
            event.open_for_scanning,
            event.arranged,
            tuple(event.rescan_sequences),
            event.number_of_page,
        )
        uow.intakes.put(intake, event.version)
        uow.commit()


def list_pages(msg: tuple[str, bool], uow: UnitOfWork) -> list[PageVersion]:
    file_code, all_versions = msg
    with uow:
        return uow.pages.of_file(file_code, all_versions=all_versions)


def _announcement(page: PageVersion) -> PageIngested:
    return PageIngested(
        file_code=page.file_code,
        page_id=uuid.UUID(page.page_id),
        sequence=page.sequence,
        object_key=page.object_key,
        sha256=page.sha256,
        size=page.size,
        media_type=page.media_type,
        width=page.width,
        height=page.height,
        dpi=page.dpi,
        version=page.version,
        replaces=uuid.UUID(page.replaces) if page.replaces else None,
        colour_mode=page.colour_mode,
        warnings=page.warnings,
        station=page.station,
        operator=page.operator,
        container_key=page.container_key,
    )


# --- the upload flow -------------------------------------------------------------------------


M = TypeVar("M")
R = TypeVar("R")


async def run(
    deps: IngestDeps, handler: Callable[[M, UnitOfWork], R], msg: M, correlation_id: str = ""
) -> R:
    return await asyncio.to_thread(handler, msg, deps.unit_of_work(correlation_id))


async def ingest_page(
    upload: Upload, scan: Scan, correlation_id: str, deps: IngestDeps
) -> tuple[PageVersion, bool]:
    """Check one scan against the rules, store it write-once and announce it. Returns the page
    and whether it is new. A refusal is announced as page-rejected and nothing is stored.

    Sending the same bytes again returns the page already stored (safe retries); another image
    at a number taken is a new version only when kiểm tra sent that page back for re-scan."""
    try:
        same = await run(deps, find_retry, (scan.file_code, upload.sha256))
        if same is not None and scan.sequence in (None, same.sequence):
            return same, False  # a retried upload is answered even once the gate has closed
        check_file_name(scan.file_name)
        intake = await run(deps, gate, scan.file_code)
        intake.check_open()
        pages = await asyncio.to_thread(inspect_image, upload.path, deps.policy_for(scan.file_code))
        check_file_name(scan.file_name, pages[0].media_type)
        page = _checked(upload, scan, pages[0], deps.policy_for(scan.file_code))
        if same is not None:
            raise SequenceTaken(
                f"ảnh này đã được lưu là trang {same.sequence} của hồ sơ {scan.file_code}"
            )
        [planned] = await run(deps, plan_pages, [page])
    except PermanentError as refusal:
        await _announce_refusal(refusal, upload, scan, correlation_id, deps)
        raise
    await _store(upload, planned, deps)
    [recorded] = await run(deps, record_pages, [planned], correlation_id)
    deps.wake_outbox()
    return recorded, True


def _checked(upload: Upload, scan: Scan, facts: ImageFacts, policy: ScanPolicy) -> PageVersion:
    dpi, warnings = check_rules(facts, policy, paper=scan.paper, colour_declared=scan.colour)
    return PageVersion(
        page_id=new_page_id(),
        file_code=scan.file_code,
        sequence=scan.sequence or 0,
        version=1,
        object_key="",
        sha256=upload.sha256,
        size=upload.size,
        media_type=facts.media_type,
        width=facts.width,
        height=facts.height,
        dpi=dpi,
        colour_mode=facts.colour_mode,
        warnings=warnings,
        station=scan.station,
        operator=scan.operator,
    )


async def _store(upload: Upload, page: PageVersion, deps: IngestDeps) -> None:
    try:
        source = await asyncio.to_thread(open, upload.path, "rb")
        with source:
            stored = await deps.originals.put(page.object_key, source, content_type=page.media_type)
        if stored.sha256 != upload.sha256:  # fixity at capture: what was kept is what arrived
            raise TransientError(f"SHA-256 of stored {page.object_key} differs from the upload")
    except ObjectExists:
        pass  # the key carries the digest: an earlier attempt stored these very bytes


async def _announce_refusal(
    refusal: PermanentError, upload: Upload, scan: Scan, correlation_id: str, deps: IngestDeps
) -> None:
    event = PageRejected(
        file_code=scan.file_code,
        sequence=scan.sequence,
        code=refusal.code,
        detail=str(refusal) or refusal.title,
        sha256=upload.sha256,
        file_name=scan.file_name if refusal.code != "ingest.unsafe-file-name" else None,
        station=scan.station,
        at=utcnow(),
    )
    await run(deps, reject, event, correlation_id)
    deps.wake_outbox()


def consume(
    deps: IngestDeps, handler: Callable[[FileStateChanged, UnitOfWork], None]
) -> Callable[[FileStateChanged, Envelope], Awaitable[None]]:
    async def on_event(event: FileStateChanged, envelope: Envelope) -> None:
        await run(deps, handler, event, envelope.correlation_id or "")

    return on_event
