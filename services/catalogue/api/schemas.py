"""The catalogue API's bodies. TT 05/2025 elements keep their schema names as JSON keys
(``startDate``, ``numberOfPaper``, ``codeNotation`` …) and their schema forms: dates
``DD/MM/YYYY`` (or ``MM/YYYY``, ``YYYY``), codes as codes (labels are accepted on the way in).

Values become domain types here, in one place (:func:`file_changes`, :func:`document_of`);
a value outside its type or list is a 422 naming the element."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from services.catalogue.domain.codes import (
    AccessMode,
    CodeList,
    ConfidenceLevel,
    DocumentType,
    Language,
    Maintenance,
    PhysicalFormat,
    RiskRecoveryStatus,
    SelectionCriterion,
)
from services.catalogue.domain.dates import InvalidDate, PartialDate
from services.catalogue.domain.description import (
    FILE_ELEMENTS,
    DocumentDescription,
    FileDescription,
)
from services.catalogue.domain.errors import InvalidField
from services.catalogue.domain.fonds import Fonds, FondsStatus
from shared.text import FileCode, NfcStr

Text = NfcStr
Languages = str | list[str]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _codes(kind: type[CodeList]) -> str:
    return "; ".join(f"{m.value} {m.label}" for m in kind)


class FileElementsIn(_Body):
    """The hồ sơ elements of TT 05/2025 Phụ lục I (all optional: a draft may be incomplete)."""

    title: Text | None = Field(default=None, max_length=1000, description="Tiêu đề hồ sơ")
    maintenance: str | None = Field(
        default=None, description=f"Thời hạn lưu trữ: {_codes(Maintenance)}"
    )
    mode: str | None = Field(default=None, description=f"Chế độ sử dụng: {_codes(AccessMode)}")
    language: Languages | None = Field(
        default=None, description=f'Ngôn ngữ, một hoặc nhiều mã ("01,03"): {_codes(Language)}'
    )
    start_date: str | None = Field(
        default=None, alias="startDate", description="Thời gian bắt đầu: DD/MM/YYYY, MM/YYYY, YYYY"
    )
    end_date: str | None = Field(default=None, alias="endDate", description="Thời gian kết thúc")
    keyword: Text | None = Field(default=None, max_length=100, description="Từ khóa")
    total_doc: int | None = Field(
        default=None, alias="totalDoc", ge=0, description="Tổng số tài liệu"
    )
    number_of_paper: int | None = Field(
        default=None, alias="numberOfPaper", ge=0, description="Số lượng tờ"
    )
    format: str | None = Field(
        default=None, description=f"Tình trạng vật lý: {_codes(PhysicalFormat)}"
    )
    infor_sign: Text | None = Field(default=None, alias="inforSign", max_length=30)
    confidence_level: str | None = Field(
        default=None,
        alias="confidenceLevel",
        description=f"Mức độ tin cậy: {_codes(ConfidenceLevel)}",
    )
    paper_file_code: Text | None = Field(default=None, alias="paperFileCode", max_length=100)
    risk_recovery: bool | None = Field(
        default=None, alias="riskRecovery", description="Chế độ dự phòng"
    )
    risk_recovery_status: str | None = Field(
        default=None, alias="riskRecoveryStatus", description=_codes(RiskRecoveryStatus)
    )
    description: Text | None = Field(default=None, max_length=2000, description="Ghi chú")
    fonds_code: Text | None = Field(
        default=None, alias="fondsCode", max_length=50, description="Mã phông"
    )
    group: Text | None = Field(default=None, max_length=200, description="Nhóm, khối tài liệu")
    inventory_number: Text | None = Field(default=None, alias="inventoryNumber", max_length=50)


class FileIn(FileElementsIn):
    """Register a hồ sơ: today's body (``file_code``, ``title``, ``number_of_page``,
    ``metadata``) plus any other element at the top level by its TT 05 name. The code is
    given, or composed from ``agencyCode`` + ``year`` + ``fileNumber``."""

    file_code: FileCode | None = Field(
        default=None,
        validation_alias=AliasChoices("file_code", "fileCode"),
        description="mã hồ sơ, e.g. H49.64.33.2001.160",
    )
    title: Text = Field(min_length=1, max_length=1000, description="tiêu đề hồ sơ")
    number_of_page: int = Field(
        ge=1,
        le=9_999_999_999,
        validation_alias=AliasChoices("number_of_page", "numberOfPage"),
        description="số lượng trang",
    )
    agency_code: Text | None = Field(default=None, alias="agencyCode", max_length=50)
    year: int | None = Field(default=None, ge=1000, le=2999, description="năm hình thành hồ sơ")
    file_number: Text | None = Field(default=None, alias="fileNumber", max_length=50)
    metadata: dict[str, NfcStr] = Field(
        default_factory=dict,
        description="other elements by TT 05 name (as before); unknown names are kept as the "
        "project's extension",
    )


class FileChangesIn(FileElementsIn):
    """Biên mục of hồ sơ-level elements: only the elements sent change."""

    number_of_page: int | None = Field(default=None, alias="numberOfPage", ge=1)


K = TypeVar("K", bound=CodeList)


def _parse_code(kind: type[K], value: str, element: str) -> K:
    try:
        return kind.parse(value)
    except ValueError as exc:
        raise InvalidField(str(exc), field=element) from exc


def _parse_date(value: str, element: str) -> PartialDate:
    try:
        return PartialDate.parse(value)
    except InvalidDate as exc:
        raise InvalidField(f"{element}: {exc}", field=element) from exc


def _parse_languages(value: Languages, element: str = "language") -> tuple[Language, ...]:
    items = value if isinstance(value, list) else value.replace(";", ",").split(",")
    return tuple(_parse_code(Language, item, element) for item in items if item.strip())


_FILE_CODED: dict[str, type[CodeList]] = {
    "maintenance": Maintenance,
    "mode": AccessMode,
    "format": PhysicalFormat,
    "confidence_level": ConfidenceLevel,
    "risk_recovery_status": RiskRecoveryStatus,
}
_DESCRIBED = set(FileDescription.__dataclass_fields__)
_ATTR_OF = {e.name: e.attr for e in FILE_ELEMENTS}


def _element_value(attr: str, raw: Any, element: str) -> object:
    if raw is None:
        return None
    if attr in _FILE_CODED:
        return _parse_code(_FILE_CODED[attr], str(raw), element)
    if attr == "languages":
        return _parse_languages(raw, element)
    if attr in ("start_date", "end_date"):
        return _parse_date(str(raw), element)
    return raw


def file_changes(body: FileElementsIn) -> dict[str, object]:
    """The TT 05 elements the body sets, as domain values by attribute name."""
    sent = body.model_dump(exclude_unset=True, by_alias=False)
    changes: dict[str, object] = {}
    for attr, raw in sent.items():
        target = "languages" if attr == "language" else attr
        if target in _DESCRIBED:
            changes[target] = _element_value(target, raw, _name_of(target))
    return changes


def _name_of(attr: str) -> str:
    return next(e.name for e in FILE_ELEMENTS if e.attr == attr)


def metadata_elements(metadata: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """Today's free-form ``metadata``: TT 05 element names become elements; anything else, and
    a coded element whose value is not in its list, is kept as the project's extension (and
    kiểm tra reports the latter)."""
    elements: dict[str, object] = {}
    extension: dict[str, str] = {}
    for name, raw in metadata.items():
        attr = _ATTR_OF.get(name)
        if attr is None or attr in ("file_code", "title", "number_of_page"):
            extension[name] = raw
            continue
        try:
            if attr in ("total_doc", "number_of_paper"):
                elements[attr] = int(raw)
            elif attr == "risk_recovery":
                elements[attr] = raw.strip() in ("1", "true", "True")
            else:
                elements[attr] = _element_value(attr, raw, name)
        except (InvalidField, ValueError):
            extension[name] = raw
    return elements, extension


class DocumentIn(_Body):
    """A văn bản: its TT 05/2025 elements (§4.2), its page range, and the signer as printed
    (the project's extension: TT 05 has no signer element)."""

    first_page: int = Field(ge=1, description="trang đầu của văn bản trong hồ sơ")
    last_page: int = Field(ge=1, description="trang cuối")
    type_name: str | None = Field(
        default=None, alias="typeName", description="Tên loại tài liệu: mã 01–32 hoặc tên"
    )
    code_number: Text | None = Field(
        default=None, alias="codeNumber", max_length=11, description="Số"
    )
    code_notation: Text | None = Field(
        default=None, alias="codeNotation", max_length=30, description="Ký hiệu, e.g. KH-UBND"
    )
    issued_date: str | None = Field(default=None, alias="issuedDate", description="DD/MM/YYYY")
    organ_name: Text | None = Field(default=None, alias="organName", max_length=200)
    subject: Text | None = Field(default=None, max_length=500, description="Trích yếu nội dung")
    language: Languages | None = None
    number_of_page: int | None = Field(default=None, alias="numberOfPage", ge=1, le=9999)
    maintenance: str | None = None
    mode: str | None = None
    infor_sign: Text | None = Field(default=None, alias="inforSign", max_length=30)
    keyword: Text | None = Field(default=None, max_length=100)
    confidence_level: str | None = Field(default=None, alias="confidenceLevel")
    autograph: Text | None = Field(default=None, max_length=2000, description="Bút tích")
    format: str | None = None
    risk_recovery: bool | None = Field(default=None, alias="riskRecovery")
    risk_recovery_status: str | None = Field(default=None, alias="riskRecoveryStatus")
    process: bool | None = None
    description: Text | None = Field(default=None, max_length=500)
    signer_name: Text | None = Field(default=None, alias="signerName", max_length=200)
    signer_title: Text | None = Field(default=None, alias="signerTitle", max_length=200)
    signing_authority: Text | None = Field(
        default=None, alias="signingAuthority", max_length=200, description="TM./KT./TL./TUQ./Q."
    )
    issued_place: Text | None = Field(default=None, alias="issuedPlace", max_length=200)


def document_of(body: DocumentIn) -> DocumentDescription:
    extension = {
        name: value
        for name, value in (
            ("signerName", body.signer_name),
            ("signerTitle", body.signer_title),
            ("signingAuthority", body.signing_authority),
            ("issuedPlace", body.issued_place),
        )
        if value
    }
    type_name = None
    if body.type_name:
        try:
            type_name = DocumentType.parse(body.type_name)
        except ValueError as exc:
            raise InvalidField(str(exc), field="typeName") from exc
    return DocumentDescription(
        first_page=body.first_page,
        last_page=body.last_page,
        type_name=type_name,
        code_number=body.code_number,
        code_notation=body.code_notation,
        issued_date=_parse_date(body.issued_date, "issuedDate") if body.issued_date else None,
        organ_name=body.organ_name,
        subject=body.subject,
        languages=_parse_languages(body.language) if body.language else (),
        number_of_page=body.number_of_page,
        maintenance=_parse_code(Maintenance, body.maintenance, "maintenance")
        if body.maintenance
        else None,
        mode=_parse_code(AccessMode, body.mode, "mode") if body.mode else None,
        infor_sign=body.infor_sign,
        keyword=body.keyword,
        confidence_level=_parse_code(ConfidenceLevel, body.confidence_level, "confidenceLevel")
        if body.confidence_level
        else None,
        autograph=body.autograph,
        format=_parse_code(PhysicalFormat, body.format, "format") if body.format else None,
        risk_recovery=body.risk_recovery,
        risk_recovery_status=_parse_code(
            RiskRecoveryStatus, body.risk_recovery_status, "riskRecoveryStatus"
        )
        if body.risk_recovery_status
        else None,
        process=body.process,
        description=body.description,
        extension=extension,
    )


class CriterionIn(_Body):
    code: SelectionCriterion = Field(description="tiêu chí lựa chọn 1–4 (domain §3)")
    evidence: Text = Field(min_length=1, max_length=1000, description="căn cứ")


class SelectionIn(_Body):
    criteria: list[CriterionIn] = Field(min_length=1, max_length=4)


class DecisionIn(_Body):
    """The approving decision of a selection list."""

    number: Text = Field(min_length=1, max_length=100, description="số quyết định")
    date: date
    signer: Text = Field(min_length=1, max_length=200, description="người ký")
    file_codes: list[FileCode] = Field(min_length=1, max_length=10_000)


class ArrangementIn(_Body):
    confirmed_by: Text = Field(min_length=1, max_length=200, description="người xác nhận chỉnh lý")
    number_of_paper: int | None = Field(default=None, alias="numberOfPaper", ge=0)
    number_of_page: int | None = Field(default=None, alias="numberOfPage", ge=1)


class WaiverIn(_Body):
    check: str = Field(min_length=1, max_length=50, description="mã kiểm tra, e.g. blank-page")
    reason: Text = Field(min_length=1, max_length=1000)


class VerificationIn(_Body):
    waivers: list[WaiverIn] = Field(default_factory=list)


class RescanPageIn(_Body):
    sequence: int = Field(ge=1)
    reason: Text = Field(min_length=1, max_length=500)


class RescanIn(_Body):
    pages: list[RescanPageIn] = Field(min_length=1)


class AcceptIn(_Body):
    """Nghiệm thu of one hồ sơ; the biên bản's number and the signer's role are optional here."""

    minutes_number: Text | None = Field(default=None, max_length=100, description="số biên bản")
    role: Text | None = Field(default=None, max_length=100, description="chức vụ, vai trò")


class AcceptancesIn(_Body):
    minutes_number: Text = Field(min_length=1, max_length=100, description="số biên bản nghiệm thu")
    role: Text | None = Field(default=None, max_length=100)
    file_codes: list[FileCode] = Field(min_length=1, max_length=10_000)


class FondsIn(_Body):
    name: Text = Field(min_length=1, max_length=500, description="tên phông")
    status: FondsStatus = FondsStatus.OPEN
    agency_code: Text | None = Field(default=None, alias="agencyCode", max_length=50)
    history: Text | None = Field(
        default=None, max_length=4000, description="lịch sử đơn vị hình thành phông"
    )
    time_range: Text | None = Field(default=None, alias="timeRange", max_length=100)
    total_docs: int | None = Field(default=None, alias="totalDocs", ge=0)
    classification: Text | None = Field(
        default=None, max_length=2000, description="phương án phân loại"
    )
    language: Languages | None = None
    backup_regime: Text | None = Field(default=None, alias="backupRegime", max_length=500)
    note: Text | None = Field(default=None, max_length=2000)

    def fonds(self, code: str) -> Fonds:
        return Fonds(
            code=code,
            name=self.name,
            status=self.status,
            agency_code=self.agency_code,
            history=self.history,
            time_range=self.time_range,
            total_docs=self.total_docs,
            classification=self.classification,
            languages=_parse_languages(self.language) if self.language else (),
            backup_regime=self.backup_regime,
            note=self.note,
        )


class ConfirmationIn(_Body):
    """The values a person confirms for a suggested văn bản (TT 05 names; ``null`` clears a
    field; a field not sent keeps its suggestion), and its page range if it changes."""

    fields: dict[str, NfcStr | None] = Field(default_factory=dict)
    first_page: int | None = Field(default=None, ge=1)
    last_page: int | None = Field(default=None, ge=1)


class SplitIn(BaseModel):
    """Tách văn bản: where the second one begins."""

    at_page: int = Field(ge=2, le=9999, description="the first page of the second văn bản")
