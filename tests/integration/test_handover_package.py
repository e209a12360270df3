"""The TT 05/2025 AIP_hoso package handover builds: E-ARK CSIP shape, every METS valid
against the XSDs it ships, E-ARK validator without error, a BagIt 1.0 bag around it."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import bagit
import pikepdf
import pytest
from lxml import etree
from ocrmypdf.pdfa import find_nonembedded_fonts

from services.handover.adapters.aip import AipRequest, build_aip
from services.handover.adapters.bags import make_validated_bag, zip_tree
from services.handover.adapters.pdfa import extract_text, pdfa_problems
from services.handover.domain import bag_info, objid_for, package_folder
from shared.csip_schemas import schema_from, validate_package, validate_xml
from shared.eark import eark_errors
from tests.support.handover import DPI, FILE_CODE, TEXTS, accepted_file, lay_out_pages

pytestmark = pytest.mark.integration
METS = "{http://www.loc.gov/METS/}"
PACKAGE_ID = uuid.UUID("0b6f3a52-3c55-4b3e-9d55-7d1f1c0e8a11")


@pytest.fixture
def aip(tmp_path: Path) -> Path:
    event, blobs = accepted_file(pages=2)
    objid = objid_for(PACKAGE_ID)
    root = tmp_path / "bag" / package_folder(objid)
    lay_out_pages(event, blobs, root / "representations/rep1/data")
    build_aip(root, AipRequest(event, objid, "Trung tâm Lưu trữ lịch sử tỉnh", datetime.now(UTC)))
    return root


def test_package_has_the_tt05_aip_hoso_layout(aip: Path) -> None:
    names = {p.relative_to(aip).as_posix() for p in aip.rglob("*") if p.is_file()}
    assert {
        "METS.xml",
        "metadata/descriptive/EAD.xml",
        "metadata/preservation/PREMIS.xml",
        "representations/rep1/METS.xml",
        "representations/rep1/metadata/preservation/PREMIS_rep1.xml",
        "representations/rep1/metadata/descriptive/EAD_doc_H49.64.33.2001.160.1.xml",
        "representations/rep1/metadata/descriptive/EAD_doc_H49.64.33.2001.160.2.xml",
        "representations/rep1/data/originals/0001.png",
        "schemas/mets.xsd",
        "schemas/xlink.xsd",
    } <= names
    ead = etree.parse(str(aip / "metadata/descriptive/EAD.xml")).getroot()
    assert ead.tag == "simpledc"
    assert ead.findtext("title") == "Hồ sơ về công tác số hóa tài liệu năm 2001"
    assert ead.findtext("riskRecovery") == "1"
    doc = etree.parse(
        str(aip / "representations/rep1/metadata/descriptive/EAD_doc_H49.64.33.2001.160.1.xml")
    ).getroot()
    assert doc.findtext("docCode") == "H49.64.33.2001.160.0000001"
    assert "Nguyễn Văn A" in (doc.findtext("description") or "")


def test_mets_records_sizes_checksums_and_vietnam_time(aip: Path) -> None:
    mets = etree.parse(str(aip / "representations/rep1/METS.xml")).getroot()
    files = mets.findall(f".//{METS}file")
    assert files
    for element in files:
        href = element.find(f"{METS}FLocat").get("{http://www.w3.org/1999/xlink}href")
        path = aip / "representations/rep1" / href
        assert int(element.get("SIZE")) == path.stat().st_size
        assert element.get("CHECKSUMTYPE") == "SHA-256"
        assert element.get("CHECKSUM").lower() == hashlib.sha256(path.read_bytes()).hexdigest()
        assert element.get("CREATED").endswith("+07:00")
    root = etree.parse(str(aip / "METS.xml")).getroot()
    assert root.get("OBJID") == objid_for(PACKAGE_ID)
    assert root.find(f"{METS}structMap").get("LABEL") == "CSIP"


def test_every_mets_validates_against_the_shipped_xsds(aip: Path) -> None:
    assert validate_package(aip) == []
    schema = schema_from(aip / "schemas")
    broken = aip / "METS.xml"
    broken.write_text(
        broken.read_text().replace('CHECKSUMTYPE="SHA-256"', 'CHECKSUMTYPE="SHA-999"', 1)
    )
    assert validate_xml(broken, schema) != []  # the check can fail


@pytest.mark.parametrize(
    ("path", "change", "named"),
    [
        ("metadata/descriptive/EAD.xml", ("<title>", "<tieuDe>"), "EAD.xml"),
        (
            f"representations/rep1/metadata/descriptive/EAD_doc_{FILE_CODE}.1.xml",
            ("<issuedDate>05/03/2001", "<issuedDate>2001-03-05"),
            f"EAD_doc_{FILE_CODE}.1.xml",
        ),
        ("metadata/preservation/PREMIS.xml", ('"premis:file"', '"premis:paper"'), "PREMIS.xml"),
        (
            "representations/rep1/metadata/preservation/PREMIS_rep1.xml",
            (
                "<premis:messageDigestOriginator>sohoa</premis:messageDigestOriginator>",
                "<premis:originator>sohoa</premis:originator>",
            ),
            "PREMIS_rep1.xml",
        ),
    ],
)
def test_every_description_and_premis_file_validates_and_a_broken_one_is_named(
    aip: Path, path: str, change: tuple[str, str], named: str
) -> None:
    """EAD.xml and EAD_doc_* against the TT 05 schemas the package ships, PREMIS against the
    Library of Congress's PREMIS 3.0 XSD: valid as built, and a file broken is named."""
    assert validate_package(aip) == []
    target = aip / path
    text = target.read_text(encoding="utf-8")
    assert change[0] in text
    target.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    errors = validate_package(aip)
    assert errors
    assert all(e.startswith(path) and named in e for e in errors), errors


