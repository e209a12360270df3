"""Ingest commands, each ``fn(msg, uow)`` on the domain; and the one async flow that ties them
to the slow parts (decoding a scan, storing the original) outside any transaction."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from services.ingest.adapters.containers import is_container, pdf_pages, tiff_frames
from services.ingest.adapters.images import inspect_image, sniff
from services.ingest.domain import (
    Batch,
    BatchClosedAlready,
    BatchUnknown,
    Completeness,
    ContainerAmongParts,
    FileUnknown,
    ImageFacts,
    Intake,
    PageVersion,
    ScanPolicy,
    SequenceTaken,
    StoredOriginalDiffers,
    check_file_name,
    check_rules,
    container_key,
    new_page_id,
    original_key,
)
from services.ingest.ports import UnitOfWork
from shared.db import utcnow
from shared.envelope import Envelope
from shared.errors import PermanentError, TransientError
from shared.events import BatchClosed, FileStateChanged, PageIngested, PageRejected
from shared.objectstore import ObjectExists, ObjectStore
from shared.uploads import Part, Upload

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
    batch: str | None = None


@dataclass(frozen=True)
class CloseBatch:
    file_code: str
    batch_id: str


@dataclass(frozen=True)
class Planned:
    existing: PageVersion | None
    intake: Intake | None


@dataclass(frozen=True)
class Admit:
    """A single-page upload as the database is asked about it, before it is decoded."""

    file_code: str
    sha256: str
    sequence: int | None
    batch_id: str | None = None


@dataclass(frozen=True)
class Admission:
    """What one read of the database says of a single-page upload: the page already stored
    with its bytes (a retry), the scanning gate, and where the page would go. A refusal met
    while placing it is kept for its turn, so the scan's own faults are told first."""

    same: PageVersion | None
    intake: Intake | None
    sequence: int = 0
    version: int = 0
    refusal: PermanentError | None = None

    def open_gate(self, file_code: str) -> None:
        if self.intake is None:
            raise _unknown(file_code)
        self.intake.check_open()

    def place(self, page: PageVersion) -> PageVersion:
        """The checked page at its number and version (see :func:`plan_pages`)."""
        if self.refusal is not None:
            raise self.refusal
        key = original_key(
            page.file_code, self.sequence, page.sha256, page.media_type, self.version
        )
        return replace(page, sequence=self.sequence, version=self.version, object_key=key)


@dataclass(frozen=True)
class IngestDeps:
    unit_of_work: Callable[[str], UnitOfWork]  # correlation id → a new unit of work
    originals: ObjectStore
    wake_outbox: Callable[[], None]
    policy_for: Callable[[str], ScanPolicy]


# --- commands on the unit of work ------------------------------------------------------------


def admit(msg: Admit, uow: UnitOfWork) -> Admission:
    """Everything a single-page upload needs from the database before it is stored, in one
    unit of work rather than three: the page stored with these bytes (a retry), the gate
    (:func:`gate`) and the placing :func:`plan_pages` does for a container, which
    :func:`record_pages` checks again in its own transaction."""
    with uow:
        same = uow.pages.with_content(msg.file_code, msg.sha256)
        known = uow.intakes.get(msg.file_code)
        if known is None or (same is not None and msg.sequence in (None, same.sequence)):
            return Admission(same, known[0] if known else None)
        intake = known[0]
        try:
            if msg.batch_id and (batch := uow.batches.get(msg.batch_id)) is not None:
                batch.check_open()
            sequence = msg.sequence or uow.pages.next_sequence(msg.file_code)
            version = uow.pages.slot(msg.file_code, sequence).next_version(intake)
        except PermanentError as refusal:
            return Admission(same, intake, refusal=refusal)
        return Admission(same, intake, sequence, version)


def gate(file_code: str, uow: UnitOfWork) -> Intake:
    """Ingest's view of whether a hồ sơ may take scans; unknown until the catalogue says."""
    with uow:
        known = uow.intakes.get(file_code)
    if known is None:
        raise _unknown(file_code)
    return known[0]


