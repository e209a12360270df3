"""The OCR worker's one handler: page-ingested in, derivatives stored, page-processed out."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import structlog
from prometheus_client import Counter, Gauge, Histogram

from services.ocr.domain import PageReading, derivative_key
from shared.envelope import Envelope
from shared.errors import TransientError
from shared.events import Event, PageIngested, PageProcessed
from shared.objectstore import ObjectStore

log = structlog.get_logger(__name__)
SOURCE = "sohoa-ocr"

PAGES = Counter("sohoa_ocr_pages_total", "Pages read", ["outcome"])
IN_PROGRESS = Gauge("sohoa_ocr_pages_in_progress", "Pages being read right now")
SECONDS = Histogram(
    "sohoa_ocr_page_seconds",
    "Seconds per page, fetch to publish",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)


@dataclass(frozen=True)
class OcrDeps:
    originals: ObjectStore
    derivatives: ObjectStore
    read_page: Callable[[Path], Awaitable[PageReading]]
    publish: Callable[..., Awaitable[Envelope]]
    spool_dir: str | None = None


async def on_page_ingested(event: PageIngested, envelope: Envelope, deps: OcrDeps) -> None:
    """Read a page and publish its text. Safe to run twice: derivatives are overwritten with
    the same content, and the catalogue records a page's text by page id."""
    started = time.perf_counter()
    IN_PROGRESS.inc()
    try:
        with tempfile.TemporaryDirectory(prefix="ocr-", dir=deps.spool_dir) as work:
            original = Path(work) / Path(event.object_key).name
            fetched = await deps.originals.download(event.object_key, original)
            if fetched.sha256 != event.sha256:
                raise TransientError(f"fixity mismatch on {event.object_key}")
            reading = await deps.read_page(original)
        page_id = str(event.page_id)
        text_key = derivative_key(event.file_code, page_id, "page.txt")
        hocr_key = derivative_key(event.file_code, page_id, "page.hocr")
        for key, content, media in (
            (text_key, reading.text, "text/plain; charset=utf-8"),
            (hocr_key, reading.hocr, "text/html; charset=utf-8"),
        ):
            await deps.derivatives.put(
                key, BytesIO(content.encode()), content_type=media, overwrite=True
            )
        seconds = round(time.perf_counter() - started, 3)
        # Publish even when derivatives existed: a crash may have come between store and publish.
        processed = PageProcessed(
            file_code=event.file_code,
            page_id=event.page_id,
            sequence=event.sequence,
            text=reading.text,
            text_key=text_key,
            hocr_key=hocr_key,
            confidence=reading.confidence,
            engine=reading.engine,
            seconds=seconds,
        )
        await deps.publish(processed, correlation_id=envelope.correlation_id)
    except Exception:
        PAGES.labels("failed").inc()
        raise
    finally:
        IN_PROGRESS.dec()
    PAGES.labels("processed").inc()
    SECONDS.observe(seconds)
    log.info(
        "page_read", seconds=seconds, characters=len(reading.text), confidence=reading.confidence
    )


PUBLISHES: tuple[type[Event], ...] = (PageProcessed,)
