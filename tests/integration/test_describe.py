"""``sohoa describe`` on what ``sohoa ocr`` wrote for real scans: two văn bản of two pages each,
rendered at 200 dpi, degraded like a scanner's JPEG and read by the real OCR, come back split
where they start, with số, ký hiệu, date, type, place and signer as printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.catalogue.cli import run as describe
from services.ocr.cli import run as ocr
from services.ops.samples import SampleDocument, SamplePage, degrade, render_document, save_page

pytestmark = pytest.mark.integration
FIELDS = {
    "codeNumber",
    "codeNotation",
    "issuedDate",
    "issuedPlace",
    "typeName",
    "typeLabel",
    "organName",
    "parentOrganName",
    "subject",
    "signerName",
    "signerTitle",
    "signingAuthority",
}


def _scans(directory: Path) -> tuple[list[SampleDocument], list[Path]]:
    documents, paths = [], []
    for seed in (101, 104):
        document = render_document(seed, pages=2, dpi=200)
        documents.append(document)
        for page in document.pages:
            scan = degrade(page.image, seed=seed, noise=6.0, blur=0.6, jpeg_quality=75)
            paths.append(
                save_page(
                    SamplePage(page.sequence, page.text, scan),
                    directory / f"s{seed}-{page.sequence}.png",
                )
            )
    return documents, paths


def test_describe_reads_real_ocr_output_into_documents_and_fields(tmp_path: Path) -> None:
    documents, scans = _scans(tmp_path)
    assert ocr(scans, tmp_path / "ocr", jobs=2, languages="vie") == 0
    pages = [tmp_path / "ocr" / f"{scan.stem}.json" for scan in scans]
    assert describe(pages, tmp_path / "described") == 0
    results = [json.loads((tmp_path / "described" / p.name).read_text()) for p in pages]

    assert [r["document"] for r in results] == [1, 1, 2, 2]
    for result, scan in zip(results, scans, strict=True):
        assert set(result) >= {"image", "document", "fields", "confidence"}
        assert result["image"] == scan.name
        assert set(result["fields"]) == FIELDS
        assert set(result["confidence"]) == FIELDS
    for (first, last), document in zip(
        zip(results[::2], results[1::2], strict=True), documents, strict=True
    ):
        facts, fields = document.facts, first["fields"]
        assert (
            f"{fields['codeNumber']}/{fields['codeNotation']}"
            == f"{facts.code_number}/{facts.code_notation}"
        )
        assert (fields["issuedDate"], fields["issuedPlace"]) == (
            facts.issued_date,
            facts.issued_place,
        )
        assert fields["typeLabel"] == facts.type_label
        assert first["confidence"]["codeNumber"] > 0.8
        assert first["boxes"]["codeNumber"]  # where on the page it was read
        assert last["fields"]["codeNumber"] is None  # a continuation page prints no number
        signer = last["fields"]["signerName"] or first["fields"]["signerName"]
        assert signer == facts.signer_name


def test_describe_refuses_a_file_that_is_not_an_ocr_result(tmp_path: Path) -> None:
    junk = tmp_path / "page.json"
    junk.write_text('{"not": "an OCR result"}')
    assert describe([junk], tmp_path / "out") == 2
    assert not (tmp_path / "out").exists()