def _unknown(file_code: str) -> FileUnknown:
    return FileUnknown(f"chưa nhận được hồ sơ {file_code} từ mục lục (catalogue)")


def plan_pages(
    pages: list[PageVersion], uow: UnitOfWork, batch_id: str | None = None
) -> list[PageVersion]:
    """Where checked pages will go: their numbers (the next free one when not asked) and
    versions (a new one where kiểm tra sent the page back), so the originals can be stored
    under their final keys before anything is recorded."""
    with uow:
        if batch_id and pages and (batch := uow.batches.get(batch_id)) is not None:
            batch.check_open()
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


def record_pages(
    pages: list[PageVersion], uow: UnitOfWork, batch_id: str | None = None
) -> list[PageVersion]:
    """Record the stored originals at their planned versions and announce each; all or none.
    A version taken meanwhile by a concurrent upload is a conflict."""
    with uow:
        batch = _batch(uow, pages[0].file_code, batch_id) if batch_id and pages else None
        pages = [replace(page, created_at=page.created_at or uow.now()) for page in pages]
        for page in pages:
            slot = uow.pages.slot(page.file_code, page.sequence)
            known = uow.intakes.get(page.file_code)
            intake = known[0] if known else Intake(page.file_code, "", True, True)
            if slot.next_version(intake) != page.version:
                raise SequenceTaken(
                    f"trang {page.sequence} của hồ sơ {page.file_code} vừa được tải lên",
                    sequence=page.sequence,
                )
            slot.add(page)
            uow.pages.save(slot)
            uow.publish(_announcement(page))
            if batch is not None:
                batch.take(page.sequence)
        if batch is not None:
            uow.batches.put(batch)
        uow.commit()
        return pages


def _batch(uow: UnitOfWork, file_code: str, batch_id: str) -> Batch:
    batch = uow.batches.get(batch_id) or Batch(batch_id, file_code)
    if batch.file_code != file_code:
        raise BatchClosedAlready(f"đợt quét {batch_id} thuộc hồ sơ {batch.file_code}")
    return batch


def close_batch(cmd: CloseBatch, uow: UnitOfWork) -> tuple[Batch, Completeness]:
    """Close a đợt quét: its completeness against the declared pages, announced."""
    with uow:
        batch = uow.batches.get(cmd.batch_id)
        if batch is None or batch.file_code != cmd.file_code:
            raise BatchUnknown(f"không có đợt quét {cmd.batch_id} của hồ sơ {cmd.file_code}")
        known = uow.intakes.get(cmd.file_code)
        if known is None:
            raise FileUnknown(f"chưa nhận được hồ sơ {cmd.file_code} từ mục lục (catalogue)")
        at = uow.now()
        result = batch.close(known[0], at)
        uow.batches.put(batch)
        uow.publish(
            BatchClosed(
                file_code=cmd.file_code,
                batch_id=uuid.uuid5(uuid.NAMESPACE_URL, f"sohoa-batch:{cmd.batch_id}"),
                declared_pages=known[0].number_of_page,
                received=result.received,
                gaps=result.gaps,
                duplicates=result.duplicates,
                extras=result.extras,
                complete=result.complete,
                at=at,
            )
        )
        uow.commit()
        return batch, result


def reject(msg: tuple[PageRejected, str | None], uow: UnitOfWork) -> None:
    """A refused scan leaves only its page-rejected event behind; one refused at a number
    another image holds counts as a duplicate of ``batch_id``, the batch it was sent in (the
    caller names it only then)."""
    event, batch_id = msg
    with uow:
        uow.publish(event)
        if batch_id and event.sequence:
            batch = _batch(uow, event.file_code, batch_id)
            batch.take(event.sequence)
            uow.batches.put(batch)
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


@dataclass(frozen=True)
class Ingested:
    """What an upload became: its pages (one, or those of a container) and whether new."""

    pages: list[PageVersion]
    created: bool
    container_key: str | None = None


