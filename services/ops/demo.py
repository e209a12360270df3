"""The demo journey: a sample hồ sơ through the whole programme — mục lục import, selection,
approval, chỉnh lý, scans, OCR, biên mục, kiểm tra, nghiệm thu, handover package — through the
gateway of a freshly started local stack, printing each step."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import bagit
import httpx

from services.ops.samples import SampleDocument, write_sample_file
from services.ops.stack import LocalStack
from shared.objectstore import sha256_of
from shared.text import fold

AGENCY = "H49.64.33"  # mã định danh cơ quan of the sample's hồ sơ
FONDS = "64"
QUERY = fold("lưu trữ")  # typed without diacritics: "luu tru"
ARCHIVIST = "Nguyễn Thị Hương"
REVIEWER = "Trần Văn Kiểm"
APPROVER = "Lê Văn Hân"
DEMO_WAIVABLE = {"colour-depth": "ảnh mẫu của bản demo in thang xám; bản quét thật phải là ảnh màu"}
"""The only finding the demo waives: its rendered sample scans are greyscale."""


class DemoError(RuntimeError):
    pass


def _check(response: httpx.Response, *expected: int) -> dict[str, Any]:
    if response.status_code not in expected:
        raise DemoError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:800]}"
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


def as_person(name: str) -> dict[str, str]:
    """The header naming who acts (UTF-8, percent-encoded: HTTP headers are ASCII)."""
    return {"X-Acting-Person": quote(name)}


def open_for_scanning(
    client: httpx.Client,
    file_code: str,
    *,
    pages: int,
    say: Callable[[str], None] = lambda _line: None,
) -> None:
    """Select, approve and arrange a registered hồ sơ, then wait until ingest takes its scans."""
    _check(
        client.post(
            f"/api/v1/files/{file_code}/selection",
            json={"criteria": [{"code": 1, "evidence": "Thời hạn bảo quản vĩnh viễn"}]},
            headers=as_person(ARCHIVIST),
        ),
        200,
    )
    decision = _check(
        client.post(
            "/api/v1/selection-decisions",
            json={
                "number": f"{zlib.crc32(file_code.encode()) % 900 + 100}/QĐ-SNV",
                "date": date.today().isoformat(),
                "signer": APPROVER,
                "file_codes": [file_code],
            },
            headers=as_person(APPROVER),
        ),
        200,
        201,
    )
    signed = date.fromisoformat(decision["date"]).strftime("%d/%m/%Y")
    say(f"phê duyệt: Quyết định số {decision['number']} ngày {signed}, {APPROVER} ký")
    _check(
        client.post(
            f"/api/v1/files/{file_code}/arrangement",
            json={"confirmed_by": ARCHIVIST, "numberOfPaper": pages, "numberOfPage": pages},
            headers=as_person(ARCHIVIST),
        ),
        200,
    )
    say("chỉnh lý hoàn chỉnh: xác nhận, hồ sơ mở để số hóa")

    def scanning() -> dict[str, Any] | None:
        response = client.get(f"/api/v1/files/{file_code}/scanning")
        gate = response.json() if response.status_code == 200 else {}
        return gate if gate.get("open_for_scanning") else None

    wait_until(scanning, timeout=60, what=f"ingest to open {file_code} for scanning")


def inventory_csv(file_code: str, document: SampleDocument, pages: int) -> bytes:
    """A one-row mục lục hồ sơ as archives export it from Excel (UTF-8 with BOM, ``;``)."""
    year = document.facts.issued_date[-4:]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["MỤC LỤC HỒ SƠ PHÔNG UBND TỈNH — Mã phông: " + FONDS])
    writer.writerow([])
    writer.writerow(
        [
            "STT",
            "Mã hồ sơ",
            "Tiêu đề hồ sơ",
            "Thời gian bắt đầu",
            "Thời gian kết thúc",
            "Thời hạn bảo quản",
            "Chế độ sử dụng",
            "Ngôn ngữ",
            "Tổng số tài liệu",
            "Số tờ",
            "Số trang",
            "Ghi chú",
        ]
    )
    writer.writerow(
        [
            1,
            file_code,
            document.title,
            f"01/01/{year}",
            f"31/12/{year}",
            "Vĩnh viễn",
            "Công khai",
            "Tiếng Việt",
            1,
            pages,
            pages,
            f"Lập hồ sơ: {ARCHIVIST}",
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def run_journey(
    client: httpx.Client,
    scans: list[Path],
    document: SampleDocument,
    *,
    say: Callable[[str], None],
    file_code: str,
) -> dict[str, Any]:
    """The whole programme for one hồ sơ, through the gateway. Returns its package."""
    pages = len(scans)
    sheet = inventory_csv(file_code, document, pages)
    for dry_run in (True, False):
        report = _check(
            client.post(
                "/api/v1/inventory-imports",
                params={"dry_run": str(dry_run).lower(), "fonds": FONDS},
                content=sheet,
                headers={"content-type": "text/csv", **as_person(ARCHIVIST)},
            ),
            200,
        )
        if report["refused"]:
            raise DemoError(f"mục lục refused: {report['refused']}")
    say(
        f"mục lục: {report['rows']} dòng, {report['accepted']} nhận (thử trước, rồi nhập thật); "
        f"hồ sơ {file_code}: {document.title} ({pages} trang)"
    )
    open_for_scanning(client, file_code, pages=pages, say=say)
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
        say(f"  page {sequence}/{pages} stored  sha256={page['sha256'][:16]}…")

    seen = -1

    def digitized() -> dict[str, Any] | None:
        nonlocal seen
        file = _check(client.get(f"/api/v1/files/{file_code}"), 200)
        if file["pages_read"] != seen:
            seen = file["pages_read"]
            say(f"  OCR {seen}/{file['number_of_page']} pages read  (state: {file['state']})")
        return file if file["state"] == "digitized" else None

    wait_until(digitized, timeout=600, what="OCR of every page")
    describe(client, file_code, document, pages, say)
    say("biên mục: hồ sơ và văn bản đủ trường bắt buộc → described")
    verification = verify(client, file_code)
    waived = [w["check"] for w in verification["waivers"]]
    say(
        f"kiểm tra: {len(verification['findings'])} ghi nhận"
        + (f", miễn trừ {', '.join(waived)}" if waived else "")
        + f" → verified by {verification['by']}"
    )
    accepted = _check(
        client.post(
            f"/api/v1/files/{file_code}/accept",
            json={"minutes_number": "01/BB-NT", "role": "Giám đốc Sở Nội vụ"},
            headers=as_person(APPROVER),
        ),
        200,
    )
    say(f"nghiệm thu: accepted by {accepted['accepted_by']}, biên bản số 01/BB-NT")

    def packaged() -> dict[str, Any] | None:
        file = _check(client.get(f"/api/v1/files/{file_code}"), 200)
        return file if file["state"] in ("packaged", "handed_over") else None

    wait_until(packaged, timeout=300, what="the handover package")
    return _check(client.get(f"/api/v1/files/{file_code}/package"), 200)


def wait_for_receipt(client: httpx.Client, file_code: str) -> dict[str, Any]:
    """Wait for the national archive's answer: the hồ sơ handed over (or returned)."""

    def answered() -> dict[str, Any] | None:
        file = _check(client.get(f"/api/v1/files/{file_code}"), 200)
        return file if file["state"] in ("handed_over", "described") else None

    file: dict[str, Any] = wait_until(answered, timeout=300, what="the receipt")
    return file


