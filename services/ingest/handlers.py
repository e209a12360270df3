"""Ingest commands: take one uploaded scan to a stored original and a page-ingested event."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.ingest.adapters.db import (
    IngestedPage,
    IntakeFile,
    next_sequence,
    page_at,
    page_with_content,
    pages_of,
)
from services.ingest.adapters.images import inspect_image
from services.ingest.domain import FileUnknown, Intake, SequenceTaken, original_key
from shared.db import in_thread, utcnow
from shared.envelope import Envelope
from shared.errors import TransientError
from shared.events import FileStateChanged, PageIngested
from shared.objectstore import ObjectExists, ObjectStore
from shared.outbox import add_to_outbox
from shared.uploads import Upload

SOURCE = "sohoa-ingest"


@dataclass(frozen=True)
class IngestDeps:
    engine: Engine
    originals: ObjectStore
    wake_outbox: Callable[[], None]


async def ingest_page(
    upload: Upload,
    file_code: str,
    sequence: int | None,
    correlation_id: str,
    deps: IngestDeps,
) -> tuple[IngestedPage, bool]:
    """Store one page scan write-once and announce it. Returns the page and whether it is new.

    Sending the same bytes again returns the page already stored (safe retries); another image
    at a sequence already taken is a conflict, never an overwrite.
    """
    same = await in_thread(deps.engine, lambda s: page_with_content(s, file_code, upload.sha256))
    if same is not None:
        if sequence in (None, same.sequence):
            return same, False  # a retried upload is answered even once the gate has closed
        raise SequenceTaken(f"ảnh này đã được lưu là trang {same.sequence} của hồ sơ {file_code}")
    (await intake(file_code, deps)).check_open()
    facts = await asyncio.to_thread(inspect_image, upload.path)

    def choose_sequence(session: Session) -> int:
        chosen = sequence or next_sequence(session, file_code)
        if page_at(session, file_code, chosen) is not None:
            raise SequenceTaken(f"trang {chosen} của hồ sơ {file_code} đã có ảnh khác")
        return chosen

    chosen = await in_thread(deps.engine, choose_sequence)
    key = original_key(file_code, chosen, upload.sha256, facts.media_type)
    try:
        source = await asyncio.to_thread(open, upload.path, "rb")
        with source:
            stored = await deps.originals.put(key, source, content_type=facts.media_type)
        if stored.sha256 != upload.sha256:  # fixity at capture: what was kept is what arrived
            raise TransientError(f"SHA-256 of stored {key} differs from the upload")
    except ObjectExists:
        pass  # the key carries the digest: an earlier attempt stored these very bytes

    page = IngestedPage(
        page_id=str(uuid.uuid4()),
        file_code=file_code,
        sequence=chosen,
        object_key=key,
        sha256=upload.sha256,
        size=upload.size,
        media_type=facts.media_type,
        width=facts.width,
        height=facts.height,
        dpi=facts.dpi,
    )
    event = PageIngested(
        file_code=file_code,
        page_id=uuid.UUID(page.page_id),
        sequence=chosen,
        object_key=key,
        sha256=upload.sha256,
        size=upload.size,
        media_type=facts.media_type,
        width=facts.width,
        height=facts.height,
        dpi=facts.dpi,
    )

    def record(session: Session) -> IngestedPage:
        session.add(page)
        add_to_outbox(session, event, source=SOURCE, correlation_id=correlation_id)
        return page

    try:
        await in_thread(deps.engine, record)
    except IntegrityError as exc:  # a concurrent upload took the sequence first
        raise SequenceTaken(f"trang {chosen} của hồ sơ {file_code} vừa được tải lên") from exc
    deps.wake_outbox()
    return page, True


async def list_pages(file_code: str, deps: IngestDeps) -> list[IngestedPage]:
    return await in_thread(deps.engine, lambda s: pages_of(s, file_code))


async def intake(file_code: str, deps: IngestDeps) -> Intake:
    """Ingest's view of whether a hồ sơ may take scans; unknown until the catalogue says."""
    row = await in_thread(deps.engine, lambda s: s.get(IntakeFile, file_code))
    if row is None:
        raise FileUnknown(f"chưa nhận được hồ sơ {file_code} từ mục lục (catalogue)")
    return Intake(row.file_code, row.state, row.open_for_scanning, row.arranged)


async def on_file_state_changed(
    event: FileStateChanged, _envelope: Envelope, deps: IngestDeps
) -> None:
    """Keep the scanning gate of a hồ sơ; an event older than the one kept changes nothing."""

    def work(session: Session) -> None:
        row = session.get(IntakeFile, event.file_code)
        if row is not None and row.version >= event.version:
            return
        row = row or IntakeFile(
            file_code=event.file_code,
            state=event.to_state,
            open_for_scanning=event.open_for_scanning,
            arranged=event.arranged,
            version=event.version,
        )
        row.state, row.open_for_scanning = event.to_state, event.open_for_scanning
        row.arranged, row.version = event.arranged, event.version
        row.number_of_page = event.number_of_page
        row.rescan_sequences = list(event.rescan_sequences)
        row.updated_at = utcnow()
        session.add(row)

    await in_thread(deps.engine, work)
