"""The workspace in a real browser (Debian's chromium, driven by Playwright) against the real
stack: people of the gateway sign in and take one hồ sơ from the mục lục to the package —
import with its dry run, selection, approval, chỉnh lý, upload, OCR, the page viewer, biên
mục with a correction, kiểm tra with a re-scan, nghiệm thu and the download — each step by
the person whose role it is; a partner_read person sees no restricted hồ sơ. Every screen is
saved under var/test-artifacts/screens/ and checked with axe-core: no serious or critical
violation."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from services.ops.demo import inventory_csv, wait_until
from services.ops.samples import SampleDocument
from services.ops.stack import LocalStack
from shared.geometry import Affine

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCREENS = REPO / "var" / "test-artifacts" / "screens"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FONDS = "64"
FILE_CODE = "H49.64.33.2023.15.VP"
RESTRICTED = "H49.64.33.2023.16.VP"
PARTNER = "doitac.ws"  # a partner_read person under the workspace's own client
SUBJECT = "Kết quả chỉnh lý tài liệu tồn đọng năm 2022 (đã đối chiếu)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: bash dev.sh test installs it"
    assert AXE.exists(), "axe-core is missing: bash dev.sh test runs npm ci"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screens() -> Path:
    shutil.rmtree(SCREENS, ignore_errors=True)
    SCREENS.mkdir(parents=True)
    return SCREENS


class Desk:
    """One browser page of the workspace, signed in as one person at a time."""

    def __init__(self, page: Page, stack: LocalStack, screens: Path) -> None:
        self.page = page
        self.stack = stack
        self.screens = screens
        self.checked: list[str] = []

    def go(self, path: str) -> None:
        response = self.page.goto(self.stack.workspace_url + path)
        assert response is not None

    def try_sign_in(self, username: str, password: str | None = None) -> None:
        self.go("/dang-nhap")
        self.page.get_by_label("Tên đăng nhập").fill(username)
        self.page.get_by_label("Mật khẩu").fill(password or self.stack.people[username].password)
        self.page.get_by_role("button", name="Đăng nhập").click()

    def sign_in(self, username: str, password: str | None = None) -> None:
        self.try_sign_in(username, password)
        expect(self.page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Đăng xuất").click()
        expect(self.page.get_by_label("Tên đăng nhập")).to_be_visible()

    def said(self, text: str) -> None:
        expect(self.page.locator(".flash.ok")).to_contain_text(text)

    def screen(self, name: str) -> None:
        """Save the screen and hold it to axe-core: no serious or critical violation."""
        self.page.screenshot(path=str(self.screens / f"{name}.png"), full_page=True)
        self.page.evaluate(AXE.read_text(encoding="utf-8"))  # DevTools, not an inline script
        result: dict[str, Any] = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        bad = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{name}: {json.dumps(bad, ensure_ascii=False)}"
        self.checked.append(name)


def _rescanned(path: Path) -> bytes:
    """The page scanned again: a few pixels differ (so it is another image), same size."""
    with Image.open(path) as image:
        page = image.convert("RGB")
        dpi = image.info["dpi"]
    page.paste((255, 255, 255), (5, 5, 25, 25))
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=dpi)
    return buffer.getvalue()


def _gate(
    client: httpx.Client, file_code: str, opened: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """Ingest's own view of whether the hồ sơ takes scans, once ``opened`` says so."""
    gate: dict[str, Any] = client.get(f"/api/v1/files/{file_code}/scanning").json()
    return gate if opened(gate) else None


def _state(client: httpx.Client, file_code: str, *states: str) -> dict[str, Any] | None:
    body: dict[str, Any] = client.get(f"/api/v1/files/{file_code}").json()
    return body if body["state"] in states else None


