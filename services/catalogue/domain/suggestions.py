"""Suggestions of biên mục tự động as the hồ sơ keeps them, and how a confirmation becomes the
record: the văn bản's description from the values a person confirmed (or typed instead), every
field compared with what was suggested. Those comparisons are the ground truth the extractor
is measured against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.catalogue.domain.codes import DocumentType
from services.catalogue.domain.dates import InvalidDate, PartialDate
from services.catalogue.domain.description import EXTENSION_FIELDS, DocumentDescription
from services.catalogue.domain.errors import InvalidField
from services.catalogue.domain.extraction.documents import DocumentSuggestion
from services.catalogue.domain.extraction.reader import FIELDS

CONFIRMABLE = tuple(f for f in FIELDS if f != "typeLabel")
"""The fields a person confirms; ``typeLabel`` follows ``typeName``."""


@dataclass(frozen=True)
class Correction:
    """One confirmed field beside its suggestion: equal when the extractor read it right."""

    ordinal: int
    field: str
    suggested: str | None
    confirmed: str | None
    confidence: float | None

    @property
    def correct(self) -> bool:
        return self.suggested == self.confirmed


def confirmed_document(
    suggestion: DocumentSuggestion | None,
    values: Mapping[str, str | None],
    first_page: int | None,
    last_page: int | None,
) -> tuple[DocumentDescription, list[str | None]]:
    """The văn bản from the confirmed values (a field not sent keeps its suggestion), and the
    value confirmed for each of :data:`CONFIRMABLE`."""
    unknown = set(values) - set(CONFIRMABLE)
    if unknown:
        raise InvalidField(f"không có trường {sorted(unknown)}", field="fields")
    suggested = suggestion.fields if suggestion else {}
    chosen: dict[str, str | None] = {
        f: values[f] if f in values else (suggested[f].value if f in suggested else None)
        for f in CONFIRMABLE
    }
    first = first_page or (suggestion.first_page if suggestion else None)
    last = last_page or (suggestion.last_page if suggestion else None)
    if first is None or last is None:
        raise InvalidField("cần khoảng trang (first_page, last_page)", field="first_page")
    try:
        type_name = DocumentType.parse(chosen["typeName"]) if chosen["typeName"] else None
    except ValueError as exc:
        raise InvalidField(str(exc), field="typeName") from exc
    try:
        issued = PartialDate.parse(chosen["issuedDate"]) if chosen["issuedDate"] else None
    except InvalidDate as exc:
        raise InvalidField(str(exc), field="issuedDate") from exc
    chosen["typeName"] = type_name.code if type_name else None  # "Kế hoạch" is "10"
    chosen["issuedDate"] = issued.tt05() if issued else None
    document = DocumentDescription(
        first_page=first,
        last_page=last,
        type_name=type_name,
        code_number=chosen["codeNumber"],
        code_notation=chosen["codeNotation"],
        issued_date=issued,
        organ_name=chosen["organName"],
        subject=chosen["subject"],
        extension={f: v for f in EXTENSION_FIELDS if (v := chosen.get(f))},
    )
    return document, [chosen[f] for f in CONFIRMABLE]


def corrections(
    ordinal: int, suggestion: DocumentSuggestion | None, confirmed: list[str | None]
) -> list[Correction]:
    """Each confirmed field against its suggestion (``None`` where none was made)."""
    suggested = suggestion.fields if suggestion else {}
    return [
        Correction(
            ordinal,
            name,
            suggested[name].value if name in suggested else None,
            value,
            suggested[name].confidence if name in suggested else None,
        )
        for name, value in zip(CONFIRMABLE, confirmed, strict=True)
        if name in suggested or value is not None
    ]


@dataclass(frozen=True)
class SuggestionRun:
    """The last suggestions made for a hồ sơ, and when."""

    documents: tuple[DocumentSuggestion, ...]
    at: datetime
