"""The archive's PAdES signature on each PDF/A (pyHanko): signed after validation as an
incremental update, visible text per domain notes §5.1, verified by the reference receiver;
a tampered or untrusted PDF fails verification naming the file."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import bagit
import pytest
from lxml import etree

from services.handover.adapters.aip import AipRequest, build_aip
from services.handover.adapters.bags import make_validated_bag, zip_tree
from services.handover.adapters.pades import AgencySigner
from services.handover.adapters.pdfa import (
    PdfMetadata,
    PdfPage,
    build_pdfa,
    extract_text,
    pdfa_problems,
)
from services.handover.domain import bag_info, objid_for, package_folder
from services.receiver.checks import SignaturePolicy, inspect_package
from shared.pades import SelfSignedKey, make_test_certificate, signature_problems, trust_roots
from tests.support.handover import FILE_CODE, accepted_file, lay_out_pages

pytestmark = pytest.mark.integration
AGENCY = "Trung tâm Lưu trữ lịch sử tỉnh Vĩnh Long"
PACKAGE_ID = uuid.UUID("3c9a1f0e-2b4d-4e6f-8a1b-9c0d2e3f4a5b")
PDF = f"representations/rep1/data/{FILE_CODE}.1.pdf"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedKey:
    return make_test_certificate(tmp_path_factory.mktemp("key"), AGENCY)


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory, certificate: SelfSignedKey) -> Path:
    """A bag whose package's PDF/A copies the archive signed."""
    event, blobs = accepted_file(pages=2)
    objid = objid_for(PACKAGE_ID)
    bag = tmp_path_factory.mktemp("signed") / "bag"
    root = bag / package_folder(objid)
    lay_out_pages(event, blobs, root / "representations/rep1/data")
    signer = AgencySigner(certificate.pkcs12, certificate.passphrase, AGENCY)
    build_aip(root, AipRequest(event, objid, AGENCY, datetime.now(UTC), signer=signer))
    make_validated_bag(bag, bag_info(event, PACKAGE_ID, AGENCY))
    return bag


def _zip(bag: Path, target: Path) -> Path:
    zip_tree(bag, target, str(PACKAGE_ID))
    return target


def _policy(certificate: SelfSignedKey) -> SignaturePolicy:
    return SignaturePolicy(tuple(trust_roots([certificate.certificate])), required=True)


def _package(bag: Path) -> Path:
    return bag / "data" / package_folder(objid_for(PACKAGE_ID))


def test_signed_pdfa_verifies_shows_the_agency_and_time_and_stays_pdfa(
    bag: Path, certificate: SelfSignedKey
) -> None:
    pdf = _package(bag) / PDF
    assert signature_problems(pdf, trust_roots([certificate.certificate]), required=True) == []
    assert pdfa_problems(pdf, expected_pages=1) == []
    visible = extract_text(pdf)
    assert AGENCY in visible
    assert "+07:00" in visible  # ISO 8601, Vietnam time
    premis = etree.parse(
        str(_package(bag) / "representations/rep1/metadata/preservation/PREMIS_rep1.xml")
    )
    kinds = premis.xpath("//p:eventType/text()", namespaces={"p": "http://www.loc.gov/premis/v3"})
    assert "digital signature generation" in kinds


def test_signing_appends_to_the_validated_pdfa_and_never_rewrites_it(
    bag: Path, certificate: SelfSignedKey, tmp_path: Path
) -> None:
    data = _package(bag) / "representations/rep1/data"
    pdf = tmp_path / "one.pdf"
    page = PdfPage(data / "originals/0001.png", data / "ocr/0001.hocr")
    build_pdfa([page], PdfMetadata(title="Quyết định", identifier="x"), pdf)
    validated = pdf.read_bytes()
    AgencySigner(certificate.pkcs12, certificate.passphrase, AGENCY).sign(pdf, datetime.now(UTC))
    assert pdf.read_bytes().startswith(validated)  # an incremental update after the last byte
    assert signature_problems(pdf, trust_roots([certificate.certificate]), required=True) == []


def test_a_tampered_signed_pdf_fails_verification(
    bag: Path, certificate: SelfSignedKey, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.pdf"
    data = bytearray((_package(bag) / PDF).read_bytes())
    data[400] ^= 0x01  # inside the signed byte range
    tampered.write_bytes(bytes(data))
    roots = trust_roots([certificate.certificate])
    (problem,) = signature_problems(tampered, roots, required=True)
    assert problem.startswith("tampered.pdf: ")
    other = make_test_certificate(tmp_path / "other", "Một cơ quan khác")
    (untrusted,) = signature_problems(
        _package(bag) / PDF, trust_roots([other.certificate]), required=True
    )
    assert "không tin cậy" in untrusted


def test_the_receiver_accepts_signed_copies_and_refuses_a_changed_one_naming_it(
    bag: Path, certificate: SelfSignedKey, tmp_path: Path
) -> None:
    good = _zip(bag, tmp_path / "good.zip")
    (tmp_path / "w1").mkdir()
    sha = hashlib.sha256(good.read_bytes()).hexdigest()
    assert inspect_package(good, sha, tmp_path / "w1", _policy(certificate)) == []

    # whoever changed the PDF also re-made the bag manifests: only the signature tells
    forged = tmp_path / "forged"
    shutil.copytree(bag, forged)
    pdf = _package(forged) / PDF
    data = bytearray(pdf.read_bytes())
    data[400] ^= 0x01
    pdf.write_bytes(bytes(data))
    bagit.Bag(str(forged)).save(processes=1, manifests=True)
    archive = _zip(forged, tmp_path / "forged.zip")
    (tmp_path / "w2").mkdir()
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    reasons = inspect_package(archive, sha, tmp_path / "w2", _policy(certificate))
    assert [r.path for r in reasons] == [PDF]
    assert "chữ ký" in reasons[0].reason