def test_a_hồ_sơ_from_the_mục_lục_to_its_package_in_the_browser(
    stack: LocalStack,
    client: httpx.Client,
    browser: Browser,
    screens: Path,
    sample: tuple[SampleDocument, list[Path]],
    tmp_path: Path,
) -> None:
    document, scans = sample
    fonds = client.put(
        f"/api/v1/fonds/{FONDS}", json={"name": "Ủy ban nhân dân tỉnh Trà Vinh", "status": "closed"}
    )
    assert fonds.status_code in (200, 201), fonds.text
    sheet = tmp_path / "muc-luc.csv"
    sheet.write_bytes(inventory_csv(FILE_CODE, document, len(scans)))
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    desk = Desk(context.new_page(), stack, screens)

    # Sign-in: a wrong password is refused, then the archivist signs in.
    desk.go("/ho-so")
    expect(desk.page.get_by_label("Tên đăng nhập")).to_be_visible()  # sent to sign in
    desk.screen("01-dang-nhap")
    desk.try_sign_in("luutru", "not-the-password")
    expect(desk.page.get_by_role("alert")).to_contain_text("không đúng")
    desk.sign_in("luutru")

    # Mục lục: the dry run row by row, then the real import.
    desk.go("/nhap-muc-luc")
    desk.page.get_by_label("Tệp mục lục").set_input_files(str(sheet))
    desk.page.get_by_label("Phông của các dòng không ghi phông").select_option(FONDS)
    desk.page.get_by_role("button", name="Thử trước").click()
    expect(desk.page.locator("table.report")).to_contain_text(FILE_CODE)
    assert client.get(f"/api/v1/files/{FILE_CODE}").status_code == 404  # nothing written yet
    desk.screen("02-nhap-muc-luc-thu-truoc")
    desk.page.get_by_role("button", name="Nhập thật 1 dòng").click()
    desk.said("Đã nhập 1/1 dòng mục lục")
    desk.screen("03-danh-sach-ho-so")

    # Lựa chọn by the archivist; phê duyệt by the approver; chỉnh lý by the archivist.
    desk.page.get_by_role("link", name=FILE_CODE).click()
    desk.page.get_by_label("Căn cứ").fill("Thời hạn bảo quản vĩnh viễn")
    desk.page.get_by_role("button", name="Lựa chọn hồ sơ").click()
    desk.said("Đã lựa chọn theo tiêu chí 1")
    expect(desk.page.get_by_role("button", name="Ghi quyết định phê duyệt")).to_have_count(0)
    desk.sign_out()
    desk.sign_in("pheduyet")
    desk.go(f"/ho-so/{FILE_CODE}")
    desk.page.get_by_label("Số quyết định").fill("515/QĐ-SNV")
    desk.page.get_by_role("button", name="Ghi quyết định phê duyệt").click()
    desk.said("Đã ghi quyết định phê duyệt số 515/QĐ-SNV")
    desk.sign_out()
    desk.sign_in("luutru")
    desk.go(f"/ho-so/{FILE_CODE}")
    desk.page.get_by_role("button", name="Xác nhận chỉnh lý hoàn chỉnh").click()
    desk.said("Đã xác nhận chỉnh lý hoàn chỉnh")
    wait_until(
        lambda: (
            client.get(f"/api/v1/files/{FILE_CODE}/scanning").json()["open_for_scanning"] or None
        ),
        timeout=60,
        what="ingest to open the hồ sơ for scanning",
    )

    # The scans, uploaded one by one through the form; then OCR reads them.
    for sequence, scan in enumerate(scans, start=1):
        desk.go(f"/ho-so/{FILE_CODE}")
        desk.page.get_by_label("Ảnh quét").set_input_files(str(scan))
        desk.page.get_by_label("Số thứ tự trang").fill(str(sequence))
        desk.page.get_by_role("button", name="Tải lên").click()
        desk.said("Đã nhận ảnh")
    wait_until(lambda: _state(client, FILE_CODE, "digitized"), timeout=300, what="OCR")
    desk.go(f"/ho-so/{FILE_CODE}")
    expect(desk.page.locator(".lead")).to_contain_text("Đã số hóa")
    desk.screen("04-ho-so")

    # The page viewer: the word under the cursor lights on the scan and in the text.
    desk.go(f"/ho-so/{FILE_CODE}/trang/1")
    image = desk.page.request.get(f"{stack.workspace_url}/ho-so/{FILE_CODE}/trang/1/anh")
    assert image.headers["content-type"] == "image/jpeg"
    assert image.body()[:2] == b"\xff\xd8"
    # a slow connection's preview, as the kiểm tra thumbnails and the 100 % view fetch it
    thumb = desk.page.request.get(f"{stack.workspace_url}/ho-so/{FILE_CODE}/trang/1/anh?w=120")
    with Image.open(io.BytesIO(thumb.body())) as small, Image.open(io.BytesIO(image.body())) as big:
        assert small.width == 120
        assert abs(small.height / small.width - big.height / big.width) < 0.02
    assert len(thumb.body()) < len(image.body()) / 10
    words = desk.page.locator("svg#scan rect.word")
    assert words.count() > 50
    word = words.nth(3)
    word.hover()
    expect(word).to_have_class(re.compile(r"\bhot\b"))
    expect(desk.page.locator("#t-3")).to_have_class(re.compile(r"\bhot\b"))
    desk.screen("05-xem-trang")
    desk.page.get_by_role("link", name="Xoay phải").click()
    expect(desk.page.locator("svg#scan g")).to_have_attribute(
        "transform", re.compile(r"rotate\(90\)")
    )

    # The original scan instead of the cleaned one, the word boxes moved onto its own size.
    desk.go(f"/ho-so/{FILE_CODE}/trang/1")
    desk.page.get_by_role("link", name="Ảnh gốc").click()
    expect(desk.page.locator(".toggle .chosen")).to_have_text("Ảnh gốc")
    original = desk.page.request.get(f"{stack.workspace_url}/ho-so/{FILE_CODE}/trang/1/anh?anh=goc")
    assert original.headers["content-type"] == "image/png"  # the sample is scanned as PNG
    assert original.body() == scans[0].read_bytes()  # the very original, as stored
    read = client.get(f"/api/v1/files/{FILE_CODE}/page-words", params={"sequence": 1}).json()
    back = Affine(*read["original"]["to_page_image"]).inverse()  # the map OCR kept, reversed
    boxes = desk.page.locator("svg#scan rect.word")
    assert boxes.count() == len(read["words"])
    x0, *_ = back.box(*read["words"][3]["box"])
    assert boxes.nth(3).get_attribute("x") == str(round(x0))
    boxes.nth(3).hover()
    expect(desk.page.locator("#t-3")).to_have_class(re.compile(r"\bhot\b"))
    desk.screen("05b-xem-trang-goc")

    # Biên mục: the suggestion corrected where it is wrong, the hồ sơ's own elements, done.
    desk.go(f"/ho-so/{FILE_CODE}/bien-muc")
    expect(desk.page.locator("svg.where").first).to_be_visible()  # where each was read
    desk.screen("06-bien-muc")
    desk.page.get_by_role("textbox", name="Trích yếu nội dung", exact=True).fill(SUBJECT)
    # the ký hiệu as the page prints it, whatever OCR made of it
    desk.page.get_by_role("textbox", name="Ký hiệu của văn bản", exact=True).fill(
        document.facts.code_notation
    )
    desk.page.get_by_role("button", name="Xác nhận / sửa văn bản 1").click()
    desk.said("Đã xác nhận văn bản 1")
    desk.said("Trích yếu nội dung")
    desk.go(f"/ho-so/{FILE_CODE}")
    desk.page.get_by_role("textbox", name="Tình trạng vật lý", exact=True).fill("01")
    desk.page.get_by_role("textbox", name="Mã hồ sơ gốc giấy", exact=True).fill(
        f"TTLT.K1.{FILE_CODE}"
    )
    desk.page.get_by_role("button", name="Lưu thông tin hồ sơ").click()
    desk.said("Đã lưu")
    desk.go(f"/ho-so/{FILE_CODE}/bien-muc")
    desk.page.get_by_role("button", name="Hoàn tất biên mục hồ sơ").click()
    desk.said("Biên mục hoàn tất")
    accuracy = client.get("/api/v1/suggestions/accuracy").json()["fields"]
    assert accuracy["subject"]["confirmed"] > accuracy["subject"]["unchanged"]  # ground truth

    # Kiểm tra: page 2 sent back for re-scan, scanned again, read, described again.
    desk.sign_out()
    desk.sign_in("kiemtra")
    desk.go(f"/ho-so/{FILE_CODE}/kiem-tra")
    desk.page.get_by_label("Trang 2", exact=True).check()
    desk.page.get_by_role("textbox", name="Lý do", exact=True).fill("trang bị mờ")
    desk.page.get_by_role("button", name="Gửi yêu cầu quét lại").click()
    desk.said("Đã yêu cầu quét lại 1 trang")
    desk.sign_out()
    desk.sign_in("luutru")
    wait_until(
        lambda: _gate(client, FILE_CODE, lambda gate: 2 in gate["rescan_sequences"]),
        timeout=60,
        what="ingest to hear of the re-scan",
    )
    again = tmp_path / "trang-2-quet-lai.png"
    again.write_bytes(_rescanned(scans[1]))
    desk.go(f"/ho-so/{FILE_CODE}")
    desk.page.get_by_label("Ảnh quét").set_input_files(str(again))
    desk.page.get_by_label("Số thứ tự trang").fill("2")
    desk.page.get_by_role("button", name="Tải lên").click()
    desk.said("Đã nhận ảnh")
    wait_until(lambda: _state(client, FILE_CODE, "digitized"), timeout=300, what="the re-scan")
    desk.go(f"/ho-so/{FILE_CODE}/bien-muc")
    desk.page.get_by_role("button", name="Hoàn tất biên mục hồ sơ").click()
    desk.said("Biên mục hoàn tất")

    # Kiểm tra signed off, the sample's greyscale scans waived with a reason.
    desk.sign_out()
    desk.sign_in("kiemtra")
    desk.go(f"/ho-so/{FILE_CODE}/kiem-tra")
    blocking = desk.page.locator("tr.finding.error")
    assert blocking.count() >= 1
    desk.screen("07-kiem-tra")
    for check in set(blocking.locator("td:first-child code").all_inner_texts()):
        desk.page.locator(f"#waive-{check}").check()
        desk.page.locator(f"#reason-{check}").fill("ảnh mẫu của phép thử")
    desk.page.get_by_role("button", name="Ký kiểm tra").click()
    desk.said("Kiểm tra đã ký")

    # Nghiệm thu by the approver on the batch screen, one biên bản for what is chosen; the
    # outcome per hồ sơ; then the package, downloaded whole, and the archive's receipt.
    desk.sign_out()
    desk.sign_in("pheduyet")
    desk.page.get_by_role("link", name="Nghiệm thu", exact=True).click()
    desk.page.get_by_label(f"Chọn {FILE_CODE}").check()
    desk.page.get_by_label("Số biên bản nghiệm thu").fill("15/BB-NT")
    desk.page.get_by_role("button", name="Nghiệm thu các hồ sơ đã chọn").click()
    desk.said("Biên bản số 15/BB-NT: nghiệm thu 1/1 hồ sơ")
    expect(desk.page.locator("tr.outcome.accepted")).to_contain_text(FILE_CODE)
    desk.screen("08-nghiem-thu")
    accepted = client.get(f"/api/v1/files/{FILE_CODE}").json()
    assert accepted["acceptance"]["minutes_number"] == "15/BB-NT"
    wait_until(lambda: _state(client, FILE_CODE, "handed_over"), timeout=300, what="the receipt")
    desk.go(f"/ho-so/{FILE_CODE}/kiem-tra")
    expect(desk.page.locator("table.receipts")).to_contain_text("đã nhận")
    desk.screen("09-goi-bien-nhan")
    assert "/objects/" not in desk.page.content()  # never where the package is stored
    with desk.page.expect_download() as download:
        desk.page.get_by_role("link", name="Tải gói bàn giao (.zip)").click()
    saved = tmp_path / "goi.zip"
    download.value.save_as(saved)
    package = client.get(f"/api/v1/files/{FILE_CODE}/package").json()
    assert saved.stat().st_size == package["size"]
    with zipfile.ZipFile(saved) as bag:
        assert any(name.endswith("bagit.txt") for name in bag.namelist())
    with desk.page.expect_download() as download:
        desk.page.get_by_role("link", name="Tải biên nhận mới nhất (.json)").click()
    receipt = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert receipt["accepted"] is True
    assert receipt["received_sha256"] == package["sha256"]

    # Tổng quan: the chart counts the hồ sơ; beside it the OCR queue and, for the approver,
    # the deliveries past their time without a receipt (none: the receiver answered).
    desk.go("/tong-quan")
    expect(desk.page.locator("svg.chart").first).to_be_visible()
    # The stack is shared: other tests' pages (a fuzzed one OCR refused) count here too, so
    # the screen must show what the report says, and this hồ sơ none of the failures.
    ocr = client.get("/api/v1/reports/progress").json()["ocr"]
    own = client.get(f"/api/v1/files/{FILE_CODE}").json()["pages"]
    assert not [p for p in own if p["failure_code"] or not p["has_text"]]
    expect(desk.page.locator("#ocr-waiting")).to_have_text(str(ocr["waiting"]))
    expect(desk.page.locator("#ocr-failed")).to_have_text(str(ocr["failed"]))
    deliveries = client.get("/api/v1/deliveries").json()
    # other tests' hồ sơ share the stack: this one's package delivered once, and accepted
    assert [d["state"] for d in deliveries if d["file_code"] == FILE_CODE] == ["accepted"]
    assert not [d for d in deliveries if d["overdue"]]
    expect(desk.page.locator("table.deliveries")).to_contain_text("Không có gói nào quá hạn")
    desk.screen("10-tong-quan")
    context.close()
    assert len(desk.checked) == 11


