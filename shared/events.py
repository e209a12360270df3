"""One frozen model per event type; its topic ``sohoa.<producer>.<event>.v<N>`` is its version.

Consumers ignore fields they do not know (``extra="ignore"``), so adding an optional field is
compatible; anything else is a new class on a ``.v2`` topic, published beside v1.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.text import FileCode, NfcStr

Sha256Hex = str  # 64 lowercase hex characters


class Event(BaseModel):
    """Base of every event. ``TOPIC`` is also the CloudEvents ``type``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TOPIC: ClassVar[str]

    def partition_key(self) -> str:
        """Page events go by page id (spreads OCR load), hồ sơ events by file code (keeps order)."""
        raise NotImplementedError


class PageEvent(Event):
    file_code: FileCode
    page_id: UUID
    sequence: int = Field(ge=1, description="thứ tự trang trong hồ sơ")

    def partition_key(self) -> str:
        return str(self.page_id)


class FileEvent(Event):
    file_code: FileCode

    def partition_key(self) -> str:
        return self.file_code


class PageIngested(PageEvent):
    """A page scan (trang) is stored write-once as an original, its SHA-256 taken at capture."""

    TOPIC: ClassVar[str] = "sohoa.ingest.page-ingested.v1"
    object_key: str
    sha256: Sha256Hex
    size: int
    media_type: str
    width: int
    height: int
    dpi: int | None = None


class PageQualityReport(BaseModel):
    """What clean-up measured on a scan, and why an archivist should re-scan it (quét lại)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    effective_dpi: float
    rotation: int = Field(description="clockwise degrees turned to make the page upright")
    skew: float = Field(description="degrees of skew found and corrected")
    residual_skew: float
    blur: float = Field(description="variance of the Laplacian; lower is blurrier")
    noise: float = Field(default=0.0, description="mean distance from the 3×3 median")
    contrast: float
    ink_coverage: float = Field(description="share of ink pixels; near 0 is a blank page")
    colour: bool
    flags: tuple[str, ...] = ()
    rescan: bool = False


class PageProcessed(PageEvent):
    """A page was cleaned and read (nhận dạng ký tự); its derivatives are stored."""

    TOPIC: ClassVar[str] = "sohoa.ocr.page-processed.v1"
    text: NfcStr
    text_key: str
    hocr_key: str
    confidence: float | None = Field(default=None, description="mean word confidence, 0–100")
    engine: str
    seconds: float
    # Added with the OCR issue; optional so v1 consumers and producers stay compatible.
    alto_key: str | None = None
    pdf_key: str | None = Field(default=None, description="one-page PDF, invisible text layer")
    image_key: str | None = Field(default=None, description="cleaned page image for people")
    quality: PageQualityReport | None = None
    language_data: str | None = Field(default=None, description="traineddata SHA-256 prefixes")
    timings: dict[str, float] = Field(default_factory=dict)


class PageFailed(PageEvent):
    """A page could not be read; ``reason_code`` says why. The page is also dead-lettered."""

    TOPIC: ClassVar[str] = "sohoa.ocr.page-failed.v1"
    reason_code: str
    detail: str


class AcceptedPage(BaseModel):
    """One page as the catalogue knows it at nghiệm thu (acceptance)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    page_id: UUID
    sequence: int
    object_key: str
    sha256: Sha256Hex
    media_type: str
    text_key: str
    hocr_key: str


class FileAccepted(FileEvent):
    """A hồ sơ passed nghiệm thu (acceptance) and may be packaged for handover."""

    TOPIC: ClassVar[str] = "sohoa.catalogue.file-accepted.v1"
    title: NfcStr
    accepted_by: str
    accepted_at: datetime
    pages: tuple[AcceptedPage, ...]
    metadata: dict[str, str] = Field(default_factory=dict, description="biên mục fields")


class PackageReady(FileEvent):
    """A handover package (gói bàn giao) of one hồ sơ is built, validated and stored."""

    TOPIC: ClassVar[str] = "sohoa.handover.package-ready.v1"
    package_id: UUID
    object_key: str
    sha256: Sha256Hex
    size: int
    payload_oxum: str


ALL_EVENTS: tuple[type[Event], ...] = (
    PageIngested,
    PageProcessed,
    PageFailed,
    FileAccepted,
    PackageReady,
)


def dead_letter_topic(topic: str) -> str:
    """Where a message that cannot be handled goes, with the reason in its headers."""
    return f"{topic}.dlq"