SUGGESTED_AS_PRINTED = {
    "codeNumber": "code_number",
    "codeNotation": "code_notation",
    "issuedDate": "issued_date",
    "issuedPlace": "issued_place",
    "subject": "subject",
    "signerName": "signer_name",
}
"""Suggested fields the demo's archivist checks against what the sample prints."""


def describe(
    client: httpx.Client,
    file_code: str,
    document: SampleDocument,
    pages: int,
    say: Callable[[str], None] = lambda _line: None,
) -> None:
    """Biên mục of the sample: the văn bản suggested from its pages, checked against what it
    prints and confirmed (any difference is corrected, and kept as ground truth), then the
    hồ sơ's own elements, then confirm (→ described)."""

    def suggested() -> dict[str, Any] | None:
        found = _check(client.get(f"/api/v1/files/{file_code}/suggestions"), 200)
        return found if found["documents"] else None

    run = wait_until(suggested, timeout=120, what="biên mục tự động")
    first = run["documents"][0]
    fields = first["fields"]
    printed = {key: getattr(document.facts, attr) for key, attr in SUGGESTED_AS_PRINTED.items()}
    corrections = {
        key: value for key, value in printed.items() if fields.get(key, {}).get("value") != value
    }
    type_of = fields.get("typeLabel", {}).get("value")
    if type_of != document.facts.type_label:
        corrections["typeName"] = document.facts.type_label
    confidence = min((f["confidence"] for f in fields.values()), default=0.0)
    say(
        f"biên mục tự động: {len(run['documents'])} văn bản; văn bản 1 (trang "
        f"{first['first_page']}–{first['last_page']}): {type_of} số "
        f"{fields.get('codeNumber', {}).get('value')}/{fields.get('codeNotation', {}).get('value')}"
        f" ngày {fields.get('issuedDate', {}).get('value')} (độ tin cậy ≥ {confidence:.2f})"
    )
    _check(
        client.post(
            f"/api/v1/files/{file_code}/documents/1/confirmation",
            json={"fields": corrections, "first_page": 1, "last_page": pages},
            headers=as_person(ARCHIVIST),
        ),
        200,
    )
    fixed = ", ".join(sorted(corrections)) or "không sửa trường nào"
    say(f"  {ARCHIVIST} xác nhận gợi ý ({fixed})")
    _check(
        client.patch(
            f"/api/v1/files/{file_code}",
            json={"format": "01", "paperFileCode": f"TTLT.K1.{file_code}"},
            headers=as_person(ARCHIVIST),
        ),
        200,
    )
    _check(client.post(f"/api/v1/files/{file_code}/description", headers=as_person(ARCHIVIST)), 200)


