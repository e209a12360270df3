"""Catalogue handlers: page events fill in the hồ sơ; commands register, accept and search.

Every event handler is idempotent by natural key (page id, file code), so a redelivery changes
nothing; events leave through the outbox in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.catalogue.adapters.db import (
    ArchivalFile,
    CataloguePage,
    FileTransition,
    count_pages,
    get_file,
    pages_of,
    search_pages,
    transitions_of,
)
from services.catalogue.domain import (
    FileExists,
    FileIncomplete,
    FileNotFound,
    FileState,
    check_transition,
    folded_for_index,
    folded_query,
    state_after_pages,
)
from shared.db import in_thread, utcnow
from shared.envelope import Envelope
from shared.events import (
    AcceptedPage,
    FileAccepted,
    PackageReady,
    PageFailed,
    PageIngested,
    PageProcessed,
)
from shared.outbox import add_to_outbox
from shared.text import nfc

SOURCE = "sohoa-catalogue"
SYSTEM = "sohoa-catalogue"


@dataclass(frozen=True)
class CatalogueDeps:
    engine: Engine
    wake_outbox: Callable[[], None]


@dataclass(frozen=True)
class NewFile:
    file_code: str
    title: str
    number_of_page: int
    metadata: dict[str, str]


def _move(session: Session, file: ArchivalFile, target: FileState, actor: str, reason: str) -> None:
    current = FileState(file.state)
    if current == target:
        return
    check_transition(current, target)
    session.add(
        FileTransition(
            file_code=file.file_code,
            from_state=current,
            to_state=target,
            actor=actor,
            reason=reason,
        )
    )
    file.state = target
    session.add(file)


def _refresh_state(session: Session, file_code: str) -> None:
    file = get_file(session, file_code)
    if file is None:
        return  # pages may arrive before the hồ sơ is registered; registration catches up
    received, read = count_pages(session, file_code)
    current = FileState(file.state)
    target = state_after_pages(
        current, expected=file.number_of_page, received=received, with_text=read
    )
    reason = f"{received} trang đã lưu, {read} trang đã nhận dạng"
    if current == FileState.INVENTORIED and target == FileState.DIGITIZED:
        # every page was read before the hồ sơ was registered: both steps, in order
        _move(session, file, FileState.DIGITIZING, SYSTEM, reason)
    _move(session, file, target, SYSTEM, reason)


def _page(session: Session, page_id: UUID, file_code: str, sequence: int) -> CataloguePage:
    page = session.get(CataloguePage, str(page_id))
    return page or CataloguePage(page_id=str(page_id), file_code=file_code, sequence=sequence)


async def register_file(new: NewFile, actor: str, deps: CatalogueDeps) -> tuple[ArchivalFile, bool]:
    """Register a hồ sơ from the mục lục (inventory). The same registration again is a no-op."""

    def work(session: Session) -> tuple[ArchivalFile, bool]:
        existing = get_file(session, new.file_code)
        if existing is not None:
            same = (existing.title, existing.number_of_page) == (new.title, new.number_of_page)
            if not same:
                raise FileExists(f"hồ sơ {new.file_code} đã đăng ký với tiêu đề/số trang khác")
            return existing, False
        file = ArchivalFile(
            file_code=new.file_code,
            title=nfc(new.title),
            number_of_page=new.number_of_page,
            file_metadata={nfc(k): nfc(v) for k, v in new.metadata.items()},
        )
        session.add(file)
        session.add(
            FileTransition(
                file_code=file.file_code,
                from_state="",
                to_state=FileState.INVENTORIED,
                actor=actor,
                reason="đăng ký từ mục lục hồ sơ",
            )
        )
        session.flush()
        _refresh_state(session, new.file_code)
        return file, True

    try:
        return await in_thread(deps.engine, work)
    except IntegrityError as exc:
        raise FileExists(f"hồ sơ {new.file_code} vừa được đăng ký") from exc


async def on_page_ingested(event: PageIngested, _envelope: Envelope, deps: CatalogueDeps) -> None:
    def work(session: Session) -> None:
        page = _page(session, event.page_id, event.file_code, event.sequence)
        page.object_key, page.sha256 = event.object_key, event.sha256
        page.media_type = event.media_type
        session.add(page)
        session.flush()
        _refresh_state(session, event.file_code)

    await in_thread(deps.engine, work)


async def on_page_processed(event: PageProcessed, _envelope: Envelope, deps: CatalogueDeps) -> None:
    def work(session: Session) -> None:
        page = _page(session, event.page_id, event.file_code, event.sequence)
        page.text = event.text
        page.folded_text = folded_for_index(event.text)
        page.text_key, page.hocr_key = event.text_key, event.hocr_key
        page.confidence, page.engine = event.confidence, event.engine
        page.processed_at = utcnow()
        page.failure_code = page.failure_detail = None  # a re-read succeeded
        session.add(page)
        session.flush()
        _refresh_state(session, event.file_code)

    await in_thread(deps.engine, work)


async def on_page_failed(event: PageFailed, _envelope: Envelope, deps: CatalogueDeps) -> None:
    """Record why a page could not be read, so an archivist can re-scan it (quét lại)."""

    def work(session: Session) -> None:
        page = _page(session, event.page_id, event.file_code, event.sequence)
        if page.text_key is not None:
            return  # a later successful read wins over an older failure
        page.failure_code, page.failure_detail = event.reason_code, event.detail
        session.add(page)

    await in_thread(deps.engine, work)


async def on_package_ready(event: PackageReady, _envelope: Envelope, deps: CatalogueDeps) -> None:
    def work(session: Session) -> None:
        file = get_file(session, event.file_code)
        if file is None or file.state == FileState.PACKAGED:
            return
        file.package_key, file.package_sha256 = event.object_key, event.sha256
        _move(session, file, FileState.PACKAGED, "sohoa-handover", f"gói {event.package_id}")

    await in_thread(deps.engine, work)


async def accept_file(
    file_code: str, actor: str, correlation_id: str, deps: CatalogueDeps
) -> ArchivalFile:
    """Nghiệm thu: every declared page stored and read, then file-accepted for packaging."""

    def work(session: Session) -> ArchivalFile:
        file = get_file(session, file_code)
        if file is None:
            raise FileNotFound(f"không có hồ sơ {file_code}")
        if file.state == FileState.ACCEPTED:
            return file  # accepting twice is the same decision
        pages = [p for p in pages_of(session, file_code) if p.object_key and p.text_key]
        if len(pages) < file.number_of_page or file.state != FileState.DIGITIZED:
            raise FileIncomplete(
                f"hồ sơ {file_code}: {len(pages)}/{file.number_of_page} trang đã lưu và nhận dạng"
            )
        _move(session, file, FileState.ACCEPTED, actor, "nghiệm thu")
        file.accepted_by, file.accepted_at = actor, utcnow()
        event = FileAccepted(
            file_code=file.file_code,
            title=file.title,
            accepted_by=actor,
            accepted_at=file.accepted_at,
            pages=tuple(
                AcceptedPage(
                    page_id=UUID(p.page_id),
                    sequence=p.sequence,
                    object_key=p.object_key or "",
                    sha256=p.sha256 or "",
                    media_type=p.media_type or "",
                    text_key=p.text_key or "",
                    hocr_key=p.hocr_key or "",
                )
                for p in pages
            ),
            metadata={
                "title": file.title,
                "numberOfPage": str(file.number_of_page),
                **file.file_metadata,
            },
        )
        add_to_outbox(session, event, source=SOURCE, correlation_id=correlation_id)
        return file

    file = await in_thread(deps.engine, work)
    deps.wake_outbox()
    return file


@dataclass(frozen=True)
class FileView:
    file: ArchivalFile
    pages: list[CataloguePage]
    transitions: list[FileTransition]


async def describe_file(file_code: str, deps: CatalogueDeps) -> FileView:
    def work(session: Session) -> FileView:
        file = get_file(session, file_code)
        if file is None:
            raise FileNotFound(f"không có hồ sơ {file_code}")
        return FileView(file, pages_of(session, file_code), transitions_of(session, file_code))

    return await in_thread(deps.engine, work)


@dataclass(frozen=True)
class SearchHit:
    file_code: str
    title: str
    page_id: str
    sequence: int
    exact: bool
    text: str


async def search(query: str, limit: int, deps: CatalogueDeps) -> list[SearchHit]:
    """Diacritic-insensitive phrase search over page text; exact (accented) matches rank first."""
    folded = folded_query(query)
    rows = await in_thread(deps.engine, lambda s: search_pages(s, folded, limit))
    wanted = nfc(query).casefold()
    hits = [
        SearchHit(
            file_code=page.file_code,
            title=title,
            page_id=page.page_id,
            sequence=page.sequence,
            exact=wanted in (page.text or "").casefold(),
            text=page.text or "",
        )
        for page, title in rows
    ]
    return sorted(hits, key=lambda hit: not hit.exact)
