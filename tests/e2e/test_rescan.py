"""Quét lại: a page kiểm tra sends back is uploaded again at its number as version 2. Version 1
stays stored write-once and listed; ingest, OCR and the catalogue follow version 2."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from PIL import Image

from services.ops.demo import (
    APPROVER,
    ARCHIVIST,
    REVIEWER,
    as_person,
    download_package,
    run_journey,
    verify,
    wait_for_receipt,
    wait_until,
)
from services.ops.samples import SampleDocument
from services.ops.stack import LocalStack
from tests.e2e.journey import register_and_upload
from tests.support.originals import original_of

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.RESCAN"


def _rescanned(path: Path) -> bytes:
    """The same page scanned again: a few pixels differ, same size and resolution."""
    with Image.open(path) as image:
        page = image.convert("RGB")
        dpi = image.info["dpi"]
    page.paste((200, 0, 0), (5, 5, 25, 25))
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=dpi)
    return buffer.getvalue()


def _wait_for_the_gate_to_reopen(client: httpx.Client, file_code: str, sequence: int) -> None:
    """Ingest hears of a re-scan request from the catalogue's event, a moment after it."""

    def reopened() -> dict[str, Any] | None:
        gate: dict[str, Any] = client.get(f"/api/v1/files/{file_code}/scanning").json()
        return gate if sequence in gate["rescan_sequences"] else None

    wait_until(reopened, timeout=60, what="ingest to hear of the re-scan request")


def test_a_rescan_is_version_2_and_version_1_stays(
    stack: LocalStack, client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    _title, paths = scans
    register_and_upload(client, FILE_CODE, paths[:2], title="Quét lại")

    def file_in(state: str) -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/files/{FILE_CODE}").json()
        return body if body["state"] == state else None

    wait_until(lambda: file_in("digitized"), timeout=240, what="both pages read")
    [_first, old] = client.get(f"/api/v1/files/{FILE_CODE}/pages").json()
    refused = client.post(
        f"/api/v1/files/{FILE_CODE}/pages", params={"sequence": 2}, content=_rescanned(paths[1])
    )
    assert refused.status_code == 409, refused.text  # not sent back yet: never an overwrite
    assert refused.json()["code"] == "ingest.file-not-open"  # digitized: the gate is shut

    sent_back = client.post(
        f"/api/v1/files/{FILE_CODE}/rescan-requests",
        json={"pages": [{"sequence": 2, "reason": "trang bị mờ"}]},
        headers=as_person(REVIEWER),
    )
    assert sent_back.status_code == 200, sent_back.text
    _wait_for_the_gate_to_reopen(client, FILE_CODE, 2)
    body = _rescanned(paths[1])
    uploaded = client.post(f"/api/v1/files/{FILE_CODE}/pages", params={"sequence": 2}, content=body)
    assert uploaded.status_code == 201, uploaded.text
    new = uploaded.json()
    assert (new["sequence"], new["version"], new["replaces"]) == (2, 2, old["page_id"])

    current = client.get(f"/api/v1/files/{FILE_CODE}/pages").json()
    assert [(p["sequence"], p["version"]) for p in current] == [(1, 1), (2, 2)]
    every = client.get(f"/api/v1/files/{FILE_CODE}/pages", params={"versions": True}).json()
    assert [(p["sequence"], p["version"], p["current"]) for p in every] == [
        (1, 1, True),
        (2, 1, False),
        (2, 2, True),
    ]
    originals = stack.objects_dir / "originals"
    kept = (originals / original_of(old)).read_bytes()
    assert (
        hashlib.sha256(kept).hexdigest()
        == old["sha256"]
        == hashlib.sha256(paths[1].read_bytes()).hexdigest()
    )
    assert (originals / original_of(new)).read_bytes() == body

    def catalogue_follows() -> dict[str, Any] | None:
        file: dict[str, Any] = client.get(f"/api/v1/files/{FILE_CODE}").json()
        pages = {p["page_id"]: p for p in file["pages"]}
        newest = pages.get(new["page_id"])
        return file if newest and newest["has_text"] and file["state"] == "digitized" else None

    file = wait_until(catalogue_follows, timeout=240, what="OCR and the catalogue to follow v2")
    pages = {p["page_id"]: p for p in file["pages"]}
    assert pages[new["page_id"]]["current"]
    assert pages[new["page_id"]]["version"] == 2
    assert not pages[old["page_id"]]["current"]


def test_a_page_re_scanned_after_handover_reaches_the_archive_as_a_replacement(
    stack: LocalStack,
    client: httpx.Client,
    sample: tuple[SampleDocument, list[Path]],
    tmp_path: Path,
) -> None:
    document, paths = sample
    code = "H49.64.33.2024.LAI"
    first = run_journey(client, paths, document, say=lambda _l: None, file_code=code)
    assert wait_for_receipt(client, code)["state"] == "handed_over"

    sent_back = client.post(
        f"/api/v1/files/{code}/rescan-requests",
        json={"pages": [{"sequence": 2, "reason": "vết bẩn che chữ, phát hiện sau bàn giao"}]},
        headers=as_person(REVIEWER),
    )
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["state"] == "rescan_requested"
    _wait_for_the_gate_to_reopen(client, code, 2)
    uploaded = client.post(
        f"/api/v1/files/{code}/pages", params={"sequence": 2}, content=_rescanned(paths[1])
    )
    assert uploaded.status_code == 201, uploaded.text

    def in_state(state: str) -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/files/{code}").json()
        return body if body["state"] == state else None

    wait_until(lambda: in_state("digitized"), timeout=240, what="the new page read")
    described = client.post(f"/api/v1/files/{code}/description", headers=as_person(ARCHIVIST))
    assert described.status_code == 200, described.text
    verify(client, code)
    accepted = client.post(
        f"/api/v1/files/{code}/accept",
        json={"minutes_number": "09/BB-NT", "role": "Giám đốc Sở Nội vụ"},
        headers=as_person(APPROVER),
    )
    assert accepted.status_code == 200, accepted.text

    def replaced() -> dict[str, Any] | None:
        file = in_state("handed_over")
        package = client.get(f"/api/v1/files/{code}/package").json()
        return package if file and package["package_id"] != first["package_id"] else None

    second = wait_until(replaced, timeout=300, what="the replacement handed over")
    zipped = download_package(client, second, tmp_path)
    with zipfile.ZipFile(zipped) as bag:
        (mets,) = [n for n in bag.namelist() if n.count("/") == 3 and n.endswith("/METS.xml")]
        header = etree.fromstring(bag.read(mets)).find("{http://www.loc.gov/METS/}metsHdr")
    assert header is not None
    assert header.get("RECORDSTATUS") == "REPLACEMENT"
    receipt = client.get(f"/api/v1/files/{code}/receipt").json()
    assert (receipt["package_id"], receipt["accepted"]) == (second["package_id"], True)
