"""Biên mục: the description of a hồ sơ (TT 05/2025 Phụ lục I, 18 elements) and of each văn bản
in it (§4.2), with the types, lengths and code lists of the annexes.

A draft may be incomplete — an inventory row rarely has every element — but never invalid:
values are checked on entry, and what is *required* is asked only at the ``described`` step
(:func:`missing_file_elements`, :func:`missing_document_elements`). The element tables are the
one place that names each element: its TT 05 name (JSON key and XML element), its Vietnamese
label (spreadsheet headers) and its length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from services.catalogue.domain.codes import (
    AccessMode,
    ConfidenceLevel,
    DocumentType,
    Language,
    Maintenance,
    PhysicalFormat,
    RiskRecoveryStatus,
)
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.errors import InvalidField
from shared.text import nfc

NUMBER_10 = 9_999_999_999  # Number(10)
NUMBER_4 = 9_999  # Number(4): pages of one văn bản


class Requirement(StrEnum):
    """When an element must be present."""

    ALWAYS = "always"
    DIGITIZED = "digitized"  # required of a digitized copy (numberOfPaper, format, paperFileCode)
    IF_RISK_RECOVERY = "if-risk-recovery"  # riskRecoveryStatus, when riskRecovery = 1
    OPTIONAL = "optional"


@dataclass(frozen=True)
class Element:
    """One metadata element: ``attr`` in code, ``name`` in TT 05, ``label`` for people."""

    attr: str
    name: str
    label: str
    requirement: Requirement
    max_length: int | None = None


FILE_ELEMENTS: tuple[Element, ...] = (
    Element("file_code", "fileCode", "Mã hồ sơ", Requirement.ALWAYS, 100),
    Element("title", "title", "Tiêu đề hồ sơ", Requirement.ALWAYS, 1000),
    Element("maintenance", "maintenance", "Thời hạn lưu trữ", Requirement.ALWAYS, 100),
    Element("mode", "mode", "Chế độ sử dụng", Requirement.ALWAYS, 30),
    Element("languages", "language", "Ngôn ngữ", Requirement.ALWAYS, 100),
    Element("start_date", "startDate", "Thời gian bắt đầu", Requirement.ALWAYS),
    Element("end_date", "endDate", "Thời gian kết thúc", Requirement.ALWAYS),
    Element("keyword", "keyword", "Từ khóa", Requirement.OPTIONAL, 100),
    Element("total_doc", "totalDoc", "Tổng số tài liệu trong hồ sơ", Requirement.ALWAYS),
    Element("number_of_paper", "numberOfPaper", "Số lượng tờ", Requirement.DIGITIZED),
    Element("number_of_page", "numberOfPage", "Số lượng trang", Requirement.ALWAYS),
    Element("format", "format", "Tình trạng vật lý", Requirement.DIGITIZED, 50),
    Element("infor_sign", "inforSign", "Ký hiệu thông tin", Requirement.OPTIONAL, 30),
    Element("confidence_level", "confidenceLevel", "Mức độ tin cậy", Requirement.OPTIONAL, 40),
    Element("paper_file_code", "paperFileCode", "Mã hồ sơ gốc giấy", Requirement.DIGITIZED, 100),
    Element("risk_recovery", "riskRecovery", "Chế độ dự phòng", Requirement.ALWAYS),
    Element(
        "risk_recovery_status",
        "riskRecoveryStatus",
        "Tình trạng dự phòng",
        Requirement.IF_RISK_RECOVERY,
        2,
    ),
    Element("description", "description", "Ghi chú", Requirement.OPTIONAL, 2000),
)
"""The 18 hồ sơ elements of TT 05/2025 Phụ lục I, in the schema's order."""