def find_container(msg: tuple[str, str], uow: UnitOfWork) -> list[PageVersion]:
    file_code, key = msg
    with uow:
        pages = uow.pages.of_file(file_code, all_versions=True)
    return [page for page in pages if page.container_key == key]


async def ingest_page(
    upload: Upload, scan: Scan, correlation_id: str, deps: IngestDeps
) -> tuple[PageVersion, bool]:
    """One single-page scan (see :func:`ingest_scan`)."""
    ingested = await ingest_scan(upload, scan, correlation_id, deps)
    return ingested.pages[0], ingested.created


async def ingest_scan(
    upload: Upload, scan: Scan, correlation_id: str, deps: IngestDeps
) -> Ingested:
    """Check a scan against the rules, store it write-once and announce each of its pages. A
    multi-page TIFF or a PDF becomes one page per page, numbered on from ``scan.sequence``,
    and is kept as it arrived too. A refusal is announced as page-rejected; nothing is stored.

    Sending the same bytes again returns what was stored (safe retries); another image at a
    number taken is a new version only where kiểm tra sent that page back for re-scan."""
    policy = deps.policy_for(scan.file_code)
    try:
        media_type = await _media_type(upload, scan.file_name)
        if await asyncio.to_thread(is_container, upload.path, media_type):
            key = container_key(scan.file_code, upload.sha256, media_type)
            earlier = await run(deps, find_container, (scan.file_code, key))
            if earlier:
                return Ingested(earlier, False, key)
            (await run(deps, gate, scan.file_code)).check_open()
            with tempfile.TemporaryDirectory(prefix="pages-", dir=upload.path.parent) as work:
                parts = await asyncio.to_thread(_split, upload.path, media_type, Path(work), policy)
                pages = [
                    replace(_checked(part, scan, facts, policy), container_key=key)
                    for part, facts in parts
                ]
                pages = [
                    replace(p, sequence=scan.sequence + i if scan.sequence else 0)
                    for i, p in enumerate(pages)
                ]
                checked = [(part, page) for (part, _facts), page in zip(parts, pages, strict=True)]
                taken = await _keep(checked, scan, correlation_id, deps, (upload, key, media_type))
            return Ingested(taken, True, key)
        asked = Admit(scan.file_code, upload.sha256, scan.sequence, scan.batch)
        admission = await run(deps, admit, asked)
        same = admission.same
        if same is not None and scan.sequence in (None, same.sequence):
            return Ingested([same], False)  # a retry is answered even once the gate has closed
        admission.open_gate(scan.file_code)
        [facts] = await asyncio.to_thread(inspect_image, upload.path, policy)
        page = _checked(upload, scan, facts, policy)
        if same is not None:
            raise SequenceTaken(
                f"ảnh này đã được lưu là trang {same.sequence} của hồ sơ {scan.file_code}"
            )
        planned = admission.place(page)
        await _store(upload, planned.object_key, planned.media_type, deps)
    except PermanentError as refusal:
        await _announce_refusal(refusal, upload, scan, correlation_id, deps)
        raise
    [recorded] = await run(
        deps, partial(record_pages, batch_id=scan.batch), [planned], correlation_id
    )
    deps.wake_outbox()
    return Ingested([recorded], True)


