"""Ingest rules: which scans are accepted (TT 05/2025 §5.1), how a page number takes a new
version on re-scan, and what a refusal says. No I/O here."""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from shared.errors import Conflict, NotFound, PermanentError

# Magic numbers of the formats the scanning rules allow (TT 05/2025: JPEG/PDF/TIFF/PNG masters,
# JPEG 2000 as scanner software writes it).
SIGNATURES: dict[bytes, str] = {
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n": "image/jp2",
    b"\xff\x4f\xff\x51": "image/jp2",
    b"%PDF-": "application/pdf",
}
EXTENSIONS = {
    "image/tiff": "tif",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/jp2": "jp2",
    "application/pdf": "pdf",
}
# What a file name may end in for each media type (a scanner's name must agree with its bytes).
NAME_SUFFIXES = {
    "image/tiff": (".tif", ".tiff"),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/jp2": (".jp2", ".j2k", ".jpf", ".jpx"),
    "application/pdf": (".pdf",),
}
SNIFF_BYTES = max(len(s) for s in SIGNATURES)
# Bits per pixel of PIL's modes; CMYK and others are not a colour mode a master is kept in.
MODE_BITS = {"1": 1, "L": 8, "P": 8, "LA": 16, "I;16": 16, "I": 32, "RGB": 24, "RGBA": 32}
UNSUPPORTED_MODES = {"CMYK", "YCbCr", "LAB", "HSV", "F"}
PAPER_MM = {"A5": (148, 210), "A4": (210, 297), "A3": (297, 420), "A2": (420, 594)}
MM_PER_INCH = 25.4


class UnsupportedMediaType(PermanentError):
    code = "ingest.unsupported-media-type"
    title = "Định dạng tệp không được chấp nhận"
    http_status = 415


class CorruptImage(PermanentError):
    code = "ingest.corrupt-image"
    title = "Ảnh quét bị hỏng, không đọc được"
    http_status = 422


class UploadTooLarge(PermanentError):
    code = "ingest.upload-too-large"
    title = "Tệp tải lên quá lớn"
    http_status = 413


class EmptyUpload(PermanentError):
    code = "ingest.empty-upload"
    title = "Tệp tải lên rỗng"
    http_status = 400


class TooManyParts(PermanentError):
    code = "ingest.too-many-parts"
    title = "Quá nhiều tệp trong một yêu cầu"
    http_status = 400


class MultipartMalformed(PermanentError):
    """A multipart body that does not parse, or a part that is not a file: the options of all
    the scans travel in the query, so a form field is a mistake, never silently dropped."""

    code = "ingest.multipart-malformed"
    title = "Nội dung multipart/form-data không hợp lệ"
    http_status = 400


class ContainerAmongParts(PermanentError):
    """A multi-page TIFF or a PDF is sent as the whole body, where it is kept beside its pages;
    among the parts of a multipart request each part is one page."""

    code = "ingest.container-in-multipart"
    title = "Tệp nhiều trang (TIFF nhiều trang, PDF) phải gửi riêng, không trong multipart"
    http_status = 415


class ImageTooLarge(PermanentError):
    """More pixels than any page the rules expect (the bound is sized for A3 at 600 dpi)."""

    code = "ingest.image-too-large"
    title = "Kích thước ảnh (điểm ảnh) vượt giới hạn"
    http_status = 422


class DecompressionBomb(PermanentError):
    """A small file declaring a huge image: refused from its header, never decoded."""

    code = "ingest.decompression-bomb"
    title = "Tệp khai báo kích thước ảnh bất thường so với dung lượng (bom giải nén)"
    http_status = 422


class ResolutionTooLow(PermanentError):
    code = "ingest.resolution-too-low"
    title = "Độ phân giải thấp hơn quy định (≥ 200 dpi)"
    http_status = 422


class ColourDepthTooLow(PermanentError):
    code = "ingest.colour-depth-too-low"
    title = "Độ sâu màu thấp hơn quy định (≥ 24 bit)"
    http_status = 422


class ColourModeUnsupported(PermanentError):
    code = "ingest.colour-mode-unsupported"
    title = "Hệ màu không được chấp nhận cho bản gốc (cần RGB, hoặc xám nếu hồ sơ khai báo)"
    http_status = 422


