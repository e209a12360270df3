"""The code lists of TT 05/2025 (Phụ lục, §4.3 of the domain notes), each with its labels.

A member's value is the code as the schema writes it (``"01"``), ``label`` its Vietnamese
name. ``parse`` takes the code or the label as people type it (any case, with or without
diacritics), so an inventory's "Vĩnh viễn" and an API's ``"01"`` both arrive as ``PERMANENT``.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self

from shared.text import fold


def _as_typed(text: str) -> str:
    """A code or label as compared: folded, single spaces, ``"1"`` read as ``"01"``."""
    wanted = " ".join(fold(text).split())
    return f"0{wanted}" if wanted.isdigit() and len(wanted) == 1 else wanted


class CodeList(StrEnum):
    """Base of every TT 05 code list: value = code, ``label`` = Vietnamese name."""

    label: str

    def __new__(cls, code: str, label: str) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def of(cls, code: str) -> Self:
        """The member with exactly this code (a stored value); ValueError if none."""
        for member in cls:
            if member.value == code:
                return member
        raise ValueError(f"{code!r} không có trong danh mục {cls.__name__}")

    @classmethod
    def parse(cls, text: str) -> Self:
        """The member whose code or label ``text`` is; ValueError naming the list if none."""
        wanted = _as_typed(text)
        for member in cls:
            if wanted in (member.value, fold(member.label)):
                return member
        raise ValueError(f"{text!r} không có trong danh mục {cls.__name__}")


class Maintenance(CodeList):
    """Thời hạn lưu trữ (bảo quản). A historical archive takes in only ``01``."""

    PERMANENT = "01", "Vĩnh viễn"
    YEARS_70 = "02", "70 năm"
    YEARS_50 = "03", "50 năm"
    YEARS_30 = "04", "30 năm"
    YEARS_20 = "05", "20 năm"
    YEARS_10 = "06", "10 năm"
    OTHER = "07", "Khác"


class AccessMode(CodeList):
    """Chế độ sử dụng: ``02`` and ``03`` are restricted."""

    PUBLIC = "01", "Công khai"
    CONDITIONAL = "02", "Sử dụng có điều kiện"
    SECRET = "03", "Mật"


class ConfidenceLevel(CodeList):
    """Mức độ tin cậy: a digitized copy is ``02``."""

    BORN_DIGITAL = "01", "Gốc điện tử"
    DIGITIZED = "02", "Số hóa"
    MIXED = "03", "Hỗn hợp"


class PhysicalFormat(CodeList):
    """Tình trạng vật lý of the paper original."""

    GOOD = "01", "Tốt"
    NORMAL = "02", "Bình thường"
    DAMAGED = "03", "Hỏng"


class Language(CodeList):
    """Ngôn ngữ. A hồ sơ or văn bản may have several."""

    VIETNAMESE = "01", "Tiếng Việt"
    ENGLISH = "02", "Tiếng Anh"
    FRENCH = "03", "Tiếng Pháp"
    RUSSIAN = "04", "Tiếng Nga"
    CHINESE = "05", "Tiếng Trung"
    VIETNAMESE_ENGLISH = "06", "Tiếng Việt - Tiếng Anh"
    VIETNAMESE_RUSSIAN = "07", "Tiếng Việt - Tiếng Nga"
    VIETNAMESE_FRENCH = "08", "Tiếng Việt - Tiếng Pháp"
    HAN_NOM = "09", "Hán Nôm"
    VIETNAMESE_CHINESE = "10", "Tiếng Việt - Tiếng Trung"
    OTHER = "11", "Khác"


class RiskRecoveryStatus(CodeList):
    """Tình trạng dự phòng: whether the insurance copy exists yet."""

    DONE = "01", "Đã dự phòng"
    NOT_YET = "02", "Chưa dự phòng"


class SelectionCriterion(IntEnum):
    """Why a hồ sơ is selected for the programme (Kế hoạch 115/KH-UBND §II.2.2.a); any one
    suffices, each recorded with its evidence."""

    PERMANENT_RETENTION = 1
    BEFORE_1975_OR_NOTABLE = 2
    UNUSUAL_CARRIER = 3
    VALUABLE_AT_RISK = 4

    @property
    def label(self) -> str:
        return _CRITERIA[self]


_CRITERIA = {
    SelectionCriterion.PERMANENT_RETENTION: "Tài liệu bảo quản vĩnh viễn",
    SelectionCriterion.BEFORE_1975_OR_NOTABLE: (
        "Tài liệu trước năm 1975; về nhân vật, gia đình, dòng họ tiêu biểu của địa phương"
    ),
    SelectionCriterion.UNUSUAL_CARRIER: (
        "Vật mang tin đặc biệt (lá, gỗ, vải, da, giấy dó…) hoặc chữ viết, hình thức đặc biệt"
    ),
    SelectionCriterion.VALUABLE_AT_RISK: "Giá trị cao nhưng hư hỏng, có nguy cơ mất (mủn, giòn…)",
}


class DocumentType(CodeList):
    """Tên loại tài liệu, codes ``01``–``32``: the 29 types of NĐ 30/2020 Phụ lục III with
    their abbreviations (used in ký hiệu) and three archival extras without one."""

    abbreviation: str | None

    def __new__(cls, code: str, label: str, abbreviation: str | None = None) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        member.abbreviation = abbreviation
        return member

    RESOLUTION = "01", "Nghị quyết", "NQ"
    DECISION = "02", "Quyết định", "QĐ"
    DIRECTIVE = "03", "Chỉ thị", "CT"
    REGULATION = "04", "Quy chế", "QC"
    RULE = "05", "Quy định", "QyĐ"
    COMMUNIQUE = "06", "Thông cáo", "TC"
    NOTICE = "07", "Thông báo", "TB"
    GUIDANCE = "08", "Hướng dẫn", "HD"
    PROGRAMME = "09", "Chương trình", "CTr"
    PLAN = "10", "Kế hoạch", "KH"
    SCHEME = "11", "Phương án", "PA"
    PROPOSAL = "12", "Đề án", "ĐA"
    PROJECT = "13", "Dự án", "DA"
    REPORT = "14", "Báo cáo", "BC"
    SUBMISSION = "15", "Tờ trình", "TTr"
    AUTHORISATION = "16", "Giấy ủy quyền", "GUQ"
    DISPATCH_NOTE = "17", "Phiếu gửi", "PG"
    TRANSFER_NOTE = "18", "Phiếu chuyển", "PC"
    ADVICE_NOTE = "19", "Phiếu báo", "PB"
    MINUTES = "20", "Biên bản", "BB"
    CONTRACT = "21", "Hợp đồng", "HĐ"
    OFFICIAL_LETTER = "22", "Công văn", None
    TELEGRAM = "23", "Công điện", "CĐ"
    MEMORANDUM = "24", "Bản ghi nhớ", "GN"
    AGREEMENT = "25", "Bản thỏa thuận", "TTh"
    INVITATION = "26", "Giấy mời", "GM"
    INTRODUCTION = "27", "Giấy giới thiệu", "GGT"
    LEAVE = "28", "Giấy nghỉ phép", "GNP"
    PUBLIC_LETTER = "29", "Thư công", None
    MAP = "30", "Bản đồ", None
    TECHNICAL_DRAWING = "31", "Bản vẽ kỹ thuật", None
    OTHER = "32", "Khác", None

    @property
    def code(self) -> str:
        return self.value

    @classmethod
    def from_abbreviation(cls, abbreviation: str) -> DocumentType | None:
        """The type a ký hiệu's first segment names (``KH`` in ``115/KH-UBND``), by NĐ 30's
        abbreviations first, then the aliases of older forms; None for none (a công văn, or
        a normative act such as ``NĐ-CP``, which the 32 codes do not list)."""
        for member in cls:
            if member.abbreviation == abbreviation:
                return member
        return LEGACY_ABBREVIATIONS.get(abbreviation)


LEGACY_ABBREVIATIONS: dict[str, DocumentType] = {
    # TT 01/2011/TT-BNV and earlier forms; sources disagree on the two agreements (domain §9.6).
    "UQ": DocumentType.AUTHORISATION,
    "GT": DocumentType.INTRODUCTION,
    "NP": DocumentType.LEAVE,
    "BGN": DocumentType.MEMORANDUM,
    "BTT": DocumentType.AGREEMENT,
    "TTa": DocumentType.AGREEMENT,
    "QĐi": DocumentType.RULE,
    "QyĐ": DocumentType.RULE,
    "CV": DocumentType.OFFICIAL_LETTER,  # Party documents: "Số 123-CV/VPTW"
}
"""Abbreviations of pre-2020 forms, mapped to today's codes."""

COPY_ABBREVIATIONS: dict[str, str] = {
    "SY": "Bản sao y",
    "TrS": "Bản trích sao",
    "SL": "Bản sao lục",
}
"""NĐ 30 Phụ lục III marks of copies: a ký hiệu of a copy, not a type of its own."""