def test_a_partner_sees_no_restricted_hồ_sơ(
    stack: LocalStack, client: httpx.Client, browser: Browser, screens: Path
) -> None:
    made = client.post(
        "/api/v1/clients/workspace/people",
        json={
            "username": PARTNER,
            "full_name": "Đối Tác Tỉnh",
            "roles": ["partner_read"],
            "password": "mat-khau-doi-tac-15",
        },
    )
    assert made.status_code in (201, 409), made.text
    for code, mode in ((RESTRICTED, "03"), (f"{RESTRICTED}.CK", "01")):
        registered = client.post(
            "/api/v1/files",
            json={
                "file_code": code,
                "title": f"Hồ sơ chế độ {mode}",
                "number_of_page": 1,
                "mode": mode,
                "fondsCode": FONDS,
            },
        )
        assert registered.status_code in (200, 201), registered.text
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    desk = Desk(context.new_page(), stack, screens)
    desk.sign_in(PARTNER, "mat-khau-doi-tac-15")
    desk.go(f"/ho-so?fonds={FONDS}")
    listed = desk.page.locator("table.files tbody")
    expect(listed).to_contain_text(f"{RESTRICTED}.CK")  # the open one is there
    assert RESTRICTED not in [code for code in listed.locator("td:first-child").all_inner_texts()]
    expect(desk.page.get_by_role("link", name="Nhập mục lục hồ sơ")).to_have_count(0)
    desk.go(f"/ho-so/{RESTRICTED}")
    expect(desk.page.locator(".problem-code")).to_have_text("catalogue.file-not-found")
    desk.screen("11-doi-tac-khong-thay")
    desk.go(f"/ho-so/{RESTRICTED}.CK")
    expect(desk.page.get_by_role("button", name="Lựa chọn hồ sơ")).to_have_count(0)
    expect(desk.page.get_by_role("button", name="Lưu thông tin hồ sơ")).to_have_count(0)
    context.close()
