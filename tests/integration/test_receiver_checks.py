"""The reference receiver's checks: a good package is accepted; a tampered one is refused
naming the file that changed."""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.handover.adapters.aip import AipRequest, build_aip
from services.handover.adapters.bags import make_validated_bag, zip_tree
from services.handover.domain import bag_info, objid_for, package_folder
from services.receiver.checks import inspect_package
from tests.support.handover import accepted_file, lay_out_pages

pytestmark = pytest.mark.integration
PACKAGE_ID = uuid.UUID("7d4c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09")
ORIGINAL = "representations/rep1/data/originals/0002.png"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    event, blobs = accepted_file(pages=2)
    objid = objid_for(PACKAGE_ID)
    bag = tmp_path / "bag"
    root = bag / package_folder(objid)
    lay_out_pages(event, blobs, root / "representations/rep1/data")
    build_aip(root, AipRequest(event, objid, "Trung tâm Lưu trữ", datetime.now(UTC)))
    make_validated_bag(bag, bag_info(event, PACKAGE_ID, "Trung tâm Lưu trữ"))
    archive = tmp_path / "package.zip"
    zip_tree(bag, archive, str(PACKAGE_ID))
    return archive


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rewrite(archive: Path, target: Path, flip: str) -> None:
    """Copy the zip, flipping one byte of the member whose name ends with ``flip``."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w") as sink:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(flip):
                data = data[:100] + bytes([data[100] ^ 0x01]) + data[101:]
            sink.writestr(info, data)


def test_a_good_package_is_accepted(package: Path, tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    assert inspect_package(package, _sha(package), tmp_path / "w") == []


def test_a_package_that_is_not_what_was_announced_is_refused(package: Path, tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (reason,) = inspect_package(package, "0" * 64, tmp_path / "w")
    assert reason.path == ""
    assert "SHA-256" in reason.reason


def test_a_tampered_original_is_refused_naming_exactly_that_file(
    package: Path, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.zip"
    _rewrite(package, tampered, ORIGINAL)
    (tmp_path / "w").mkdir()
    reasons = inspect_package(tampered, _sha(tampered), tmp_path / "w")
    assert [r.path for r in reasons] == [ORIGINAL]
    assert "sha256" in reasons[0].reason.lower()
