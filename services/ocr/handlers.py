"""The OCR worker's one handler: page-ingested in, derivatives stored, page-processed out."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from io import BytesIO
from pathlib import Path

import structlog
from prometheus_client import Counter, Gauge, Histogram

from services.ocr.domain import FixityMismatch, derivative_key
from services.ocr.pipeline import PageResult
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import (
    Event,
    PageFailed,
    PageIngested,
    PageProcessed,
    PageQualityReport,
    PageReadRequested,
)
from shared.objectstore import ObjectMissing, ObjectStore

log = structlog.get_logger(__name__)
SOURCE = "sohoa-ocr"

PAGES = Counter("sohoa_ocr_pages_total", "Pages read", ["outcome"])
IN_PROGRESS = Gauge("sohoa_ocr_pages_in_progress", "Pages being read right now")
SECONDS = Histogram(
    "sohoa_ocr_page_seconds",
    "Seconds per page, fetch to publish",
    buckets=(0.5, 1, 2, 4, 8, 16, 32, 64, 128),
)
Publish = Callable[..., Awaitable[Envelope]]
PageToRead = PageIngested | PageReadRequested
RESULT = "page.json"
"""The page-processed body, stored beside the derivatives and last: a page asked for again
(a broker that lost its log, the catalogue's sweep) is answered from it, not read twice."""


@dataclass(frozen=True)
class OcrDeps:
    originals: ObjectStore
    derivatives: ObjectStore
    read_page: Callable[[Path], Awaitable[PageResult]]
    publish: Publish
    spool_dir: str | None = None


async def _store_derivatives(
    event: PageToRead, result: PageResult, deps: OcrDeps
) -> dict[str, str]:
    """Derivatives are re-creatable, so they are overwritten (a redelivery writes the same)."""
    page_id = str(event.page_id)
    parts = {
        "image_key": ("clean.jpg", result.clean_jpeg, "image/jpeg"),
        "text_key": ("page.txt", result.text.encode(), "text/plain; charset=utf-8"),
        "hocr_key": ("page.hocr", result.hocr.encode(), "text/html; charset=utf-8"),
        "alto_key": ("page.alto.xml", result.alto.encode(), "application/xml"),
        "pdf_key": ("page.pdf", result.pdf, "application/pdf"),
    }
    keys: dict[str, str] = {}
    for field_name, (name, content, media) in parts.items():
        key = derivative_key(event.file_code, page_id, name)
        await deps.derivatives.put(key, BytesIO(content), content_type=media, overwrite=True)
        keys[field_name] = key
    return keys


async def _stored_result(event: PageToRead, deps: OcrDeps) -> PageProcessed | None:
    """The result of an earlier reading of this very original, if one was stored."""
    key = derivative_key(event.file_code, str(event.page_id), RESULT)
    try:
        stored = json.loads(await deps.derivatives.read_bytes(key))
    except ObjectMissing:
        return None
    if stored.get("original_sha256") != event.sha256:
        return None  # another original under this page id: read it
    return PageProcessed.model_validate(stored["event"])


async def _store_result(event: PageToRead, processed: PageProcessed, deps: OcrDeps) -> None:
    body = {"original_sha256": event.sha256, "event": processed.model_dump(mode="json")}
    key = derivative_key(event.file_code, str(event.page_id), RESULT)
    content = BytesIO(json.dumps(body, ensure_ascii=False).encode())
    await deps.derivatives.put(key, content, content_type="application/json", overwrite=True)


async def on_page_ingested(event: PageToRead, envelope: Envelope, deps: OcrDeps) -> None:
    """Read a page and publish its text; a page read before is published again from its
    stored result. A page that cannot be read — missing, changed since capture, unreadable —
    is announced (``page-failed``), then dead-lettered; an outage is neither, and is waited
    out by the runner. ``page-read-requested`` is handled alike."""
    stored = await _stored_result(event, deps)
    if stored is not None:
        await deps.publish(stored, correlation_id=envelope.correlation_id)
        PAGES.labels("republished").inc()
        log.info("page_result_republished")
        return
    started = time.perf_counter()
    IN_PROGRESS.inc()
    try:
        with tempfile.TemporaryDirectory(prefix="ocr-", dir=deps.spool_dir) as work:
            original = Path(work) / Path(event.object_key).name
            try:
                fetched = await deps.originals.download(event.object_key, original)
                if fetched.sha256 != event.sha256:
                    raise FixityMismatch(f"SHA-256 of {event.object_key} is {fetched.sha256}")
                result = await deps.read_page(original)
            except PermanentError as exc:
                await _announce_failure(event, envelope, exc, deps.publish)
                raise
        keys = await _store_derivatives(event, result, deps)
        quality = PageQualityReport(
            **{
                k: v
                for k, v in asdict(result.quality).items()
                if k in PageQualityReport.model_fields
            },
            rescan=result.quality.rescan,
        )
        seconds = round(time.perf_counter() - started, 3)
        processed = PageProcessed(
            file_code=event.file_code,
            page_id=event.page_id,
            sequence=event.sequence,
            text=result.text,
            confidence=result.confidence,
            engine=result.engine,
            language_data=result.language_data,
            seconds=seconds,
            timings={**result.timings, "total": seconds},
            quality=quality,
            **keys,
        )
        await _store_result(event, processed, deps)
        # Publish even when the result existed: a crash may have come between store and publish.
        await deps.publish(processed, correlation_id=envelope.correlation_id)
    except Exception:
        PAGES.labels("failed").inc()
        raise
    finally:
        IN_PROGRESS.dec()
    PAGES.labels("processed").inc()
    SECONDS.observe(seconds)
    log.info(
        "page_read",
        seconds=seconds,
        characters=len(result.text),
        confidence=result.confidence,
        flags=list(result.quality.flags),
    )


async def _announce_failure(
    event: PageToRead, envelope: Envelope, exc: PermanentError, publish: Publish
) -> None:
    failed = PageFailed(
        file_code=event.file_code,
        page_id=event.page_id,
        sequence=event.sequence,
        reason_code=exc.code,
        detail=str(exc)[:2000],
    )
    await publish(failed, correlation_id=envelope.correlation_id)
    log.warning("page_failed", code=exc.code)


PUBLISHES: tuple[type[Event], ...] = (PageProcessed, PageFailed)