async def ingest_parts(
    parts: list[Part], scan: Scan, correlation_id: str, deps: IngestDeps
) -> Ingested:
    """Scans sent together (the file parts of one multipart request), all or nothing as the
    pages of a container are: each is checked as a single page is, then all are placed in one
    unit of work, stored, and recorded and announced in one transaction. Part n takes number
    ``scan.sequence + n - 1`` (the next free numbers without one). A refusal names its part
    (``part``, ``file_name``) and is announced once; nothing is stored. The same parts again at
    the same numbers answer the pages stored (a retry). A multi-page TIFF or a PDF is refused
    here: sent alone, it is kept beside its pages."""
    policy = deps.policy_for(scan.file_code)
    scans = [
        replace(scan, sequence=scan.sequence + i if scan.sequence else None, file_name=p.file_name)
        for i, p in enumerate(parts)
    ]
    try:
        for part, one in zip(parts, scans, strict=True):
            with _naming(part):
                media_type = await _media_type(part.upload, one.file_name)
                if await asyncio.to_thread(is_container, part.upload.path, media_type):
                    raise ContainerAmongParts(
                        "TIFF nhiều trang hoặc PDF gửi riêng làm cả thân yêu cầu, không là một phần"
                    )
        digests = [part.upload.sha256 for part in parts]
        same, intake = await run(deps, stored_already, (scan.file_code, digests))
        retried = [
            kept
            for kept, one in zip(same, scans, strict=True)
            if kept is not None and one.sequence in (None, kept.sequence)
        ]
        if len(retried) == len(parts):
            return Ingested(retried, False)  # a retry is answered even once the gate has closed
        if intake is None:
            raise _unknown(scan.file_code)
        intake.check_open()
        checked: list[tuple[Upload, PageVersion]] = []
        for part, one, kept in zip(parts, scans, same, strict=True):
            with _naming(part):
                [facts] = await asyncio.to_thread(inspect_image, part.upload.path, policy)
                page = _checked(part.upload, one, facts, policy)
                if kept is not None:
                    raise SequenceTaken(f"ảnh này đã được lưu là trang {kept.sequence} của hồ sơ")
                twin = next((p for p in parts if p.upload.sha256 == part.upload.sha256), part)
                if twin is not part:
                    raise SequenceTaken(f"ảnh này giống phần {twin.number} của cùng yêu cầu")
            checked.append((part.upload, page))
        try:
            return Ingested(await _keep(checked, scan, correlation_id, deps), True)
        except SequenceTaken as taken:  # a number of one part held by another image
            at = taken.extra.get("sequence")
            if scan.sequence and isinstance(at, int) and 0 <= at - scan.sequence < len(parts):
                raise _of_part(parts[at - scan.sequence], taken) from taken
            raise
    except PermanentError as refusal:
        number = refusal.extra.get("part")
        sha256 = parts[number - 1].upload.sha256 if isinstance(number, int) else None
        await announce_refusal(refusal, part_scan(scan, refusal), sha256, correlation_id, deps)
        raise


def part_scan(scan: Scan, refusal: PermanentError) -> Scan:
    """The scan a refusal of a multipart upload is about: the part it names, at its number,
    or the request as a whole when it names none."""
    number, name = refusal.extra.get("part"), refusal.extra.get("file_name")
    if not isinstance(number, int):
        return scan
    sequence = scan.sequence + number - 1 if scan.sequence else None
    return replace(scan, sequence=sequence, file_name=name if isinstance(name, str) else None)


def stored_already(
    msg: tuple[str, list[str]], uow: UnitOfWork
) -> tuple[list[PageVersion | None], Intake | None]:
    """For scans sent together, in one read: the page already stored with each one's bytes (a
    retry, or the same image under another number) and the hồ sơ's gate."""
    file_code, digests = msg
    with uow:
        known = uow.intakes.get(file_code)
        same = [uow.pages.with_content(file_code, digest) for digest in digests]
    return same, known[0] if known else None


@contextmanager
def _naming(part: Part) -> Iterator[None]:
    """A refusal met while checking ``part`` says which part it was."""
    try:
        yield
    except PermanentError as exc:
        raise _of_part(part, exc) from exc


def _of_part(part: Part, exc: PermanentError) -> PermanentError:
    facts = {**exc.extra, "part": part.number, "file_name": part.file_name}
    return type(exc)(f"phần {part.number} ({part.file_name}): {exc}", **facts)


async def _keep(
    checked: list[tuple[Upload, PageVersion]],
    scan: Scan,
    correlation_id: str,
    deps: IngestDeps,
    container: tuple[Upload, str, str] | None = None,
) -> list[PageVersion]:
    """Checked pages stored and recorded all together: placed in one unit of work (numbers,
    versions), each original (and the container they came in) stored under its final key, then
    all recorded and announced in one transaction. Nothing is stored when placing refuses."""
    pages = [page for _upload, page in checked]
    placed = await run(deps, partial(plan_pages, batch_id=scan.batch), pages)
    if container is not None:
        await _store(*container, deps)
    for (upload, _page), page in zip(checked, placed, strict=True):
        await _store(upload, page.object_key, page.media_type, deps)
    taken = await run(deps, partial(record_pages, batch_id=scan.batch), placed, correlation_id)
    deps.wake_outbox()
    return taken