class ExtensionMismatch(PermanentError):
    code = "ingest.extension-mismatch"
    title = "Phần mở rộng tên tệp không khớp với nội dung"
    http_status = 415


class StoredOriginalDiffers(PermanentError):
    """The original kept under a key is not the bytes the key names: damaged storage or a
    writer that bypassed ingest. The upload is refused; the kept object is evidence."""

    code = "ingest.stored-original-differs"
    title = "Bản gốc đã lưu khác với tệp tải lên"
    http_status = 409


class UnsafeFileName(PermanentError):
    code = "ingest.unsafe-file-name"
    title = "Tên tệp không hợp lệ (đường dẫn ra ngoài thư mục)"
    http_status = 400


class PdfWithoutPages(PermanentError):
    code = "ingest.pdf-no-pages"
    title = "Tệp PDF không có trang nào"
    http_status = 422


class PdfEncrypted(PermanentError):
    code = "ingest.pdf-encrypted"
    title = "Tệp PDF được mã hóa, không đọc được"
    http_status = 422


class SequenceTaken(Conflict):
    code = "ingest.sequence-taken"
    title = "Số thứ tự trang đã có ảnh khác"


class FileUnknown(NotFound):
    """No hồ sơ of this code was announced by the catalogue (not registered, or not yet)."""

    code = "ingest.file-unknown"
    title = "Hồ sơ chưa được đăng ký trong mục lục"


class FileNotOpen(Conflict):
    """Scans are taken only of a hồ sơ that is approved and fully arranged (chỉnh lý hoàn
    chỉnh), or being scanned or re-scanned."""

    code = "ingest.file-not-open"
    title = "Hồ sơ chưa được phép số hóa"


# --- what is learnt of a scan, and the rules it is held to ----------------------------------


@dataclass(frozen=True)
class Header:
    """What an image's header declares, read without decoding its pixels."""

    media_type: str
    width: int
    height: int
    mode: str
    dpi: float | None
    frames: int = 1


@dataclass(frozen=True)
class ImageFacts:
    """What ingest learns of a scan (a page of it) by decoding it fully."""

    media_type: str
    width: int
    height: int
    dpi: int | None
    colour_mode: str = "RGB"
    bits: int = 24


@dataclass(frozen=True)
class ScanPolicy:
    """The scanning rules of a fonds: thresholds, and which rules refuse a page or only warn.

    ``warn_only`` holds rule names among ``resolution`` and ``colour-depth``."""

    min_dpi: int = 200
    min_bits: int = 24
    paper: str = "A4"
    warn_only: frozenset[str] = frozenset()
    max_pixels: int = 7016 * 9921  # A3 (297 × 420 mm) at 600 dpi
    max_side: int = 9921 * 2  # a long panorama of A3 sheets, not more
    bomb_ratio: int = 200  # declared raw bytes ÷ file bytes above this, with too many pixels

    def refuses(self, rule: str) -> bool:
        return rule not in self.warn_only


def check_file_name(name: str | None, media_type: str | None = None) -> str | None:
    """The bare file name, refused when it climbs out of its folder or its extension disagrees
    with the content (when the content's type is known)."""
    if name is None:
        return None
    bare = name.replace("\\", "/")
    if bare.startswith("/") or ".." in bare.split("/") or "\x00" in bare or not bare.strip():
        raise UnsafeFileName(f"tên tệp {name!r} trỏ ra ngoài thư mục nhận")
    bare = posixpath.basename(bare)
    if media_type is not None and not bare.lower().endswith(NAME_SUFFIXES[media_type]):
        raise ExtensionMismatch(
            f"tệp {bare!r} có nội dung {media_type}, đuôi phải là "
            + "/".join(NAME_SUFFIXES[media_type])
        )
    return bare


def sniff_media_type(head: bytes) -> str:
    """The media type by content, never by the client's word; unknown types are refused."""
    for signature, media_type in SIGNATURES.items():
        if head.startswith(signature):
            return media_type
    raise UnsupportedMediaType(
        "chỉ nhận TIFF, JPEG, PNG, JPEG 2000 hoặc PDF (kiểm tra theo nội dung tệp)"
    )


