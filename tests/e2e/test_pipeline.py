"""A 3-page hồ sơ through the whole programme, through the gateway of five real service
processes over the real broker: mục lục import, selection, approval, chỉnh lý, scans, OCR,
biên mục, kiểm tra, nghiệm thu, a BagIt package that validates; each step recorded with who
did it; found by a search typed without diacritics."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import bagit
import httpx
import openpyxl
import pytest
from lxml import etree

from services.handover.adapters.pdfa import pdfa_problems
from services.ops.demo import (
    ARCHIVIST,
    REVIEWER,
    download_package,
    run_journey,
    wait_for_receipt,
)
from services.ops.samples import SampleDocument
from services.ops.stack import LocalStack
from shared.csip_schemas import validate_package
from shared.eark import eark_errors
from shared.text import fold, search_words

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.E2E"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_file_travels_the_whole_programme_to_a_valid_handover_package(
    stack: LocalStack,
    client: httpx.Client,
    sample: tuple[SampleDocument, list[Path]],
    tmp_path: Path,
) -> None:
    document, paths = sample
    package = run_journey(client, paths, document, say=lambda _line: None, file_code=FILE_CODE)

    assert not {"location", "object_key"} & package.keys()  # no storage names out
    location = download_package(client, package, tmp_path)
    stored = stack.objects_dir / "handover" / FILE_CODE / f"{package['package_id']}.zip"
    assert location.read_bytes() == stored.read_bytes()
    assert hashlib.sha256(location.read_bytes()).hexdigest() == package["sha256"]
    with zipfile.ZipFile(location) as archive:
        archive.extractall(tmp_path)
    bag = bagit.Bag(str(tmp_path / package["package_id"]))
    bag.validate()  # raises BagValidationError on any missing file or wrong SHA-256
    objid = f"urn:uuid:{package['package_id']}"
    assert bag.info["External-Identifier"] == objid
    assert set(bag.algorithms) == {"sha256"}
    assert bag.version_info == (1, 0)
    uploaded = {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    originals = {
        digests["sha256"]
        for name, digests in bag.entries.items()
        if "/representations/rep1/data/originals/" in name
    }
    assert originals == uploaded
    aip = tmp_path / package["package_id"] / "data" / objid.replace(":", "_")
    assert eark_errors(aip) == []
    assert validate_package(aip) == []
    ead = etree.parse(str(aip / "metadata" / "descriptive" / "EAD.xml")).getroot()
    assert ead.findtext("title") == document.title
    assert ead.findtext("maintenance") == "01"
    assert (
        aip / "representations/rep1/metadata/descriptive" / f"EAD_doc_{FILE_CODE}.1.xml"
    ).exists()
    pdfa = aip / "representations/rep1/data" / f"{FILE_CODE}.1.pdf"
    assert pdfa_problems(pdfa, expected_pages=3) == []  # PDF/A-2b, fonts embedded, text layer

    file = wait_for_receipt(client, FILE_CODE)  # the reference receiver's answer
    assert file["state"] == "handed_over", file["history"][-1]
    receipt = max(file["history"], key=lambda t: t["at"])
    assert receipt["reason"].startswith("biên nhận BN-")
    assert receipt["client"] == "national-archive"
    assert file["package_sha256"] == package["sha256"]
    assert file["startDate"] == f"01/01/{document.facts.issued_date[-4:]}"
    assert (file["numberOfPaper"], file["numberOfPage"], file["fondsCode"]) == (3, 3, "64")
    (doc,) = file["documents"]
    assert (doc["docId"], doc["codeNotation"], doc["issuedDate"]) == (
        f"{FILE_CODE}.1",
        document.facts.code_notation,
        document.facts.issued_date,
    )
    assert all(
        p["derivatives"] == ["text", "hocr", "alto", "pdf", "image"] and p["document"] == 1
        for p in file["pages"]
    )
    assert "package_key" not in file  # no storage names out
    steps = [(h["to_state"], h["person"]) for h in file["history"]]
    assert [state for state, _ in steps] == [
        "inventoried",
        "selected",
        "approved",
        "digitizing",
        "digitized",
        "described",
        "verified",
        "accepted",
        "packaged",
        "handed_over",
    ]
    people = dict(steps)
    assert (people["inventoried"], people["described"], people["verified"]) == (
        ARCHIVIST,
        ARCHIVIST,
        REVIEWER,
    )
    assert all(h["client"] for h in file["history"])

    suggestions = client.get(f"/api/v1/files/{FILE_CODE}/suggestions").json()
    (suggested,) = suggestions["documents"]  # the sample is one văn bản over its three pages
    assert (suggested["first_page"], suggested["last_page"]) == (1, 3)
    number = suggested["fields"]["codeNumber"]
    assert number["value"] == document.facts.code_number
    assert number["page"] == 1
    assert number["boxes"]
    accuracy = client.get("/api/v1/suggestions/accuracy").json()["fields"]
    assert accuracy["codeNumber"]["confirmed"] >= 1


def test_the_annual_report_counts_the_file_and_opens_as_a_workbook(client: httpx.Client) -> None:
    """Runs after the journey above."""
    year = date.today().year
    report = client.get("/api/v1/reports/annual", params={"year": year}).json()
    reached = report["totals"]["reached_by_end_of_year"]
    assert reached["accepted"] >= 1
    assert reached["packaged"] >= 1
    assert report["due_before"] == f"{year}-12-01"
    workbook = _workbook(
        client.get("/api/v1/reports/annual", params={"year": year, "format": "xlsx"})
    )
    assert workbook.sheetnames[0] == f"Tổng hợp {year}"
    assert workbook.worksheets[0]._charts  # type: ignore[attr-defined]  # openpyxl's private list


def _workbook(response: httpx.Response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_progress_selection_and_the_file_list_export_as_workbooks(client: httpx.Client) -> None:
    """Runs after the journey above."""
    progress = client.get("/api/v1/reports/progress").json()
    assert progress["files_by_state"]["handed_over"] >= 1
    assert progress["digitization"]["done"] >= 1
    assert "Tiến độ" in _workbook(client.get("/api/v1/reports/progress?format=xlsx")).sheetnames
    selection = client.get("/api/v1/reports/selection").json()
    assert selection["totals"]["approved"] >= 1
    _workbook(client.get("/api/v1/reports/selection?format=xlsx"))
    listed = client.get("/api/v1/files", params={"fonds": "64", "state": "handed_over"}).json()
    assert FILE_CODE in [row["file_code"] for row in listed["items"]]
    export = _workbook(client.get("/api/v1/files", params={"fonds": "64", "format": "xlsx"}))
    codes = [row[0] for row in export.worksheets[0].iter_rows(min_row=3, values_only=True)]
    assert FILE_CODE in codes


def _our_hits(client: httpx.Client, query: str) -> list[dict[str, Any]]:
    """This hồ sơ's hits, read page after page: other tests' hồ sơ on the shared stack print
    the same words, and the first page of hits may be all theirs."""
    ours: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"q": query, "limit": 200}
    for _ in range(20):
        page = client.get("/api/v1/search", params=params).json()
        ours += [h for h in page["hits"] if h["file_code"] == FILE_CODE]
        if not page.get("next_cursor"):
            break
        params["cursor"] = page["next_cursor"]
    return ours


def test_text_is_found_by_a_query_typed_without_diacritics(client: httpx.Client) -> None:
    """Runs after the journey above; "Độc lập" typed as "doc lap" (đ folds to d)."""
    for query in ("doc lap", "luu tru", fold("CỘNG HÒA XÃ HỘI")):
        assert query.isascii()
        ours = _our_hits(client, query)
        assert ours, f"{query!r} found nothing in {FILE_CODE}"
        assert all(search_words(query)[0] in search_words(h["snippet"]) for h in ours)
    assert any(h["exact"] for h in _our_hits(client, "Độc lập"))


def test_search_for_a_word_not_in_any_page_finds_nothing(client: httpx.Client) -> None:
    response = client.get("/api/v1/search", params={"q": "xyzzyqua"})
    assert response.status_code == 200
    assert response.json()["hits"] == []