async def _media_type(upload: Upload, file_name: str | None) -> str:
    """The scan's type by its content, and its file name held to it."""
    check_file_name(file_name)
    media_type = await asyncio.to_thread(sniff, upload.path)
    check_file_name(file_name, media_type)
    return media_type


def _split(
    path: Path, media_type: str, work: Path, policy: ScanPolicy
) -> list[tuple[Upload, ImageFacts]]:
    """The pages of a container on disk with their facts, each checked before the next."""
    parts: list[tuple[Upload, ImageFacts]] = []
    if media_type == "application/pdf":
        found: Iterator[tuple[Path, int | None]] = pdf_pages(path, work)
    else:
        found = ((frame, None) for frame in tiff_frames(path, work, policy))
    for number, (part, dpi) in enumerate(found, start=1):
        try:
            [facts] = inspect_image(part, policy)
        except PermanentError as exc:
            raise type(exc)(f"trang {number}: {exc}", page=number, **exc.extra) from exc
        if facts.dpi is None and dpi is not None:
            facts = replace(facts, dpi=dpi)
        sha256, size = _digest(part)
        parts.append((Upload(part, sha256, size), facts))
    return parts


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


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


async def _store(upload: Upload, key: str, media_type: str, deps: IngestDeps) -> None:
    try:
        source = await asyncio.to_thread(open, upload.path, "rb")
        with source:
            stored = await deps.originals.put(key, source, content_type=media_type)
        if stored.sha256 != upload.sha256:  # fixity at capture: what was kept is what arrived
            raise TransientError(f"SHA-256 of stored {key} differs from the upload")
    except ObjectExists:
        # The key names the digest, so an earlier attempt stored these very bytes — unless
        # what is kept there was damaged or put by someone else: read it, never trust the key.
        kept = await deps.originals.digest(key)
        if kept.sha256 != upload.sha256:
            raise StoredOriginalDiffers(
                f"{key} đã lưu với SHA-256 {kept.sha256[:16]}…, khác tệp tải lên; "
                "bản gốc đã lưu được giữ nguyên"
            ) from None


async def _announce_refusal(
    refusal: PermanentError, upload: Upload, scan: Scan, correlation_id: str, deps: IngestDeps
) -> None:
    await announce_refusal(refusal, scan, upload.sha256, correlation_id, deps)


async def announce_refusal(
    refusal: PermanentError, scan: Scan, sha256: str | None, correlation_id: str, deps: IngestDeps
) -> None:
    """page-rejected for a scan refused before or while it was checked (an empty or too large
    upload has no digest)."""
    event = PageRejected(
        file_code=scan.file_code,
        sequence=scan.sequence,
        code=refusal.code,
        detail=str(refusal) or refusal.title,
        sha256=sha256,
        file_name=scan.file_name if refusal.code != "ingest.unsafe-file-name" else None,
        station=scan.station,
        at=utcnow(),
    )
    await run(
        deps, reject, (event, scan.batch if _held_elsewhere(refusal) else None), correlation_id
    )
    deps.wake_outbox()


def _held_elsewhere(refusal: PermanentError) -> bool:
    """The number was sent with other bytes than those it holds: a duplicate in its batch. The
    same image already kept under another number, or twice in one request, takes no number."""
    return isinstance(refusal, SequenceTaken) and "sequence" in refusal.extra


def consume(
    deps: IngestDeps, handler: Callable[[FileStateChanged, UnitOfWork], None]
) -> Callable[[FileStateChanged, Envelope], Awaitable[None]]:
    async def on_event(event: FileStateChanged, envelope: Envelope) -> None:
        await run(deps, handler, event, envelope.correlation_id or "")

    return on_event
