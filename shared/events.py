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
    version: int = Field(
        default=1, ge=1, description="1, then one more for every re-scan (quét lại) of the page"
    )
    replaces: UUID | None = Field(
        default=None, description="the page id of the version this re-scan supersedes"
    )
    colour_mode: str | None = Field(default=None, description="PIL mode: RGB, L, 1 …")
    warnings: tuple[str, ...] = Field(
        default=(), description="rules the fonds only warns on, e.g. a dpi taken from paper size"
    )
    station: NfcStr | None = Field(default=None, description="scanner station (trạm quét)")
    operator: NfcStr | None = Field(default=None, description="who scanned the page")
    container_key: str | None = Field(
        default=None, description="the multi-page TIFF or PDF the page was taken out of"
    )


class PageRejected(FileEvent):
    """A scan was refused by the scanning rules (TT 05/2025 §5.1): nothing of it was stored."""

    TOPIC: ClassVar[str] = "sohoa.ingest.page-rejected.v1"
    sequence: int | None = Field(default=None, description="the page number asked for, if any")
    code: str = Field(description="the machine-readable reason, as in the HTTP problem")
    detail: NfcStr
    sha256: Sha256Hex | None = None
    file_name: NfcStr | None = None
    station: NfcStr | None = None
    at: datetime


class BatchClosed(FileEvent):
    """A batch (đợt quét) of a hồ sơ was closed, with its completeness against the declared
    page count (số lượng trang)."""

    TOPIC: ClassVar[str] = "sohoa.ingest.batch-closed.v1"
    batch_id: UUID
    declared_pages: int | None
    received: int
    gaps: tuple[int, ...] = Field(description="page numbers missing up to the declared count")
    duplicates: tuple[int, ...] = Field(description="page numbers sent more than once")
    extras: tuple[int, ...] = Field(description="page numbers beyond the declared count")
    complete: bool
    at: datetime


