"""Ingest rules: which scans are accepted and where an original is kept. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import Conflict, NotFound, PermanentError

# Magic numbers of the formats the scanning rules allow (TT 05/2025: JPEG/PDF/TIFF/PNG masters).
SIGNATURES: dict[bytes, str] = {
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
EXTENSIONS = {"image/tiff": "tif", "image/jpeg": "jpg", "image/png": "png"}
SNIFF_BYTES = max(len(s) for s in SIGNATURES)


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


class SequenceTaken(Conflict):
    code = "ingest.sequence-taken"
    title = "Số thứ tự trang đã có ảnh khác"


@dataclass(frozen=True)
class ImageFacts:
    """What ingest learns of a scan by decoding it."""

    media_type: str
    width: int
    height: int
    dpi: int | None


def sniff_media_type(head: bytes) -> str:
    """The media type by content, never by the client's word; unknown types are refused."""
    for signature, media_type in SIGNATURES.items():
        if head.startswith(signature):
            return media_type
    raise UnsupportedMediaType("chỉ nhận ảnh TIFF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)")


def original_key(file_code: str, sequence: int, sha256: str, media_type: str) -> str:
    """``<file_code>/<seq:04d>-<sha256[:16]>.<ext>`` in the originals area, never modified."""
    return f"{file_code}/{sequence:04d}-{sha256[:16]}.{EXTENSIONS[media_type]}"


class FileUnknown(NotFound):
    """No hồ sơ of this code was announced by the catalogue (not registered, or not yet)."""

    code = "ingest.file-unknown"
    title = "Hồ sơ chưa được đăng ký trong mục lục"


class FileNotOpen(Conflict):
    """Scans are taken only of a hồ sơ that is approved and fully arranged (chỉnh lý hoàn
    chỉnh), or being scanned or re-scanned."""

    code = "ingest.file-not-open"
    title = "Hồ sơ chưa được phép số hóa"


@dataclass(frozen=True)
class Intake:
    """What ingest knows of a hồ sơ's gate."""

    file_code: str
    state: str
    open_for_scanning: bool
    arranged: bool

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