DOCUMENT_ELEMENTS: tuple[Element, ...] = (
    Element("doc_id", "docId", "Mã định danh tài liệu", Requirement.ALWAYS, 25),
    Element("doc_code", "docCode", "Mã lưu trữ tài liệu", Requirement.ALWAYS, 100),
    Element("maintenance", "maintenance", "Thời hạn lưu trữ", Requirement.ALWAYS, 100),
    Element("type_name", "typeName", "Tên loại tài liệu", Requirement.ALWAYS, 10),
    Element("code_number", "codeNumber", "Số của tài liệu", Requirement.OPTIONAL, 11),
    Element("code_notation", "codeNotation", "Ký hiệu của tài liệu", Requirement.OPTIONAL, 30),
    Element("issued_date", "issuedDate", "Ngày tháng năm tài liệu", Requirement.ALWAYS),
    Element("organ_name", "organName", "Cơ quan, tổ chức ban hành", Requirement.ALWAYS, 200),
    Element("subject", "subject", "Trích yếu nội dung", Requirement.ALWAYS, 500),
    Element("languages", "language", "Ngôn ngữ", Requirement.ALWAYS, 100),
    Element("number_of_page", "numberOfPage", "Số lượng trang", Requirement.ALWAYS),
    Element("infor_sign", "inforSign", "Ký hiệu thông tin", Requirement.OPTIONAL, 30),
    Element("keyword", "keyword", "Từ khóa", Requirement.OPTIONAL, 100),
    Element("mode", "mode", "Chế độ sử dụng", Requirement.ALWAYS, 20),
    Element("confidence_level", "confidenceLevel", "Mức độ tin cậy", Requirement.OPTIONAL, 30),
    Element("autograph", "autograph", "Bút tích", Requirement.OPTIONAL, 2000),
    Element("format", "format", "Tình trạng vật lý", Requirement.OPTIONAL, 50),
    Element("risk_recovery", "riskRecovery", "Chế độ dự phòng", Requirement.OPTIONAL),
    Element(
        "risk_recovery_status",
        "riskRecoveryStatus",
        "Tình trạng dự phòng",
        Requirement.OPTIONAL,
        2,
    ),
    Element("process", "process", "Quy trình xử lý", Requirement.OPTIONAL),
    Element("description", "description", "Ghi chú", Requirement.OPTIONAL, 500),
)
"""The văn bản elements of TT 05/2025 (§4.2). ``process`` applies to born-digital records only."""

EXTENSION_FIELDS = (
    "signerName",
    "signerTitle",
    "signingAuthority",
    "issuedPlace",
    "parentOrganName",
)
"""The project's extension of a văn bản: what NĐ 30 prints that TT 05 has no element for (the
signer, the place of issue, the issuer's governing body)."""

_BY_ATTR = {
    "file": {e.attr: e for e in FILE_ELEMENTS},
    "document": {e.attr: e for e in DOCUMENT_ELEMENTS},
}


def _check_lengths(level: str, value: object) -> None:
    """NFC every text field and hold it to its TT 05 length (frozen dataclasses: setattr)."""
    elements = _BY_ATTR[level]
    for item in dataclasses.fields(value):  # type: ignore[arg-type]  # called with dataclasses
        current = getattr(value, item.name)
        if type(current) is str:  # text, not a code (code lists are str enums)
            current = " ".join(nfc(current).split()) or None
            object.__setattr__(value, item.name, current)
        element = elements.get(item.name)
        if element is None or current is None:
            continue
        too_long = isinstance(current, str) and len(current) > (element.max_length or len(current))
        if too_long:
            raise InvalidField(
                f"{element.label} ({element.name}) dài quá {element.max_length} ký tự",
                field=element.name,
            )


def _check_count(value: int | None, name: str, maximum: int, minimum: int = 0) -> None:
    if value is not None and not minimum <= value <= maximum:
        raise InvalidField(f"{name} phải trong khoảng {minimum}–{maximum}", field=name)


def _check_range(start: PartialDate | None, end: PartialDate | None) -> None:
    if start is not None and end is not None and end.latest() < start.earliest():
        raise InvalidField(
            f"thời gian kết thúc {end} trước thời gian bắt đầu {start}", field="endDate"
        )


def languages_text(languages: tuple[Language, ...]) -> str | None:
    """The language element as stored and shown: codes joined by ``,`` (TT 05 leaves the
    separator open; see domain notes §9.2)."""
    return ",".join(language.value for language in languages) or None


