"""Biên mục tự động for one hồ sơ: read its pages (text, and the hOCR layout from storage),
suggest its văn bản and their fields, keep the suggestions. Runs when a hồ sơ is digitized, in
a consumer group of its own so it never holds up the pages, and again on request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from services.catalogue import handlers
from services.catalogue.domain.commands import ReadPages, RecordSuggestions
from services.catalogue.domain.extraction.documents import DocumentSuggestion, suggest_documents
from services.catalogue.domain.extraction.layout import PageText
from services.catalogue.messagebus import MessageBus
from services.catalogue.ports import HocrSource
from shared.envelope import Envelope
from shared.events import FileStateChanged

log = structlog.get_logger(__name__)
DIGITIZED = "digitized"


async def _page(page: handlers.PageToRead, source: HocrSource) -> PageText:
    hocr = await source.hocr(page.hocr_key) if page.hocr_key else None
    if hocr:
        return await asyncio.to_thread(PageText.from_hocr, page.sequence, hocr)
    return PageText.from_text(page.sequence, page.text)


async def suggest_file(
    file_code: str, bus: MessageBus, source: HocrSource, *, correlation_id: str = ""
) -> list[DocumentSuggestion] | None:
    """Suggest and keep the văn bản of a hồ sơ; None when its description is locked."""
    pages = await bus.run(
        handlers.pages_to_read, ReadPages(file_code), correlation_id=correlation_id
    )
    if pages is None:
        return None
    texts = [await _page(page, source) for page in pages]
    documents = await asyncio.to_thread(suggest_documents, texts)
    command = RecordSuggestions(file_code, tuple(documents))
    await bus.run(handlers.record_suggestions, command, correlation_id=correlation_id)
    log.info("suggestions_made", file_code=file_code, documents=len(documents))
    return documents


def on_file_state_changed(
    bus: MessageBus, source: HocrSource
) -> Callable[[FileStateChanged, Envelope], Awaitable[None]]:
    """The consumer: suggest once a hồ sơ is digitized (again after a re-scan)."""

    async def consume(event: FileStateChanged, envelope: Envelope) -> None:
        if event.to_state == DIGITIZED and event.from_state != DIGITIZED:
            await suggest_file(event.file_code, bus, source, correlation_id=envelope.correlation_id)

    return consume
