"""One page, top to bottom: clean-up, recognition, reading order, quality. The same function
runs in the worker's process pool and in ``sohoa ocr`` (no broker or storage needed)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2

from services.ocr.adapters.imaging import clean_page
from services.ocr.adapters.tesseract import (
    OcrEngine,
    TesseractCommand,
    language_data_version,
    tesseract_version,
)
from services.ocr.domain import (
    PageQuality,
    hocr_lines,
    mean_word_confidence,
    quality_flags,
    reading_order,
)
from shared.text import nfc

JPEG_QUALITY = 85


@dataclass(frozen=True)
class PageResult:
    """Everything one page yields: text, derivatives, quality, provenance, timings."""

    text: str
    confidence: float | None
    quality: PageQuality
    hocr: str
    alto: str
    pdf: bytes
    clean_jpeg: bytes  # the cleaned greyscale page, for people
    engine: str
    language_data: str
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def process_image(
    path: Path, *, languages: str = "vie", engine: OcrEngine | None = None
) -> PageResult:
    started = time.perf_counter()
    engine = engine or TesseractCommand()
    cleaned = clean_page(path, languages)
    cleaned_at = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="page-") as work:
        ocr_input = Path(work) / "page.png"
        cv2.imwrite(str(ocr_input), cleaned.for_ocr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        raw = engine.read(ocr_input, dpi=cleaned.dpi, languages=languages)
    read_at = time.perf_counter()
    hocr = nfc(raw.hocr)
    confidence = mean_word_confidence(hocr)
    text = nfc(reading_order(hocr_lines(hocr)))
    ok, jpeg = cv2.imencode(".jpg", cleaned.for_people, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    quality = replace(cleaned.quality, flags=quality_flags(cleaned.quality, confidence))
    finished = time.perf_counter()
    return PageResult(
        text=text,
        confidence=confidence,
        quality=quality,
        hocr=hocr,
        alto=nfc(raw.alto),
        pdf=raw.pdf,
        clean_jpeg=jpeg.tobytes() if ok else b"",
        engine=f"{engine.name} {tesseract_version()}",
        language_data=language_data_version(languages),
        seconds=round(finished - started, 3),
        timings={
            "clean": round(cleaned_at - started, 3),
            "recognise": round(read_at - cleaned_at, 3),
            "assemble": round(finished - read_at, 3),
        },
    )
