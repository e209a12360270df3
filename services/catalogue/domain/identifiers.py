"""Identifiers of TT 05/2025 (§4.4), composed from stored parts and never parsed back.

A số và ký hiệu hồ sơ may itself hold dots (``01.TCCB``), so a code string is ambiguous:
the parts are kept in their own columns and the codes are derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.text import validate_file_code

DOC_ID_MAX_LENGTH = 25  # docId String(25): tight for long file codes, so it is checked
DOC_CODE_MAX_LENGTH = 100


@dataclass(frozen=True)
class FileCodeParts:
    """Mã định danh cơ quan, năm hình thành hồ sơ and số và ký hiệu hồ sơ."""

    agency_code: str
    year: int
    file_number: str

    def compose(self) -> str:
        """``fileCode`` = agency + ``.`` + year + ``.`` + file number (``H49.64.33.2001.160``)."""
        return validate_file_code(f"{self.agency_code}.{self.year}.{self.file_number}")


def doc_id(file_code: str, ordinal: int) -> str:
    """Mã định danh tài liệu: ``<fileCode>.<n>``, no padding (``H49.64.33.2001.160.1``)."""
    return f"{file_code}.{ordinal}"


def doc_code(file_code: str, ordinal: int) -> str:
    """Mã lưu trữ tài liệu: ``<fileCode>.<n:07d>`` (``H49.64.33.2001.160.0000001``)."""
    return f"{file_code}.{ordinal:07d}"