@dataclass(frozen=True)
class FileDescription:
    """The described elements of a hồ sơ (all but ``fileCode``, which the aggregate holds).

    Programme defaults: ``riskRecovery`` = 1 (every hồ sơ here gets an insurance copy),
    ``riskRecoveryStatus`` = 02 until it is handed over, ``confidenceLevel`` = 02 (Số hóa).
    """

    title: str
    number_of_page: int
    maintenance: Maintenance | None = None
    mode: AccessMode | None = None
    languages: tuple[Language, ...] = ()
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    keyword: str | None = None
    total_doc: int | None = None
    number_of_paper: int | None = None
    format: PhysicalFormat | None = None
    infor_sign: str | None = None
    confidence_level: ConfidenceLevel | None = ConfidenceLevel.DIGITIZED
    paper_file_code: str | None = None
    risk_recovery: bool = True
    risk_recovery_status: RiskRecoveryStatus | None = RiskRecoveryStatus.NOT_YET
    description: str | None = None

    def __post_init__(self) -> None:
        _check_lengths("file", self)
        if not self.title:
            raise InvalidField("tiêu đề hồ sơ không được để trống", field="title")
        _check_count(self.number_of_page, "numberOfPage", NUMBER_10, minimum=1)
        _check_count(self.number_of_paper, "numberOfPaper", NUMBER_10)
        _check_count(self.total_doc, "totalDoc", NUMBER_10)
        _check_range(self.start_date, self.end_date)

    def changed(self, changes: Mapping[str, object]) -> FileDescription:
        """A copy with ``changes`` (attribute names) applied and checked again."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]  # checked in post-init


@dataclass(frozen=True)
class DocumentDescription:
    """A văn bản: its §4.2 elements, its page range in the hồ sơ and the signer extension."""

    first_page: int
    last_page: int
    type_name: DocumentType | None = None
    code_number: str | None = None
    code_notation: str | None = None
    issued_date: PartialDate | None = None
    organ_name: str | None = None
    subject: str | None = None
    languages: tuple[Language, ...] = ()
    number_of_page: int | None = None
    maintenance: Maintenance | None = None
    mode: AccessMode | None = None
    infor_sign: str | None = None
    keyword: str | None = None
    confidence_level: ConfidenceLevel | None = None
    autograph: str | None = None
    format: PhysicalFormat | None = None
    risk_recovery: bool | None = None
    risk_recovery_status: RiskRecoveryStatus | None = None
    process: bool | None = None
    description: str | None = None
    extension: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_lengths("document", self)
        if self.first_page < 1 or self.last_page < self.first_page:
            raise InvalidField(
                f"trang {self.first_page}–{self.last_page} không phải một khoảng trang",
                field="first_page",
            )
        _check_count(self.number_of_page, "numberOfPage", NUMBER_4, minimum=1)
        unknown = set(self.extension) - set(EXTENSION_FIELDS)
        if unknown:
            raise InvalidField(f"trường mở rộng không biết: {sorted(unknown)}", field="extension")
        object.__setattr__(
            self, "extension", {k: nfc(v) for k, v in self.extension.items() if v.strip()}
        )

    @property
    def page_count(self) -> int:
        """Pages the range covers; ``numberOfPage`` defaults to it."""
        return self.last_page - self.first_page + 1

    def with_defaults(self, file: FileDescription) -> DocumentDescription:
        """Elements a văn bản takes from its hồ sơ when it does not say otherwise."""
        return dataclasses.replace(
            self,
            number_of_page=self.number_of_page or self.page_count,
            maintenance=self.maintenance or file.maintenance,
            mode=self.mode or file.mode,
            languages=self.languages or file.languages,
            confidence_level=self.confidence_level or file.confidence_level,
        )


@dataclass(frozen=True)
class MissingElement:
    """A required element that is absent, at the hồ sơ level (``document`` None) or in a văn bản."""

    element: str
    label: str
    document: int | None = None

    def as_json(self) -> dict[str, object]:
        return {"field": self.element, "label": self.label, "document": self.document}


def _absent(value: object) -> bool:
    return value is None or value == () or value == ""


def missing_file_elements(file: FileDescription) -> list[MissingElement]:
    """What biên mục of a digitized hồ sơ still lacks (``fileCode`` is always there)."""
    wanted = {Requirement.ALWAYS, Requirement.DIGITIZED}
    if file.risk_recovery:
        wanted.add(Requirement.IF_RISK_RECOVERY)
    return [
        MissingElement(e.name, e.label)
        for e in FILE_ELEMENTS
        if e.requirement in wanted and e.attr != "file_code" and _absent(getattr(file, e.attr))
    ]


def missing_document_elements(ordinal: int, document: DocumentDescription) -> list[MissingElement]:
    """What a văn bản still lacks once the hồ sơ's defaults apply (its codes are derived)."""
    return [
        MissingElement(e.name, e.label, ordinal)
        for e in DOCUMENT_ELEMENTS
        if e.requirement is Requirement.ALWAYS
        and e.attr not in ("doc_id", "doc_code")
        and _absent(getattr(document, e.attr))
    ]
