"""The TT 05 description schemas the packages ship and the catalogue's element table say the
same thing: both were written from the annex, and a length or requirement changed in one must
be changed in the other."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from services.catalogue.domain.description import (
    DOCUMENT_ELEMENTS,
    FILE_ELEMENTS,
    Element,
    Requirement,
)
from services.handover.adapters.csip import write_ead_doc
from shared.events import DescribedDocument

pytestmark = pytest.mark.unit
XS = "{http://www.w3.org/2001/XMLSchema}"
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
AIP_NAMES = {"fileCode": "arcFileCode"}  # an AIP names the mã hồ sơ so
AIP_DROPS = {"docId", "maintenance", "riskRecovery", "riskRecoveryStatus"}  # of a văn bản


def _declared(xsd: str) -> dict[str, tuple[int | None, bool]]:
    """Each element of ``simpledc``: its maximum length (None if not text) and whether it is
    required."""
    root = etree.parse(str(SCHEMAS / xsd)).getroot()
    found = {}
    for element in root.iter(f"{XS}all"):
        for child in element.iter(f"{XS}element"):
            length = child.find(f".//{XS}maxLength")
            found[child.get("name")] = (
                int(length.get("value")) if length is not None else None,
                child.get("minOccurs", "1") != "0",
            )
    return found


@pytest.mark.parametrize(
    ("xsd", "elements", "dropped"),
    [("EAD.xsd", FILE_ELEMENTS, set()), ("EAD_doc.xsd", DOCUMENT_ELEMENTS, AIP_DROPS)],
)
def test_the_shipped_schema_and_the_catalogue_agree_on_every_element(
    xsd: str, elements: tuple[Element, ...], dropped: set[str]
) -> None:
    declared = _declared(xsd)
    for element in elements:
        name = AIP_NAMES.get(element.name, element.name)
        if element.name in dropped:
            assert name not in declared, name
            continue
        assert name in declared, name
        length, required = declared[name]
        assert length == element.max_length, name
        assert required == (element.requirement is Requirement.ALWAYS), name


def test_a_van_ban_s_ghi_chu_takes_the_signer_only_while_it_fits(tmp_path: Path) -> None:
    """The signer goes to ``description`` (TT 05 has no element for it), never past its 500
    characters: the package would fail its own schema."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "EAD_doc.xsd")))
    document = DescribedDocument(
        ordinal=1,
        doc_id="H49.64.33.2001.160.1",
        doc_code="H49.64.33.2001.160.0000001",
        first_page=1,
        last_page=1,
        type_name="02",
        issued_date="05/03/2001",
        organ_name="Ủy ban nhân dân tỉnh Hà Tĩnh",
        subject="Quyết định về việc số hóa tài liệu",
        language="01",
        number_of_page=1,
        mode="01",
        description="Bản chính. " * 43,  # 473 characters
        extension={"signerName": "Nguyễn Văn A", "issuedPlace": "Hà Tĩnh"},
    )
    path = tmp_path / "EAD_doc.xml"
    write_ead_doc(document, "H49.64.33.2001.160", path)
    assert schema.validate(etree.parse(str(path))), schema.error_log
    shown = etree.parse(str(path)).findtext("description")
    assert shown.endswith("issuedPlace: Hà Tĩnh")  # it fits; the signer's name would not
    write_ead_doc(document.model_copy(update={"description": "Bản chính"}), "H", path)
    shown = etree.parse(str(path)).findtext("description")
    assert shown == "Bản chính; issuedPlace: Hà Tĩnh; signerName: Nguyễn Văn A"
