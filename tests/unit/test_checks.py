"""Kiểm tra: each check of domain notes §5.2 finds what it should, and a complete hồ sơ passes."""

from __future__ import annotations

import dataclasses

import pytest

from services.catalogue.domain.checks import CheckPolicy, inspect
from services.catalogue.domain.codes import DocumentType
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.findings import Severity
from services.catalogue.domain.model import ArchivalFile
from tests.support.catalogue import described, document

pytestmark = pytest.mark.unit
POLICY = CheckPolicy()


def _checks(file: ArchivalFile) -> dict[str, set[int | None]]:
    found: dict[str, set[int | None]] = {}
    for finding in inspect(file, POLICY):
        found.setdefault(finding.check, set()).add(finding.page or finding.document)
    return found


def _set_quality(file: ArchivalFile, sequence: int, **changes: object) -> None:
    page = file.current_page(sequence)
    assert page is not None
    assert page.reading is not None
    assert page.reading.quality is not None
    new = page.reading.quality.model_copy(update=changes)
    page.reading = dataclasses.replace(page.reading, quality=new)


def test_a_complete_described_file_has_no_findings() -> None:
    assert inspect(described(), POLICY) == []


def test_missing_pages_and_counts_are_errors() -> None:
    file = described(pages=3)
    page = file.current_page(2)
    assert page is not None
    del file.pages[page.page_id]
    file.description = file.description.changed({"number_of_paper": 1})
    found = _checks(file)
    assert found["page-gap"] == {2}
    assert "page-count" in found
    assert "paper-count" in found  # 3 trang cannot sit on 1 tờ


def test_document_ranges_must_cover_every_page_once_and_add_up() -> None:
    file = described(pages=3)
    file.documents.clear()
    file.set_document(1, document(1, 2))
    file.set_document(2, document(2, 2, number_of_page=3))
    found = _checks(file)
    assert found["document-pages"] >= {2, 3}  # page 2 twice, page 3 in none, counts off
    assert "total-doc" in found  # totalDoc 1, two văn bản


def test_blank_duplicate_low_resolution_grey_and_skewed_pages_are_found() -> None:
    file = described(pages=3)
    _set_quality(file, 1, ink_coverage=0.001)
    _set_quality(file, 2, phash="00000000000000ff", effective_dpi=150.0)
    _set_quality(file, 3, phash="00000000000000fe", colour=False, residual_skew=0.9)
    findings = inspect(file, POLICY)
    by_check = {(f.check, f.page): f for f in findings}
    assert by_check[("blank-page", 1)].severity is Severity.WARNING
    assert by_check[("duplicate-page", 3)].severity is Severity.ERROR  # distance 1 from page 2
    assert by_check[("resolution", 2)].rescan
    assert by_check[("colour-depth", 3)].severity is Severity.ERROR
    assert by_check[("residual-skew", 3)].severity is Severity.WARNING


def test_maps_need_300_dpi() -> None:
    file = described(pages=3)
    file.documents.clear()
    file.set_document(1, document(1, 3, type_name=DocumentType.MAP, code_notation=None))
    _set_quality(file, 2, effective_dpi=250.0)
    assert _checks(file)["resolution"] == {2}


def test_low_confidence_asks_a_person_to_read() -> None:
    file = described()
    page = file.current_page(1)
    assert page is not None
    assert page.reading is not None
    page.reading = dataclasses.replace(page.reading, confidence=41.0)
    (finding,) = [f for f in inspect(file, POLICY) if f.check == "legibility"]
    assert finding.severity is Severity.WARNING
    assert finding.page == 1


def test_dates_outside_the_file_and_a_type_against_its_notation_are_errors() -> None:
    file = described()
    file.documents.clear()
    file.set_document(
        1, document(1, 3, issued_date=PartialDate(2003, 1, 2), code_notation="QĐ-UBND")
    )
    found = _checks(file)
    assert found["issued-date-range"] == {1}
    assert found["type-notation"] == {1}


@pytest.mark.parametrize(
    ("type_name", "notation", "agrees"),
    [
        (DocumentType.PLAN, "KH-UBND", True),
        (DocumentType.DECISION, "2010/QĐ-UBND", True),  # the year stays in the ký hiệu
        (DocumentType.OFFICIAL_LETTER, "UBND-VP", True),  # a công văn: issuer first
        (DocumentType.OFFICIAL_LETTER, "KH-UBND", False),
        (DocumentType.REPORT, "KH-UBND", False),
        (DocumentType.AUTHORISATION, "UQ-UBND", True),  # a pre-2020 abbreviation
        (DocumentType.MAP, "BĐ-01", True),  # no abbreviation to agree with
    ],
)
def test_type_agrees_with_the_first_segment_of_the_notation(
    type_name: DocumentType, notation: str, agrees: bool
) -> None:
    file = described()
    file.documents.clear()
    file.set_document(1, document(1, 3, type_name=type_name, code_notation=notation))
    assert ("type-notation" not in _checks(file)) is agrees


def test_an_unlisted_code_kept_from_old_metadata_is_reported() -> None:
    file = described()
    file.extension["maintenance"] = "Lâu dài"
    assert "code-list" in _checks(file)


def test_a_doc_id_longer_than_25_characters_is_an_error() -> None:
    file = described(file_code="000.00.00.H49.2001.01.TCCB.VP")
    assert _checks(file)["doc-id-length"] == {1}