def verify(client: httpx.Client, file_code: str) -> dict[str, Any]:
    """Kiểm tra signed off by the reviewer; only the demo's known finding is waived."""
    findings = client.get(f"/api/v1/files/{file_code}/checks").json()
    blocking = {f["check"] for f in findings if f["severity"] == "error"}
    unexpected = blocking - set(DEMO_WAIVABLE)
    if unexpected:
        raise DemoError(f"kiểm tra found {sorted(unexpected)}: {findings}")
    waivers = [{"check": c, "reason": DEMO_WAIVABLE[c]} for c in sorted(blocking)]
    return _check(
        client.post(
            f"/api/v1/files/{file_code}/verification",
            json={"waivers": waivers},
            headers=as_person(REVIEWER),
        ),
        200,
    )


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
            file_code = f"{AGENCY}.{document.facts.issued_date[-4:]}.01.VP"
            with httpx.Client(
                base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=120
            ) as client:
                package = run_journey(client, scans, document, say=say, file_code=file_code)
                package_path = download_package(client, package, var_dir)
                handed = wait_for_receipt(client, file_code)
                hits = _check(client.get("/api/v1/search", params={"q": QUERY}), 200)["hits"]
                year = date.today().year
                annual = _check(client.get("/api/v1/reports/annual", params={"year": year}), 200)
                workbook = client.get(
                    "/api/v1/reports/annual", params={"year": year, "format": "xlsx"}
                )
                report_path = var_dir / f"bao-cao-{year}.xlsx"
                report_path.write_bytes(workbook.content)
        if not hits:
            raise DemoError(f"search for {QUERY!r} found nothing")
        hit = hits[0]
        say(
            f"search {QUERY!r} (không dấu) → {len(hits)} hit(s); first: hồ sơ {hit['file_code']}, "
            f"trang {hit['sequence']}: “{hit['snippet']}”"
        )
        _say_package(package, package_path, say)
        _say_receipt(handed, say)
        totals = annual["totals"]["reached_by_end_of_year"]
        say(
            f"báo cáo năm {year} (hạn {annual['due_before']}): {totals['approved']} hồ sơ duyệt, "
            f"{totals['digitized']} số hóa, {totals['accepted']} nghiệm thu, "
            f"{annual['totals']['pages_in_year']} trang → {report_path}"
        )
        say(f"workspace (web screens for archivists): {stack.workspace_url}")
        if keep:
            say(
                f"stack still running; gateway {stack.gateway_url}, "
                f"API key {stack.api_key}; people and passwords in "
                f"{stack.run_dir}/stack.json. Ctrl-C stops."
            )
            _wait_for_interrupt()
    finally:
        stack.stop()
        say("stack stopped")
    return 0


def download_package(client: httpx.Client, package: dict[str, Any], target: Path) -> Path:
    """Stream the package zip from the gateway into ``target`` (a folder), as a partner would."""
    path = target / f"{package['package_id']}.zip"
    with client.stream("GET", package["download"], headers=as_person(ARCHIVIST)) as response:
        if response.status_code != 200:
            raise DemoError(f"package download: HTTP {response.status_code}")
        with path.open("wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
    return path


def _say_package(package: dict[str, Any], location: Path, say: Callable[[str], None]) -> None:
    actual = sha256_of(location)
    if actual != package["sha256"]:
        raise DemoError(f"package checksum mismatch: {actual} ≠ {package['sha256']}")
    with tempfile.TemporaryDirectory(prefix="sohoa-bag-") as unpacked:
        with zipfile.ZipFile(location) as archive:
            archive.extractall(unpacked)
        bagit.Bag(str(Path(unpacked) / package["package_id"])).validate()
    say(f"handover package: {location}")
    say(
        f"  sha256 {package['sha256']}  ({package['size']} bytes, Payload-Oxum "
        f"{package['payload_oxum']}, BagIt valid)"
    )


def _say_receipt(file: dict[str, Any], say: Callable[[str], None]) -> None:
    last = max(file["history"], key=lambda t: t["at"])
    if file["state"] != "handed_over":
        raise DemoError(f"the national archive refused the package: {last['reason']}")
    say(f"receipt: {last['reason']} from {last['actor']} → {file['state']}")


def _wait_for_interrupt() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
