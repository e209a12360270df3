"""One page, top to bottom: clean-up, recognition, reading order, quality. The same function
runs in the worker's process pool and in ``sohoa ocr`` (no broker or storage needed)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from services.ocr.adapters.imaging import Cleaned, Gray, Step, clean_page, turn
from services.ocr.adapters.pagepdf import with_page_image
from services.ocr.adapters.tesseract import (
    OcrEngine,
    RawReading,
    TesseractCommand,
    language_data_version,
    tesseract_version,
)
from services.ocr.domain import (
    PageQuality,
    alto_of,
    blocks_text,
    hocr_lines,
    mean_word_confidence,
    ordered_blocks,
    quality_flags,
    reorder_hocr,
    rescaled_hocr,
)
from shared.geometry import Affine, with_scan_transform
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
    steps: tuple[Step, ...] = ()  # clean-up and recognition, step by step


CONFIRM_BELOW = 80.0  # mean word confidence under which the other way up is read too


@dataclass(frozen=True)
class _Reading:
    raw: RawReading
    hocr: str
    confidence: float | None


def _handed_over(image: Gray, work: str) -> Path:
    """The page as tesseract is given it: a raw greyscale PGM, which takes milliseconds to
    write and to read where even the fastest PNG compression takes a quarter of a second."""
    path = Path(work) / "page.pgm"
    cv2.imwrite(str(path), image)
    return path


def _read(engine: OcrEngine, image: Gray, dpi: int, languages: str) -> _Reading:
    with tempfile.TemporaryDirectory(prefix="page-") as work:
        raw = engine.read(_handed_over(image, work), dpi=dpi, languages=languages)
    hocr = nfc(raw.hocr)
    return _Reading(raw, hocr, mean_word_confidence(hocr))


def _needs_confirmation(quality: PageQuality, confidence: float | None) -> bool:
    """A turn is never trusted, nor a guess in doubt, nor a reading recognition is unsure of."""
    return (
        quality.rotation != 0
        or quality.rotation_decided_by != "ink"
        or (confidence or 0.0) < CONFIRM_BELOW
    )


STRIP = 0.2  # share of the page height read the other way up to confirm an orientation


def _text_band(bw: Gray) -> tuple[int, int]:
    """Rows [top, bottom) of the page's densest text band: a sparse page's only lines too."""
    height = bw.shape[0]
    band = max(1, round(height * STRIP))
    ink = (bw[:, ::4] < 128).sum(axis=1, dtype=np.int64)
    window = np.convolve(ink, np.ones(band, dtype=np.int64), mode="valid")
    top = int(np.argmax(window)) if len(window) else 0
    return top, min(height, top + band)


def _band_confidence(hocr: str, top: int, bottom: int) -> float | None:
    values = [
        w.confidence
        for line in hocr_lines(hocr)
        for w in line
        if w.confidence is not None and w.y0 >= top and w.y1 <= bottom
    ]
    return round(sum(values) / len(values), 2) if values else None


def _strip_confidence(engine: OcrEngine, strip: Gray, dpi: int, languages: str) -> float | None:
    with tempfile.TemporaryDirectory(prefix="strip-") as work:
        hocr = engine.hocr(_handed_over(strip, work), dpi=dpi, languages=languages)
    return mean_word_confidence(nfc(hocr))


def read_upright(cleaned: Cleaned, engine: OcrEngine, languages: str) -> tuple[Cleaned, _Reading]:
    """Read the page as clean-up turned it and, when that is not certain, read its densest
    text band turned over too; only when the turned-over band reads surer is the whole page
    read turned over, and the surer full reading kept. Turning over undoes a wrong 180°
    decision, and for an unturned page it is the only other likely way up."""
    first = _read(engine, cleaned.for_ocr, cleaned.ocr_dpi, languages)
    if not _needs_confirmation(cleaned.quality, first.confidence):
        return cleaned, first
    top, bottom = _text_band(cleaned.for_ocr)
    kept_band = _band_confidence(first.hocr, top, bottom)
    other_band = _strip_confidence(
        engine, turn(cleaned.for_ocr[top:bottom], 180), cleaned.ocr_dpi, languages
    )
    kept, page = first, cleaned
    kept_confidence, other_confidence = kept_band, other_band
    if kept_band is None or (other_band or 0.0) > kept_band:
        height, width = cleaned.for_people.shape[:2]
        flipped = replace(
            cleaned,
            for_ocr=turn(cleaned.for_ocr, 180),
            for_people=turn(cleaned.for_people, 180),
            quality=replace(cleaned.quality, rotation=(cleaned.quality.rotation + 180) % 360),
            from_scan=cleaned.from_scan.then(Affine.turned(180, width, height)),
        )
        second = _read(engine, flipped.for_ocr, flipped.ocr_dpi, languages)
        kept_confidence, other_confidence = first.confidence, second.confidence
        if (second.confidence or 0.0) > (first.confidence or 0.0):
            kept, page = second, flipped
            kept_confidence, other_confidence = second.confidence, first.confidence
    quality = replace(
        page.quality,
        rotation_decided_by="recognition",
        rotation_kept_confidence=kept_confidence,
        rotation_other_confidence=other_confidence,
    )
    return replace(page, quality=quality), kept


def process_image(
    path: Path, *, languages: str = "vie", engine: OcrEngine | None = None
) -> PageResult:
    started = time.perf_counter()
    engine = engine or TesseractCommand()
    cleaned = clean_page(path, engine.orientation)
    cleaned_at = time.perf_counter()
    cleaned, reading = read_upright(cleaned, engine, languages)
    read_at = time.perf_counter()
    q = cleaned.quality
    both = (
        f", kept {q.rotation}° at {q.rotation_kept_confidence} over"
        f" {q.rotation_other_confidence} turned over"
        if q.rotation_decided_by == "recognition"
        else ""
    )
    recognised = Step(
        "recognise", round(read_at - cleaned_at, 4), f"confidence {reading.confidence}{both}"
    )
    height, width = cleaned.for_people.shape[:2]
    hocr = reading.hocr
    if cleaned.reduced < 1:  # every derivative in the pixels of the page people see
        hocr = rescaled_hocr(hocr, (width, height), cleaned.dpi)
    confidence = reading.confidence
    blocks = ordered_blocks(hocr_lines(hocr))
    text = nfc(blocks_text(blocks))
    hocr = with_scan_transform(reorder_hocr(hocr, blocks), cleaned.from_scan)  # for the PDF/A
    software = f"{engine.name} {tesseract_version()}"
    alto = alto_of(blocks, (width, height), software)
    ok, jpeg = cv2.imencode(".jpg", cleaned.for_people, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    pdf = with_page_image(reading.raw.pdf, jpeg.tobytes(), width, height) if ok else b""
    quality = replace(cleaned.quality, flags=quality_flags(cleaned.quality, confidence))
    finished = time.perf_counter()
    return PageResult(
        text=text,
        confidence=confidence,
        quality=quality,
        hocr=hocr,
        alto=alto,
        pdf=pdf,
        clean_jpeg=jpeg.tobytes() if ok else b"",
        engine=software,
        language_data=language_data_version(languages),
        seconds=round(finished - started, 3),
        timings={
            "clean": round(cleaned_at - started, 3),
            "recognise": round(read_at - cleaned_at, 3),
            "assemble": round(finished - read_at, 3),
        },
        steps=(*cleaned.steps, recognised),
    )
