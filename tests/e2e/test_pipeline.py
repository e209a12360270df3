"""A 3-page hồ sơ through the gateway of five real service processes over the real broker:
stored, read, accepted, packaged as a BagIt bag that validates, found by a search typed
without diacritics."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import bagit
import httpx
import pytest

from services.ops.demo import run_journey
from services.ops.stack import LocalStack
from shared.text import fold, search_words

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.E2E"


def test_scan_travels_from_upload_to_a_valid_handover_package(
    stack: LocalStack, client: httpx.Client, scans: tuple[str, list[Path]], tmp_path: Path
) -> None:
    title, paths = scans
    package = run_journey(client, paths, title=title, say=lambda _line: None, file_code=FILE_CODE)

    location = Path(package["location"])
    assert location.is_relative_to(stack.objects_dir / "handover")
    assert hashlib.sha256(location.read_bytes()).hexdigest() == package["sha256"]
    with zipfile.ZipFile(location) as archive:
        archive.extractall(tmp_path)
    bag = bagit.Bag(str(tmp_path / package["package_id"]))
    bag.validate()  # raises BagValidationError on any missing file or wrong SHA-256
    assert bag.info["External-Identifier"] == FILE_CODE
    assert set(bag.algorithms) == {"sha256"}
    assert bag.version_info == (1, 0)

    uploaded = {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    originals = {
        digests["sha256"]
        for name, digests in bag.entries.items()
        if name.startswith("data/originals/")
    }
    assert originals == uploaded
    metadata = json.loads((tmp_path / package["package_id"] / "data" / "metadata.json").read_text())
    assert [p["sequence"] for p in metadata["pages"]] == [1, 2, 3]
    assert metadata["title"] == title

    file = client.get(f"/api/v1/files/{FILE_CODE}").json()
    assert file["state"] == "packaged"
    assert file["package_sha256"] == package["sha256"]


def test_text_is_found_by_a_query_typed_without_diacritics(
    client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    """Runs after the journey above; "Độc lập" typed as "doc lap" (đ folds to d)."""
    for query in ("doc lap", "luu tru", fold("CỘNG HÒA XÃ HỘI")):
        assert query.isascii()
        hits = client.get("/api/v1/search", params={"q": query}).json()["hits"]
        ours = [h for h in hits if h["file_code"] == FILE_CODE]
        assert ours, f"{query!r} found nothing in {FILE_CODE}"
        assert all(search_words(query)[0] in search_words(h["snippet"]) for h in ours)
    accented = client.get("/api/v1/search", params={"q": "Độc lập"}).json()["hits"]
    assert any(h["exact"] for h in accented if h["file_code"] == FILE_CODE)


def test_search_for_a_word_not_in_any_page_finds_nothing(client: httpx.Client) -> None:
    response = client.get("/api/v1/search", params={"q": "xyzzyqua"})
    assert response.status_code == 200
    assert response.json()["hits"] == []