class PageQualityReport(BaseModel):
    """What clean-up measured on a scan, and why an archivist should re-scan it (quét lại)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    effective_dpi: float
    rotation: int = Field(description="clockwise degrees turned to make the page upright")
    rotation_decided_by: str | None = Field(
        default=None,
        description="what settled the orientation: ink, osd, undecided (guesses) or "
        "recognition (read both ways up, the surer reading kept)",
    )
    rotation_kept_confidence: float | None = Field(
        default=None,
        description="mean word confidence of the way up kept, when read both ways (on the "
        "densest text band, or on the whole page when the band read surer turned over)",
    )
    rotation_other_confidence: float | None = Field(
        default=None,
        description="mean word confidence of the other way up, measured as the kept one",
    )
    skew: float = Field(description="degrees of skew found and corrected")
    residual_skew: float
    blur: float = Field(description="variance of the Laplacian; lower is blurrier")
    noise: float = Field(default=0.0, description="mean distance from the 3×3 median")
    contrast: float
    ink_coverage: float = Field(description="share of ink pixels; near 0 is a blank page")
    colour: bool
    flags: tuple[str, ...] = ()
    rescan: bool = False
    phash: str | None = Field(
        default=None,
        description="64-bit perceptual hash of the page (16 hex digits): kiểm tra finds "
        "duplicate pages by Hamming distance ≤ 4",
    )


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


class PageReadRequested(PageEvent):
    """The catalogue asks again for a page stored but still unread after a while: its
    page-ingested or its page-processed was lost (a broker that lost its log). OCR treats it
    as page-ingested; a page it has read already is answered from the stored result."""

    TOPIC: ClassVar[str] = "sohoa.catalogue.page-read-requested.v1"
    object_key: str
    sha256: Sha256Hex
    version: int = Field(default=1, ge=1)


class FileStateChanged(FileEvent):
    """A hồ sơ moved in its lifecycle, or its digitizing gate changed (chỉnh lý hoàn chỉnh
    confirmed: ``from_state`` equals ``to_state`` then). Ingest keeps its own view of which
    hồ sơ may take scans from these; ``version`` orders them, so an older one is ignored."""

    TOPIC: ClassVar[str] = "sohoa.catalogue.file-state-changed.v1"
    from_state: str = Field(description="empty when the hồ sơ was just registered")
    to_state: str
    version: int = Field(ge=1, description="grows with every change of this hồ sơ")
    person: NfcStr | None = Field(default=None, description="the person who acted")
    client: str = Field(description="the client system that sent the request, or a service")
    reason: NfcStr
    at: datetime
    arranged: bool = Field(description="chỉnh lý hoàn chỉnh confirmed")
    open_for_scanning: bool = Field(description="page scans of this hồ sơ may be taken now")
    number_of_page: int | None = Field(default=None, description="số lượng trang declared")
    rescan_sequences: tuple[int, ...] = Field(
        default=(), description="pages sent back for re-scan (quét lại)"
    )
    public: bool = Field(
        default=False,
        description="chế độ sử dụng 01 (công khai): partner systems may hear of it; false, or "
        "absent in events sent before this field, means restricted (02/03 or not recorded)",
    )


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
    # Added with the catalogue issue; optional so v1 stays compatible.
    alto_key: str | None = None
    pdf_key: str | None = None
    image_key: str | None = None
    confidence: float | None = None
    quality: PageQualityReport | None = None
    document: int | None = Field(default=None, description="ordinal of its văn bản")


class DescribedFile(BaseModel):
    """The 18 hồ sơ elements of TT 05/2025 Phụ lục I (snake_case of the schema's names), in
    the schema's text forms: dates ``DD/MM/YYYY`` (or ``MM/YYYY``, ``YYYY``), codes as codes."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    file_code: FileCode
    fonds_code: str | None = None
    title: NfcStr
    maintenance: str | None = None
    mode: str | None = None
    language: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    keyword: NfcStr | None = None
    total_doc: int | None = None
    number_of_paper: int | None = None
    number_of_page: int
    format: str | None = None
    infor_sign: str | None = None
    confidence_level: str | None = None
    paper_file_code: str | None = None
    risk_recovery: bool | None = None
    risk_recovery_status: str | None = None
    description: NfcStr | None = None


class DescribedDocument(BaseModel):
    """One văn bản (tài liệu) with the elements of TT 05/2025 §4.2 and its page range."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    ordinal: int = Field(ge=1)
    doc_id: str
    doc_code: str
    first_page: int
    last_page: int
    maintenance: str | None = None
    type_name: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    issued_date: str | None = None
    organ_name: NfcStr | None = None
    subject: NfcStr | None = None
    language: str | None = None
    number_of_page: int | None = None
    infor_sign: str | None = None
    keyword: NfcStr | None = None
    mode: str | None = None
    confidence_level: str | None = None
    autograph: NfcStr | None = None
    format: str | None = None
    risk_recovery: bool | None = None
    risk_recovery_status: str | None = None
    description: NfcStr | None = None
    extension: dict[str, str] = Field(
        default_factory=dict, description="project extension: signer name, title, authority"
    )


class AcceptanceRecord(BaseModel):
    """The nghiệm thu decision: who signed the biên bản, in which role, when, for which batch."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    acceptance_id: UUID
    minutes_number: str | None = Field(default=None, description="số biên bản nghiệm thu")
    person: NfcStr | None = None
    role: NfcStr | None = None
    client: str
    at: datetime
    file_codes: tuple[str, ...]


class FileAccepted(FileEvent):
    """A hồ sơ passed nghiệm thu (acceptance) and may be packaged for handover. It carries
    the whole description the package needs, so handover never asks the catalogue."""

    TOPIC: ClassVar[str] = "sohoa.catalogue.file-accepted.v1"
    title: NfcStr
    accepted_by: str
    accepted_at: datetime
    pages: tuple[AcceptedPage, ...]
    metadata: dict[str, str] = Field(default_factory=dict, description="biên mục fields")
    # Added with the catalogue issue; optional so v1 stays compatible.
    file: DescribedFile | None = None
    documents: tuple[DescribedDocument, ...] = ()
    acceptance: AcceptanceRecord | None = None
    selection_criteria: tuple[int, ...] = Field(default=(), description="criteria 1–4 of §3")
    selection_decision: str | None = Field(default=None, description="số quyết định duyệt")
    verified_by: NfcStr | None = None
    verified_at: datetime | None = None


class PackageReady(FileEvent):
    """A handover package (gói bàn giao) of one hồ sơ is built, validated and stored."""

    TOPIC: ClassVar[str] = "sohoa.handover.package-ready.v1"
    package_id: UUID
    object_key: str
    sha256: Sha256Hex
    size: int
    payload_oxum: str
    # Added with the handover issue; optional so v1 stays compatible.
    download_url: str | None = Field(
        default=None, description="short-lived signed URL served by handover to fetch the zip"
    )
    expires_at: datetime | None = None
    contents: dict[str, int] = Field(
        default_factory=dict, description="summary: pages, documents, pdfs, files, bytes"
    )
    replaces_package_id: UUID | None = Field(
        default=None,
        description="the earlier package of this hồ sơ that this one replaces whole (METS "
        "RECORDSTATUS REPLACEMENT), after a rejection and correction or a re-scan",
    )


class RejectedItem(BaseModel):
    """One reason the national archive refused a package, naming the file inside it."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    path: str = Field(description="path inside the package, or empty for the whole package")
    reason: NfcStr


class PackageReceipt(FileEvent):
    """The national archive's receipt (biên nhận) for a delivered package: accepted, or
    rejected with a reason per file. One receipt id per answer; a repeated receipt is a no-op."""

    TOPIC: ClassVar[str] = "sohoa.archive.package-receipt.v1"
    package_id: UUID
    receipt_id: str
    accepted: bool
    sha256: Sha256Hex = Field(description="SHA-256 of the package as the archive received it")
    reasons: tuple[RejectedItem, ...] = ()
    receiver: str = Field(description="who answered: the archive's system")
    at: datetime


class PackageFailed(FileEvent):
    """The package of an accepted hồ sơ cannot be built (an original missing or changed since
    capture, a package the E-ARK or PDF/A checks refuse): the catalogue shows why on the hồ
    sơ; the file-accepted is dead-lettered too, to be replayed once the cause is mended."""

    TOPIC: ClassVar[str] = "sohoa.handover.package-failed.v1"
    reason_code: str
    detail: str
    at: datetime


class FixityFailed(FileEvent):
    """A stored object no longer has the SHA-256 recorded for it (bit rot, tampering):
    the audit names the object; people restore it from another copy."""

    TOPIC: ClassVar[str] = "sohoa.handover.fixity-failed.v1"
    area: str = Field(description="originals, derivatives or handover")
    object_key: str
    expected_sha256: Sha256Hex
    actual_sha256: str = Field(description="what was read, or empty when the object is gone")
    checked_at: datetime


class DeadLetterReplayed(Event):
    """An operator sent a dead letter back to its topic (``sohoa dlq replay`` or the gateway's
    admin route); the record that makes a second replay of the same letter a no-op."""

    TOPIC: ClassVar[str] = "sohoa.ops.dead-letter-replayed.v1"
    dead_letter_id: str = Field(description="<dead-letter topic>:<partition>:<offset>")
    original_topic: str
    event_id: str = Field(description="ce_id of the replayed event, unchanged")
    code: str = Field(description="the reason code it was dead-lettered with")
    replayed_by: NfcStr
    replayed_at: datetime

    def partition_key(self) -> str:
        return self.dead_letter_id


ALL_EVENTS: tuple[type[Event], ...] = (
    PageIngested,
    PageRejected,
    BatchClosed,
    PageProcessed,
    PageFailed,
    PageReadRequested,
    FileStateChanged,
    FileAccepted,
    PackageReady,
    PackageFailed,
    DeadLetterReplayed,
    PackageReceipt,
    FixityFailed,
)


def dead_letter_topic(topic: str) -> str:
    """Where a message that cannot be handled goes, with the reason in its headers."""
    return f"{topic}.dlq"
