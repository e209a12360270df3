"""OCR rules and results. No I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.errors import PermanentError

_WORD_CONFIDENCE = re.compile(r"x_wconf (\d+)")


class UnreadableImage(PermanentError):
    code = "ocr.unreadable-image"
    title = "Không đọc được ảnh trang"
    http_status = 422


class PageTimeout(PermanentError):
    """A page that outlives its time budget would block the partition: it goes to the DLQ."""

    code = "ocr.page-timeout"
    title = "Nhận dạng trang quá thời gian cho phép"
    http_status = 422


@dataclass(frozen=True)
class PageReading:
    """What recognition of one page produced (kết quả nhận dạng)."""

    text: str
    hocr: str
    confidence: float | None
    engine: str


def mean_word_confidence(hocr: str) -> float | None:
    """Mean of tesseract's per-word confidences (0–100) in an hOCR page; None without words."""
    values = [int(v) for v in _WORD_CONFIDENCE.findall(hocr)]
    return round(sum(values) / len(values), 2) if values else None


def derivative_key(file_code: str, page_id: str, name: str) -> str:
    """``<file_code>/<page_id>/<name>`` in the derivatives area."""
    return f"{file_code}/{page_id}/{name}"