def check_header(header: Header, file_size: int, policy: ScanPolicy) -> None:
    """Refuse from the declared dimensions alone, before a single pixel is decoded."""
    pixels = header.width * header.height
    if header.width <= 0 or header.height <= 0:
        raise CorruptImage(f"kích thước khai báo {header.width} × {header.height}")
    if pixels <= policy.max_pixels and max(header.width, header.height) <= policy.max_side:
        return
    raw = pixels * max(MODE_BITS.get(header.mode, 24), 1) / 8 * header.frames
    facts = {"width": header.width, "height": header.height, "max_pixels": policy.max_pixels}
    if raw / max(file_size, 1) > policy.bomb_ratio:
        raise DecompressionBomb(
            f"tệp {file_size} byte khai báo ảnh {header.width} × {header.height} điểm ảnh",
            **facts,
        )
    raise ImageTooLarge(
        f"ảnh {header.width} × {header.height} điểm ảnh vượt giới hạn "
        f"{policy.max_pixels} điểm ảnh (A3, 600 dpi)",
        **facts,
    )


def effective_dpi(width: int, height: int, paper: str) -> int:
    """Pixels ÷ physical size of the declared paper, the smaller of the two directions."""
    short_mm, long_mm = PAPER_MM[paper]
    short_px, long_px = sorted((width, height))
    return round(min(short_px / (short_mm / MM_PER_INCH), long_px / (long_mm / MM_PER_INCH)))


def check_rules(
    facts: ImageFacts, policy: ScanPolicy, *, paper: str | None, colour_declared: str | None
) -> tuple[int, tuple[str, ...]]:
    """Hold a decoded page to the rules. Returns its dpi (declared, or effective from the paper
    size) and the warnings to record; a rule the fonds refuses on raises instead."""
    warnings: list[str] = []
    if facts.colour_mode in UNSUPPORTED_MODES:
        raise ColourModeUnsupported(f"ảnh ở hệ màu {facts.colour_mode}", mode=facts.colour_mode)
    dpi = facts.dpi
    if dpi is None:
        paper = paper or policy.paper
        dpi = effective_dpi(facts.width, facts.height, paper)
        warnings.append(f"dpi-missing: effective {dpi} dpi from {paper} paper")
    if dpi < policy.min_dpi:
        detail = f"{dpi} dpi < {policy.min_dpi} dpi"
        if policy.refuses("resolution"):
            raise ResolutionTooLow(detail, dpi=dpi, min_dpi=policy.min_dpi)
        warnings.append(f"resolution-too-low: {detail}")
    allowed_bits = {"grey": 8, "bitonal": 1}.get(colour_declared or "", policy.min_bits)
    if facts.bits < allowed_bits:
        detail = f"{facts.colour_mode} {facts.bits} bit < {allowed_bits} bit"
        if policy.refuses("colour-depth"):
            raise ColourDepthTooLow(detail, bits=facts.bits, min_bits=allowed_bits)
        warnings.append(f"colour-depth-too-low: {detail}")
    return dpi, tuple(warnings)


def original_key(
    file_code: str, sequence: int, sha256: str, media_type: str, version: int = 1
) -> str:
    """``<file_code>/<seq:04d>-<sha256[:16]>.<ext>`` (``-v<n>`` from a re-scan on) in the
    originals area, never modified."""
    suffix = "" if version == 1 else f"-v{version}"
    return f"{file_code}/{sequence:04d}{suffix}-{sha256[:16]}.{EXTENSIONS[media_type]}"


def container_key(file_code: str, sha256: str, media_type: str) -> str:
    """A multi-page TIFF or PDF as it arrived, kept beside the pages taken out of it."""
    return f"{file_code}/containers/{sha256[:16]}.{EXTENSIONS[media_type]}"


# --- the scanning gate and the page numbers of a hồ sơ ---------------------------------------


@dataclass(frozen=True)
class Intake:
    """What ingest knows of a hồ sơ's gate."""

    file_code: str
    state: str
    open_for_scanning: bool
    arranged: bool
    rescan_sequences: tuple[int, ...] = ()
    number_of_page: int | None = None

    def check_open(self) -> None:
        if self.open_for_scanning:
            return
        if self.state in ("inventoried", "selected", "approved"):
            missing = [
                *(["chưa được duyệt"] if self.state != "approved" else []),
                *(["chưa xác nhận chỉnh lý hoàn chỉnh"] if not self.arranged else []),
            ]
            why = ", ".join(missing)
        else:
            why = "không ở bước số hóa"
        raise FileNotOpen(
            f"hồ sơ {self.file_code} đang '{self.state}': {why}",
            state=self.state,
            arranged=self.arranged,
        )


