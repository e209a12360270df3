"""The demo journey: a sample hồ sơ of several pages from scan to handover package, through
the gateway of a freshly started local stack, printing progress as it goes."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bagit
import httpx

from services.ops.samples import write_sample_file
from services.ops.stack import LocalStack
from shared.text import fold

FILE_CODE = "H49.64.33.2024.01.VP"
QUERY = fold("lưu trữ")  # typed without diacritics: "luu tru"


class DemoError(RuntimeError):
    pass


def _check(response: httpx.Response, *expected: int) -> dict[str, Any]:
    if response.status_code not in expected:
        raise DemoError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def wait_until(
    probe: Callable[[], dict[str, Any] | None], *, timeout: float, what: str
) -> dict[str, Any]:
    """Ask ``probe`` until it returns a result; raise with ``what`` when time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result is not None:
            return result
        time.sleep(0.2)  # poll interval between questions to the API
    raise DemoError(f"timed out waiting for {what}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def run_journey(
    client: httpx.Client,
    scans: list[Path],
    *,
    title: str,
    say: Callable[[str], None],
    file_code: str = FILE_CODE,
) -> dict[str, Any]:
    """Register, upload, wait for OCR, accept, wait for the package. Returns the package."""
    registered = client.post(
        "/api/v1/files",
        json={
            "file_code": file_code,
            "title": title,
            "number_of_page": len(scans),
            "metadata": {"maintenance": "01", "language": "01", "mode": "01"},
        },
    )
    _check(registered, 200, 201)
    say(f"hồ sơ {file_code} registered: {title} ({len(scans)} trang)")
    for sequence, scan in enumerate(scans, start=1):
        with open(scan, "rb") as body:
            page = _check(
                client.post(
                    f"/api/v1/files/{file_code}/pages",
                    params={"sequence": sequence},
                    content=body,
                    headers={"content-type": "image/png"},
                ),
                200,
                201,
            )
        say(f"  page {sequence}/{len(scans)} stored  sha256={page['sha256'][:16]}…")

    seen = -1

    def digitized() -> dict[str, Any] | None:
        nonlocal seen
        file = _check(client.get(f"/api/v1/files/{file_code}"), 200)
        if file["pages_read"] != seen:
            seen = file["pages_read"]
            say(f"  OCR {seen}/{file['number_of_page']} pages read  (state: {file['state']})")
        return file if file["state"] == "digitized" else None

    wait_until(digitized, timeout=600, what="OCR of every page")
    accepted = _check(client.post(f"/api/v1/files/{file_code}/accept"), 200)
    say(f"nghiệm thu: accepted by {accepted['accepted_by']}")

    def packaged() -> dict[str, Any] | None:
        file = _check(client.get(f"/api/v1/files/{file_code}"), 200)
        return file if file["state"] == "packaged" else None

    wait_until(packaged, timeout=300, what="the handover package")
    return _check(client.get(f"/api/v1/files/{file_code}/package"), 200)


def run_demo(
    var_dir: Path, *, keep: bool = False, pages: int = 3, say: Callable[[str], None] = print
) -> int:
    if var_dir.exists():
        shutil.rmtree(var_dir)
    say(f"starting the local stack in {var_dir} …")
    stack = LocalStack(var_dir)
    stack.start(on_ready=lambda name, url: say(f"  {name:<9} ready at {url}"))
    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-demo-") as scratch:
            document, scans = write_sample_file(Path(scratch), seed=2024, pages=pages)
            say(f"rendered {len(scans)} sample scans at 300 dpi: {document.title}")
            with httpx.Client(
                base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=120
            ) as client:
                package = run_journey(client, scans, title=document.title, say=say)
                hits = _check(client.get("/api/v1/search", params={"q": QUERY}), 200)["hits"]
        if not hits:
            raise DemoError(f"search for {QUERY!r} found nothing")
        hit = hits[0]
        say(
            f"search {QUERY!r} (không dấu) → {len(hits)} hit(s); first: hồ sơ {hit['file_code']}, "
            f"trang {hit['sequence']}: “{hit['snippet']}”"
        )
        location = Path(package["location"])
        actual = sha256_of(location)
        if actual != package["sha256"]:
            raise DemoError(f"package checksum mismatch: {actual} ≠ {package['sha256']}")
        with tempfile.TemporaryDirectory(prefix="sohoa-bag-") as unpacked:
            with zipfile.ZipFile(location) as archive:
                archive.extractall(unpacked)
            bag = bagit.Bag(str(Path(unpacked) / package["package_id"]))
            bag.validate()
        say(f"handover package: {location}")
        say(
            f"  sha256 {package['sha256']}  ({package['size']} bytes, Payload-Oxum "
            f"{package['payload_oxum']}, BagIt valid)"
        )
        if keep:
            say(
                f"stack still running; gateway {stack.gateway_url}, "
                f"API key {stack.api_key}. Ctrl-C stops."
            )
            _wait_for_interrupt()
    finally:
        stack.stop()
        say("stack stopped")
    return 0


def _wait_for_interrupt() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