def test_a_package_without_one_of_its_schemas_is_refused(aip: Path) -> None:
    (aip / "schemas" / "premis.xsd").unlink()
    assert validate_package(aip) == ["schemas/premis.xsd: missing"]


def test_package_passes_the_eark_validator_offline(aip: Path) -> None:
    assert eark_errors(aip) == []


def test_premis_records_events_with_agents(aip: Path) -> None:
    premis = etree.parse(str(aip / "metadata/preservation/PREMIS.xml")).getroot()
    ns = {"p": "http://www.loc.gov/premis/v3"}
    kinds = premis.xpath("//p:eventType/text()", namespaces=ns)
    assert {"kiểm tra", "nghiệm thu", "information package creation"} <= set(kinds)
    rep = etree.parse(str(aip / "representations/rep1/metadata/preservation/PREMIS_rep1.xml"))
    rep_kinds = set(rep.xpath("//p:eventType/text()", namespaces=ns))
    assert {"transfer", "message digest calculation", "validation", "OCR"} <= rep_kinds
    assert rep.xpath("//p:formatRegistryKey/text()", namespaces=ns)[0] == "fmt/13"


def test_bag_wraps_the_package_and_validates(aip: Path, tmp_path: Path) -> None:
    event, _ = accepted_file(pages=2)
    bag_dir = aip.parent
    oxum = make_validated_bag(bag_dir, bag_info(event, PACKAGE_ID, "Trung tâm"))
    archive = tmp_path / "p.zip"
    zip_tree(bag_dir, archive, str(PACKAGE_ID))
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "out")
    bag = bagit.Bag(str(tmp_path / "out" / str(PACKAGE_ID)))
    bag.validate()
    assert bag.info["External-Identifier"] == objid_for(PACKAGE_ID)
    assert bag.info["Payload-Oxum"] == oxum
    assert (Path(bag.path) / "data" / package_folder(objid_for(PACKAGE_ID)) / "METS.xml").exists()


def _pdf(aip: Path, doc_id: str) -> Path:
    return aip / "representations/rep1/data" / f"{doc_id}.pdf"


def test_each_van_ban_is_a_two_layer_pdfa_2b_with_its_text(aip: Path) -> None:
    for n, text in enumerate(TEXTS, start=1):
        path = _pdf(aip, f"{FILE_CODE}.{n}")
        assert pdfa_problems(path, expected_pages=1) == []
        assert extract_text(path).split() == text.split()  # the page text the catalogue holds
        with pikepdf.Pdf.open(path) as pdf:
            xmp = pdf.open_metadata()
            assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "B")
            assert xmp["dc:title"] == text
            assert [item.title for item in pdf.open_outline().root] == [text]
            (image,) = pdf.pages[0].get_images().values()
            assert image.ColorSpace == pikepdf.Name.DeviceRGB  # colour, not the OCR input
            assert find_nonembedded_fonts(pdf) == set()


def test_invisible_words_lie_over_the_words_of_the_scan(aip: Path) -> None:
    path = _pdf(aip, f"{FILE_CODE}.1")
    hocr = etree.parse(str(aip / "representations/rep1/data/ocr/0001.hocr"))
    expected = {}
    for span in hocr.iter("{http://www.w3.org/1999/xhtml}span"):
        if span.get("class") == "ocrx_word":
            box = [float(v) * 72 / DPI for v in span.get("title").split(";")[0].split()[1:]]
            expected[span.text] = box
    layout = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True
    ).stdout
    found = etree.fromstring(layout, etree.XMLParser(recover=True)).iter("{*}word")
    placed = {w.text: [float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")] for w in found}
    assert placed.keys() == expected.keys()
    for word, (left, top, right, bottom) in expected.items():
        x0, y0, x1, y1 = placed[word]
        assert abs(x0 - left) < 3, word  # points
        assert abs(x1 - right) < 6, word  # glyph widths vary a little
        assert y0 < bottom, word  # on the same line as the printed word
        assert y1 > top, word


def test_a_failed_pdfa_check_names_the_file(aip: Path, tmp_path: Path) -> None:
    broken = tmp_path / "x.pdf"
    with pikepdf.Pdf.open(_pdf(aip, f"{FILE_CODE}.1")) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            del xmp["pdfaid:part"]
        pdf.save(broken)
    assert pdfa_problems(broken, expected_pages=1) == ["x.pdf: XMP does not declare PDF/A-2b"]
    assert pdfa_problems(_pdf(aip, f"{FILE_CODE}.1"), expected_pages=2) != []


def test_one_pdfa_per_ho_so_when_set_so(tmp_path: Path) -> None:
    """SOHOA_HANDOVER_PDF_PER=file: one PDF/A named by mã hồ sơ, a bookmark per văn bản."""
    event, blobs = accepted_file(pages=2)
    objid = objid_for(PACKAGE_ID)
    root = tmp_path / "bag" / package_folder(objid)
    lay_out_pages(event, blobs, root / "representations/rep1/data")
    request = AipRequest(event, objid, "Trung tâm", datetime.now(UTC), pdf_per="file")
    build_aip(root, request)
    pdfs = sorted(p.name for p in (root / "representations/rep1/data").glob("*.pdf"))
    assert pdfs == [f"{FILE_CODE}.pdf"]
    path = root / "representations/rep1/data" / pdfs[0]
    assert pdfa_problems(path, expected_pages=2) == []
    with pikepdf.Pdf.open(path) as pdf:
        assert [item.title.split(" — ")[-1] for item in pdf.open_outline().root] == list(TEXTS)