@dataclass
class PageVersion:
    """One stored original of a page number; a re-scan adds a version, never replaces bytes."""

    page_id: str
    file_code: str
    sequence: int
    version: int
    object_key: str
    sha256: str
    size: int
    media_type: str
    width: int
    height: int
    dpi: int | None
    colour_mode: str
    warnings: tuple[str, ...] = ()
    station: str | None = None
    operator: str | None = None
    container_key: str | None = None
    current: bool = True
    replaces: str | None = None
    created_at: datetime | None = None

    @property
    def from_container(self) -> bool:
        """Taken out of a multi-page TIFF or a PDF (kept as it arrived beside its pages)."""
        return self.container_key is not None


@dataclass
class PageSlot:
    """A page number (thứ tự trang) of a hồ sơ with its versions: the aggregate that decides
    whether an upload is a retry, a re-scan, or a conflict."""

    file_code: str
    sequence: int
    versions: list[PageVersion] = field(default_factory=list)

    @property
    def current(self) -> PageVersion | None:
        return next((v for v in reversed(self.versions) if v.current), None)

    def next_version(self, intake: Intake) -> int:
        """The version an upload of other bytes would take here: 1 when free, the next one
        when kiểm tra sent this page back for re-scan (quét lại); otherwise a conflict."""
        current = self.current
        if current is None:
            return 1
        if self.sequence not in intake.rescan_sequences:
            raise SequenceTaken(
                f"trang {self.sequence} của hồ sơ {self.file_code} đã có ảnh khác "
                "(và không được yêu cầu quét lại)",
                sequence=self.sequence,
            )
        return max(v.version for v in self.versions) + 1

    def add(self, page: PageVersion) -> None:
        """Make ``page`` the current version; the earlier ones stay, marked replaced."""
        for earlier in self.versions:
            if earlier.current:
                earlier.current = False
                page.replaces = earlier.page_id
        self.versions.append(page)


@dataclass(frozen=True)
class Completeness:
    """A batch's page numbers against what was declared (số lượng trang, or the pages sent
    back for re-scan)."""

    expected: tuple[int, ...]
    received: int
    gaps: tuple[int, ...]
    duplicates: tuple[int, ...]
    extras: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return not (self.gaps or self.duplicates or self.extras)


class BatchUnknown(NotFound):
    code = "ingest.batch-unknown"
    title = "Không có đợt quét này"


class BatchClosedAlready(Conflict):
    code = "ingest.batch-closed"
    title = "Đợt quét đã đóng"


@dataclass
class Batch:
    """A đợt quét: the pages a station sends of one hồ sơ in one go, checked for gaps,
    duplicates and extras when it is closed."""

    batch_id: str
    file_code: str
    sequences: list[int] = field(default_factory=list)
    closed_at: datetime | None = None

    def check_open(self) -> None:
        if self.closed_at is not None:
            raise BatchClosedAlready(f"đợt quét {self.batch_id} đã đóng", batch=self.batch_id)

    def take(self, sequence: int) -> None:
        self.check_open()
        self.sequences.append(sequence)

    def completeness(self, intake: Intake) -> Completeness:
        if intake.state == "rescan_requested" or (
            intake.rescan_sequences and not intake.number_of_page
        ):
            expected = tuple(sorted(intake.rescan_sequences))
        else:
            expected = tuple(range(1, (intake.number_of_page or 0) + 1))
        seen = set(self.sequences)
        counts = {s: self.sequences.count(s) for s in seen}
        return Completeness(
            expected=expected,
            received=len(seen),
            gaps=tuple(s for s in expected if s not in seen),
            duplicates=tuple(sorted(s for s, n in counts.items() if n > 1)),
            extras=tuple(sorted(s for s in seen if s not in expected)),
        )

    def close(self, intake: Intake, at: datetime) -> Completeness:
        if self.closed_at is not None:
            raise BatchClosedAlready(f"đợt quét {self.batch_id} đã đóng", batch=self.batch_id)
        self.closed_at = at
        return self.completeness(intake)


def new_page_id() -> str:
    return str(uuid.uuid4())
