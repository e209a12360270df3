"""The workspace's screens against an in-memory fake of the gateway port: sign-in and its
cookie, CSRF, the security headers, what each role is offered, escaped search hits, the
dry-run import shown before the real one, the page viewer's boxes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.workspace.app import create_app
from services.workspace.config import WorkspaceSettings
from services.workspace.domain import (
    Action,
    Original,
    Person,
    Receipt,
    SessionStore,
    SignInRefused,
    ViewBox,
    marked_segments,
    offers,
    receipts,
    viewed_words,
)
from services.workspace.ports import GatewayProblem, Grant, Params, Streamed
from shared.geometry import Affine

pytestmark = pytest.mark.unit

FILE: dict[str, Any] = {
    "file_code": "H49.64.33.2024.01.VP",
    "title": "Hồ sơ hội nghị",
    "state": "inventoried",
    "number_of_page": 2,
    "pages_read": 2,
    "open_for_scanning": False,
    "arrangement": None,
    "acceptance": None,
    "fileCode": "H49.64.33.2024.01.VP",
    "documents": [],
    "history": [
        {
            "from_state": "",
            "to_state": "inventoried",
            "person": "Nguyễn Thị Lưu",
            "client": "workspace",
            "reason": None,
            "at": "2026-12-02T10:00:00+00:00",
        }
    ],
    "pages": [
        {"sequence": 1, "current": True, "has_text": True, "version": 1, "confidence": 91.0},
        {"sequence": 2, "current": True, "has_text": True, "version": 1, "confidence": 55.0},
    ],
}
WORDS: dict[str, Any] = {
    "sequence": 1,
    "width": 1000,
    "height": 1400,
    "confidence": 80.0,
    "original": {"width": 2000, "height": 2800, "media_type": "image/tiff", "rotation": 0},
    "words": [
        {"text": "ỦY", "box": [10, 10, 60, 40], "confidence": 95},
        {"text": "BAN", "box": [70, 10, 130, 40], "confidence": 41},
        {"text": "Số:", "box": [10, 60, 50, 90], "confidence": 90},
    ],
}

PACKAGE = {
    "package_id": "70caf66b-0000-4000-8000-000000000001",
    "file_code": FILE["file_code"],
    "object_key": "handover/H49.64.33.2024.01.VP/70caf66b.zip",
    "location": "s3://sohoa-handover/handover/H49.64.33.2024.01.VP/70caf66b.zip",
    "sha256": "ab" * 32,
    "size": 1234,
}


PROGRESS: dict[str, Any] = {
    "date": "2026-12-03",
    "files_by_state": {"verified": 1, "packaged": 1},
    "files_by_fonds": {"64": {"verified": 1, "packaged": 1}},
    "pages_per_day": [{"date": "2026-12-02", "pages": 7}],
    "digitization": {"done": 2, "of": 2, "planned_share": None},
    "handover": {"done": 0, "of": 2, "planned_share": None},
    "ocr": {
        "waiting": 17,
        "oldest_waiting_since": "2026-12-03T01:02:03+00:00",
        "failed": 3,
        "failed_by_code": {"ocr.page-timeout": 1, "ocr.unreadable-image": 2},
    },
}
OVERDUE = {
    "package_id": "9d0c1a7e-0000-4000-8000-000000000002",
    "file_code": "H49.64.33.2024.07.VP",
    "state": "re-delivered",
    "attempts": 4,
    "first_sent_at": "2026-11-28T09:00:00Z",
    "last_sent_at": "2026-12-02T09:00:00Z",
    "overdue": True,
    "receipt_id": None,
    "reasons": [],
}


RECEIPT = {
    "file_code": FILE["file_code"],
    "receipt_id": "BN-0001",
    "accepted": True,
    "reasons": [],
    "receiver": "Trung tâm Lưu trữ quốc gia",
}


class FakeGateway:
    """The gateway port in memory: two people, one hồ sơ, and every call recorded."""

    def __init__(self) -> None:
        self.people = {
            "luutru": ("mat-khau-1", Person("luutru", "Nguyễn Thị Lưu", frozenset({"archivist"}))),
            "doitac": ("mat-khau-2", Person("doitac", "Đối Tác Tỉnh", frozenset({"partner_read"}))),
            "pheduyet": ("mat-khau-3", Person("pheduyet", "Lê Văn Hân", frozenset({"approver"}))),
        }
        self.file: dict[str, Any] = dict(FILE)
        self.words: dict[str, Any] = dict(WORDS)
        self.refuse_accept: set[str] = set()
        self.rate_limited = 0  # how many next calls answer 429 before going through
        self.tokens: dict[str, Person] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.import_refused: list[dict[str, Any]] = []

    async def sign_in(self, username: str, password: str) -> Grant:
        known = self.people.get(username)
        if known is None or known[0] != password:
            raise SignInRefused("sai")
        token = f"token-{username}"
        self.tokens[token] = known[1]
        return Grant(token, 3600)

    async def me(self, token: str) -> Person:
        return self.tokens[token]

    async def get(self, token: str, path: str, params: Params | None = None) -> Any:
        assert token in self.tokens
        self.calls.append(("GET", path, dict(params or {})))
        if path == "/fonds":
            return [{"code": "64", "name": "UBND tỉnh Trà Vinh"}]
        if path == "/files":
            return {"items": [{**FILE, "fondsCode": "64", "numberOfPage": 2}], "next_cursor": None}
        if path == "/search":
            return {
                "hits": [
                    {
                        "kind": "page",
                        "file_code": FILE["file_code"],
                        "title": FILE["title"],
                        "sequence": 1,
                        "exact": False,
                        "highlighted": "công tác <mark>lưu trữ</mark> <script>x</script>",
                    }
                ],
                "next_cursor": None,
            }
        if path == f"/files/{FILE['file_code']}":
            return self.file
        if path.endswith(("/checks", "/verifications")):
            return []
        if path.endswith("/package"):
            return PACKAGE
        if path.endswith("/receipt"):
            return RECEIPT
        if path.endswith("/suggestions"):
            return {"documents": []}
        if path == "/reports/progress":
            return PROGRESS
        if path == "/deliveries":
            return [OVERDUE]
        if path.endswith("/page-words"):
            return self.words
        raise GatewayProblem(404, {"code": "catalogue.file-not-found", "detail": "không có"})

    async def send(
        self,
        token: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        content: AsyncIterator[bytes] | bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        body: Any = json
        if isinstance(content, bytes):
            body = content
        elif content is not None:
            body = b"".join([chunk async for chunk in content])
        self.calls.append((method, path, {"params": dict(params or {}), "body": body}))
        if path == "/inventory-imports":
            dry_run = (params or {}).get("dry_run") == "true"
            report = {
                "rows": 2,
                "accepted": 2 - len(self.import_refused),
                "refused": self.import_refused,
                "created": [FILE["file_code"]],
                "header_row": 4,
            }
            if self.import_refused and not dry_run:
                raise GatewayProblem(422, {**report, "code": "catalogue.import-refused"})
            return report
        if self.rate_limited:
            self.rate_limited -= 1
            raise GatewayProblem(
                429, {"code": "gateway.rate-limited", "detail": "quá", "retry_after_seconds": 0}
            )
        if path.endswith("/accept") and path.split("/")[2] in self.refuse_accept:
            raise GatewayProblem(
                409, {"code": "catalogue.illegal-transition", "detail": "hồ sơ chưa kiểm tra"}
            )
        return {}

    async def stream(self, token: str, path: str, params: Params | None = None) -> Streamed:
        self.calls.append(("STREAM", path, dict(params or {})))

        async def chunks() -> AsyncIterator[bytes]:
            yield b"PK"
            yield b"\x03\x04"

        return Streamed(200, "application/zip", chunks())


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def browser(gateway: FakeGateway) -> Iterator[TestClient]:
    app = create_app(WorkspaceSettings(cookie_secure=False), gateway=gateway)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str) -> Any:
    form = client.get("/dang-nhap")
    return client.post(
        "/dang-nhap",
        data={"username": username, "password": password, "csrf": csrf_of(form.text)},
    )


def test_sign_in_sets_an_http_only_strict_cookie_and_opens_the_list(browser: TestClient) -> None:
    signed = sign_in(browser, "luutru", "mat-khau-1")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/ho-so"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    page = browser.get("/ho-so")
    assert page.status_code == 200
    assert "Nguyễn Thị Lưu" in page.text


def test_the_cookie_is_secure_by_default() -> None:
    app = create_app(WorkspaceSettings(), gateway=FakeGateway())
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        cookie = sign_in(client, "luutru", "mat-khau-1").headers["set-cookie"]
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_and_opens_no_session(browser: TestClient) -> None:
    refused = sign_in(browser, "luutru", "sai")
    assert refused.status_code == 401
    assert "không đúng" in refused.text
    assert browser.get("/ho-so").status_code == 303  # still sent to sign in


def test_a_form_without_the_session_csrf_token_is_refused(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    forged = browser.post(
        f"/ho-so/{FILE['file_code']}/lua-chon",
        data={"criterion": "1", "evidence": "x", "csrf": "forged"},
    )
    assert forged.status_code == 403
    assert "workspace.csrf-refused" in forged.text
    assert not [c for c in gateway.calls if c[0] == "POST"]


def test_every_page_has_a_strict_content_security_policy(browser: TestClient) -> None:
    for response in (browser.get("/dang-nhap"), browser.get("/static/workspace.css")):
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"


def test_roles_decide_which_steps_a_hồ_sơ_offers(browser: TestClient) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    archivist = browser.get(f"/ho-so/{FILE['file_code']}").text
    assert "Lựa chọn hồ sơ" in archivist
    assert "Lưu thông tin hồ sơ" in archivist
    assert "Ghi quyết định phê duyệt" not in archivist  # an approver's step
    browser.cookies.clear()
    sign_in(browser, "doitac", "mat-khau-2")
    partner = browser.get(f"/ho-so/{FILE['file_code']}").text
    assert "Lựa chọn hồ sơ" not in partner
    assert "Lưu thông tin hồ sơ" not in partner
    assert "Nhập mục lục" not in partner


def test_a_step_posts_to_the_gateway_and_says_so(browser: TestClient, gateway: FakeGateway) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}")
    done = browser.post(
        f"/ho-so/{FILE['file_code']}/lua-chon",
        data={
            "criterion": "1",
            "evidence": "Thời hạn bảo quản vĩnh viễn",
            "csrf": csrf_of(page.text),
        },
    )
    assert done.status_code == 303
    sent = [c for c in gateway.calls if c[0] == "POST"]
    assert sent == [
        (
            "POST",
            f"/files/{FILE['file_code']}/selection",
            {
                "params": {},
                "body": {"criteria": [{"code": 1, "evidence": "Thời hạn bảo quản vĩnh viễn"}]},
            },
        )
    ]
    assert "Đã lựa chọn theo tiêu chí 1" in browser.get(done.headers["location"]).text


def test_search_hits_are_highlighted_and_nothing_else_from_upstream_is_markup(
    browser: TestClient,
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get("/ho-so", params={"q": "luu tru"}).text
    assert "<mark>lưu trữ</mark>" in page
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_the_dry_run_report_comes_before_the_real_import(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    token = csrf_of(browser.get("/nhap-muc-luc").text)
    sheet = "Mã hồ sơ;Tiêu đề\nH49.64.33.2024.01.VP;Hồ sơ\n".encode()
    report = browser.post(
        "/nhap-muc-luc",
        data={"csrf": token, "fonds": "64"},
        files={"sheet": ("muc-luc.csv", sheet, "text/csv")},
    )
    assert report.status_code == 200
    assert "Nhập thật 2 dòng" in report.text
    imports = [c for c in gateway.calls if c[1] == "/inventory-imports"]
    assert [c[2]["params"]["dry_run"] for c in imports] == ["true"]
    assert imports[0][2]["body"] == sheet
    done = browser.post("/nhap-muc-luc/thuc-hien", data={"csrf": token})
    assert done.status_code == 303
    imports = [c for c in gateway.calls if c[1] == "/inventory-imports"]
    assert [c[2]["params"]["dry_run"] for c in imports] == ["true", "false"]
    assert imports[1][2]["body"] == sheet  # the same bytes, kept server-side meanwhile


def test_refused_rows_are_listed_and_no_real_import_is_offered(
    browser: TestClient, gateway: FakeGateway
) -> None:
    gateway.import_refused = [
        {
            "row": 7,
            "column": "Thời gian",
            "cell": "D7",
            "code": "import.invalid-date",
            "detail": "x",
        }
    ]
    sign_in(browser, "luutru", "mat-khau-1")
    token = csrf_of(browser.get("/nhap-muc-luc").text)
    report = browser.post(
        "/nhap-muc-luc",
        data={"csrf": token},
        files={"sheet": ("muc-luc.csv", b"a;b\n", "text/csv")},
    )
    assert "import.invalid-date" in report.text
    assert "D7" in report.text
    assert "Nhập thật" not in report.text


def test_the_page_viewer_draws_every_word_box_and_marks_the_unsure_ones(
    browser: TestClient,
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}/trang/1", params={"rotate": "90"}).text
    boxes = re.findall(r'<rect id="w-(\d+)" data-w="\d+" class="([^"]+)"', page)
    assert boxes == [("0", "word"), ("1", "word low"), ("2", "word")]
    assert 'viewBox="0 0 1400 1000"' in page  # turned a quarter: width and height swap
    assert "rotate(90)" in page


def test_the_export_and_the_package_are_streamed_through_with_the_filters(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    export = browser.get("/ho-so.xlsx", params={"fonds": "64", "year": "2024", "state": ""})
    assert export.status_code == 200
    assert export.headers["content-disposition"] == 'attachment; filename="ho-so.xlsx"'
    package = browser.get(f"/ho-so/{FILE['file_code']}/goi-ban-giao")
    assert package.content == b"PK\x03\x04"
    assert [c for c in gateway.calls if c[0] == "STREAM"] == [
        (
            "STREAM",
            "/files",
            {"fonds": "64", "year_from": "2024", "year_to": "2024", "format": "xlsx"},
        ),
        ("STREAM", f"/files/{FILE['file_code']}/package/download", {}),
    ]


def test_session_store_forgets_expired_sessions_and_keeps_to_its_capacity() -> None:
    store = SessionStore(capacity=2)
    person = Person("a", "A", frozenset())
    first = store.open("t1", person, expires_at=100)
    store.open("t2", person, expires_at=100)
    store.open("t3", person, expires_at=100)
    assert store.get(first.session_id, now=0) is None  # the oldest went first
    assert len(store) == 2
    late = store.open("t4", person, expires_at=10)
    assert store.get(late.session_id, now=11) is None


def test_offers_follow_the_gateway_roles_and_the_state() -> None:
    assert offers({"archivist"}, Action.DESCRIBE, "digitized")
    assert not offers({"archivist"}, Action.DESCRIBE, "verified")
    assert not offers({"reviewer"}, Action.DESCRIBE, "digitized")
    assert offers({"approver"}, Action.ACCEPT, "verified")
    assert not offers({"partner_read"}, Action.IMPORT)


def test_marked_segments_split_hits_from_plain_text() -> None:
    assert marked_segments("a <mark>b</mark> c<mark>d</mark>") == [
        ("a ", False),
        ("b", True),
        (" c", False),
        ("d", True),
    ]


def test_view_box_zooms_in_steps_and_turns_in_quarters() -> None:
    view = ViewBox.parse(zoom=140, rotate=-90)
    assert (view.zoom, view.rotate) == (150, 270)
    assert view.zoomed(10).zoom == 300
    assert view.turned(1).rotate == 0
    width, height, _ = ViewBox(100, 90).frame(760, 1520)  # 100 %: the page 760 px wide
    assert (width, height) == (1520, 760)  # turned a quarter, it lies on its side


def test_viewed_words_start_a_line_where_the_text_goes_back_left() -> None:
    words = viewed_words(WORDS["words"])
    assert [w.starts_line for w in words] == [False, False, True]
    assert [w.low for w in words] == [False, True, False]


def test_a_batch_nghiệm_thu_accepts_each_hồ_sơ_and_shows_each_outcome(
    browser: TestClient, gateway: FakeGateway
) -> None:
    first, refused = FILE["file_code"], "H49.64.33.2024.02.VP"
    gateway.refuse_accept = {refused}
    sign_in(browser, "pheduyet", "mat-khau-3")
    desk = browser.get("/nghiem-thu")
    assert "Nghiệm thu các hồ sơ đã chọn" in desk.text
    assert ("GET", "/files", {"state": "verified", "limit": 200}) in gateway.calls
    done = browser.post(
        "/nghiem-thu",
        data={
            "csrf": csrf_of(desk.text),
            "file_code": [first, refused, "../x"],
            "minutes_number": "15/BB-NT",
            "role": "Giám đốc Sở Nội vụ",
        },
    )
    assert done.status_code == 303
    sent = [c for c in gateway.calls if c[0] == "POST"]
    body = {"minutes_number": "15/BB-NT", "role": "Giám đốc Sở Nội vụ"}
    assert sent == [  # one call each, the same biên bản; the malformed code never sent
        ("POST", f"/files/{first}/accept", {"params": {}, "body": body}),
        ("POST", f"/files/{refused}/accept", {"params": {}, "body": body}),
    ]
    shown = browser.get("/nghiem-thu").text
    rows = re.findall(r'<tr class="outcome (\w+)">\s*<td><a [^>]+>([^<]+)</a>', shown)
    assert rows == [("accepted", first), ("refused", refused), ("refused", "../x")]
    assert "catalogue.illegal-transition" in shown
    assert "file-code.invalid" in shown
    assert "nghiệm thu 1/3 hồ sơ" in shown
    assert 'class="outcome' not in browser.get("/nghiem-thu").text  # shown once
    too_many = browser.post(
        "/nghiem-thu",
        data={
            "csrf": csrf_of(desk.text),
            "file_code": [f"H49.64.33.2024.{n}" for n in range(201)],
            "minutes_number": "16/BB-NT",
            "role": "Giám đốc Sở Nội vụ",
        },
    )
    assert too_many.status_code == 303
    assert len([c for c in gateway.calls if c[0] == "POST"]) == 2  # none of them sent
    assert "Chọn từ 1 đến 200 hồ sơ" in browser.get("/nghiem-thu").text


def test_only_an_approver_is_offered_the_batch_nghiệm_thu(browser: TestClient) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get("/nghiem-thu").text
    assert "Nghiệm thu các hồ sơ đã chọn" not in page
    assert 'name="file_code"' not in page
    assert 'href="/nghiem-thu"' not in page  # not in the menu either


def test_the_receipt_is_shown_and_no_storage_location_ever_is(
    browser: TestClient, gateway: FakeGateway
) -> None:
    gateway.file = {
        **FILE,
        "state": "handed_over",
        "history": [
            *FILE["history"],
            {
                "from_state": "packaged",
                "to_state": "handed_over",
                "person": None,
                "client": "national-archive",
                "actor": "national-archive",
                "reason": "biên nhận BN-dff4f276",
                "at": "2026-12-03T08:00:00+00:00",
            },
        ],
    }
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}/kiem-tra").text
    assert "<code>BN-dff4f276</code>" in page
    assert "đã nhận" in page
    assert f"/ho-so/{FILE['file_code']}/goi-ban-giao" in page
    assert PACKAGE["package_id"] in page
    assert "sohoa-handover" not in page
    assert "handover/" not in page


def test_receipts_read_the_archive_s_answers_from_the_history() -> None:
    history = [
        {"from_state": "accepted", "to_state": "packaged", "reason": "gói 1"},
        {
            "from_state": "packaged",
            "to_state": "described",
            "actor": "national-archive",
            "reason": "biên nhận BN-1: từ chối — METS.xml: thiếu chữ ký",
            "at": "2026-12-01T00:00:00+00:00",
        },
        {"from_state": "packaged", "to_state": "handed_over", "reason": "biên nhận BN-2"},
    ]
    assert receipts(history) == [
        Receipt(
            "BN-1", False, "national-archive", "2026-12-01T00:00:00+00:00", "METS.xml: thiếu chữ ký"
        ),
        Receipt("BN-2", True, "", "", ""),
    ]


def test_the_nghiệm_thu_of_one_hồ_sơ_sends_its_biên_bản(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "pheduyet", "mat-khau-3")
    page = browser.get(f"/ho-so/{FILE['file_code']}/kiem-tra")
    done = browser.post(
        f"/ho-so/{FILE['file_code']}/nghiem-thu",
        data={"csrf": csrf_of(page.text), "minutes_number": " 16/BB-NT ", "role": "Giám đốc"},
    )
    assert done.status_code == 303
    body = {"minutes_number": "16/BB-NT", "role": "Giám đốc"}
    assert [c for c in gateway.calls if c[0] == "POST"] == [
        ("POST", f"/files/{FILE['file_code']}/accept", {"params": {}, "body": body})
    ]


def test_tổng_quan_shows_the_ocr_queue_and_failures_and_an_approver_the_overdue_deliveries(
    browser: TestClient, gateway: FakeGateway
) -> None:
    for username, password, approver in (
        ("pheduyet", "mat-khau-3", True),
        ("luutru", "mat-khau-1", False),  # deliveries name restricted hồ sơ: approvers only
    ):
        browser.cookies.clear()
        gateway.calls.clear()
        sign_in(browser, username, password)
        page = browser.get("/tong-quan").text
        assert re.search(r'id="ocr-waiting">\s*17\s*<', page)
        assert re.search(r'id="ocr-failed">\s*3\s*<', page)
        assert "<code>ocr.unreadable-image</code></td><td>2</td>" in page
        assert "2026-12-03 01:02:03" in page  # since when the oldest page has waited
        asked = [c for c in gateway.calls if c[1] == "/deliveries"]
        overdue = re.findall(r'<tr class="overdue">\s*<td><a [^>]+>([^<]+)</a>', page)
        if approver:
            assert asked == [("GET", "/deliveries", {"overdue": "true"})]
            assert overdue == [OVERDUE["file_code"]]
            assert "đã gửi lại" in page
        else:
            assert asked == []
            assert OVERDUE["file_code"] not in page


def test_the_original_scan_is_shown_with_the_boxes_scaled_to_its_size(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}/trang/1", params={"anh": "goc"}).text
    # at 100 % the page is 760 px wide on screen: 1 520 of the original's 2 000 are fetched
    assert f'href="/ho-so/{FILE["file_code"]}/trang/1/anh?anh=goc&amp;w=1520"' in page
    assert 'viewBox="0 0 2000 2800"' in page  # the original's own size, twice the cleaned
    first = re.search(r'<rect id="w-0" [^>]*x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', page)
    assert first is not None
    assert first.groups() == ("20", "20", "100", "60")  # [10, 10, 60, 40] × 2
    assert "Ảnh đã xử lý</a>" in page  # the way back to the cleaned image
    cleaned = browser.get(f"/ho-so/{FILE['file_code']}/trang/1").text
    assert 'viewBox="0 0 1000 1400"' in cleaned
    assert '<rect id="w-0" data-w="0" class="word" x="10" y="10" width="50"' in cleaned
    assert f'href="/ho-so/{FILE["file_code"]}/trang/1/anh"' in cleaned  # 1 000 px: whole
    image = browser.get(f"/ho-so/{FILE['file_code']}/trang/1/anh", params={"anh": "goc"})
    assert image.status_code == 200
    assert gateway.calls[-1] == (
        "STREAM",
        f"/files/{FILE['file_code']}/page-image",
        {"sequence": 1, "variant": "original"},
    )
    preview = browser.get(f"/ho-so/{FILE['file_code']}/trang/1/anh", params={"w": 120})
    assert preview.status_code == 200
    assert gateway.calls[-1][2] == {"sequence": 1, "width": 120}
    zoomed = browser.get(f"/ho-so/{FILE['file_code']}/trang/1", params={"anh": "goc", "zoom": 300})
    assert f'href="/ho-so/{FILE["file_code"]}/trang/1/anh?anh=goc"' in zoomed.text  # 4 560 ≥ 2 000


def test_an_original_turned_for_ocr_is_shown_without_boxes_and_says_why(
    browser: TestClient, gateway: FakeGateway
) -> None:
    gateway.words = {**WORDS, "original": {"width": 1400, "height": 1000, "rotation": 90}}
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}/trang/1", params={"anh": "goc"}).text
    assert "<rect id=" not in page
    assert "xoay 90°" in page
    assert '<span id="t-1" data-w="1" class="word low">BAN</span>' in page  # the text stays


def test_an_original_turned_for_ocr_gets_its_boxes_through_the_map_ocr_kept(
    browser: TestClient, gateway: FakeGateway
) -> None:
    """The scan stored sideways (1400 × 1000) was turned 90° clockwise to be read: a word at
    the top left of the page image sits at the bottom left of the scan."""
    to_page = Affine.turned(90, 1400, 1000)
    sideways = {"width": 1400, "height": 1000, "rotation": 90, "to_page_image": [*to_page.values]}
    gateway.words = {**WORDS, "original": sideways}
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}/trang/1", params={"anh": "goc"}).text
    assert "xoay 90°" not in page
    assert 'viewBox="0 0 1400 1000"' in page
    assert '<rect id="w-0" data-w="0" class="word" x="10" y="940" width="30" height="50"' in page


def test_an_original_levelled_for_ocr_is_shown_without_boxes(
    browser: TestClient, gateway: FakeGateway
) -> None:
    gateway.words = {**WORDS, "original": {"width": 1000, "height": 1400, "skew": -1.2}}
    sign_in(browser, "luutru", "mat-khau-1")
    page = browser.get(f"/ho-so/{FILE['file_code']}/trang/1", params={"anh": "goc"}).text
    assert "<rect id=" not in page
    assert "nghiêng -1.2°" in page
    assert not Original.of({"original": {"width": 9, "height": 9, "skew": 0.3}}).aligned
    assert Original.of({"original": {"width": 9, "height": 9, "skew": 0.05}}).aligned


def test_the_viewer_fetches_a_preview_only_as_wide_as_the_catalogue_makes_them() -> None:
    assert ViewBox(100, 0).image_width(2480) == 1520
    assert ViewBox(300, 0).image_width(2480) is None  # 4 560 wanted: the whole 2 480
    assert ViewBox(300, 0).image_width(4961) is None  # a 600 dpi scan: never asks w=4560
    assert ViewBox(200, 0).image_width(4961) == 3040


def test_original_falls_back_to_the_cleaned_size_when_ingest_gave_none() -> None:
    assert Original.of({"width": 1000, "height": 1400}) == Original(1000, 1400, 0)
    assert Original.of({"original": {"width": 500, "height": 700, "rotation": 270}}) == Original(
        500, 700, 270
    )
    words = viewed_words(WORDS["words"])
    (moved, *_) = Original(500, 700).boxes(words, 1000, 1400)
    assert (moved.x, moved.y, moved.width, moved.height) == (5, 5, 25, 15)


def test_the_receipt_is_downloaded_as_the_gateway_gives_it(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "luutru", "mat-khau-1")
    answer = browser.get(f"/ho-so/{FILE['file_code']}/bien-nhan")
    assert answer.status_code == 200
    expected = f'attachment; filename="bien-nhan-{FILE["file_code"]}.json"'
    assert answer.headers["content-disposition"] == expected
    assert answer.json() == RECEIPT
    assert ("GET", f"/files/{FILE['file_code']}/receipt", {}) in gateway.calls


def test_a_batch_waits_out_the_rate_limit_instead_of_stopping_midway(
    browser: TestClient, gateway: FakeGateway
) -> None:
    sign_in(browser, "pheduyet", "mat-khau-3")
    desk = browser.get("/nghiem-thu")
    gateway.rate_limited = 2  # the gateway says 429 twice, then lets the call through
    browser.post(
        "/nghiem-thu",
        data={
            "csrf": csrf_of(desk.text),
            "file_code": [FILE["file_code"]],
            "minutes_number": "16/BB-NT",
            "role": "Giám đốc Sở Nội vụ",
        },
    )
    accepts = [c for c in gateway.calls if c[0] == "POST" and c[1].endswith("/accept")]
    assert len(accepts) == 3  # asked three times, accepted on the third
    rows = re.findall(r'<tr class="outcome (\w+)">', browser.get("/nghiem-thu").text)
    assert rows == ["accepted"]


def test_an_archivist_splits_and_merges_văn_bản_on_the_biên_mục_screen(
    browser: TestClient, gateway: FakeGateway
) -> None:
    gateway.file = {
        **FILE,
        "state": "digitized",
        "documents": [
            {"ordinal": 1, "first_page": 1, "last_page": 2, "subject": "Kế hoạch"},
            {"ordinal": 2, "first_page": 3, "last_page": 3, "subject": None},
        ],
    }
    sign_in(browser, "luutru", "mat-khau-1")
    screen = browser.get(f"/ho-so/{FILE['file_code']}/bien-muc")
    assert "Tách văn bản 1" in screen.text
    assert "Tách văn bản 2" not in screen.text  # one page: nothing to split
    assert "Gộp văn bản 1 với 2" in screen.text
    assert "Gộp văn bản 2 với 3" not in screen.text  # the last has no next
    token = csrf_of(screen.text)
    path = f"/ho-so/{FILE['file_code']}"
    split = browser.post(f"{path}/van-ban/1/tach", data={"csrf": token, "at_page": "2"})
    merged = browser.post(f"{path}/van-ban/1/gop", data={"csrf": token})
    assert (split.status_code, merged.status_code) == (303, 303)
    sent = [c for c in gateway.calls if c[0] == "POST"]
    assert sent == [
        (
            "POST",
            f"/files/{FILE['file_code']}/documents/1/split",
            {"params": {}, "body": {"at_page": 2}},
        ),
        ("POST", f"/files/{FILE['file_code']}/documents/1/merge", {"params": {}, "body": None}),
    ]
    refused = browser.post(f"{path}/van-ban/1/tach", data={"csrf": "sai", "at_page": "2"})
    assert refused.status_code in (400, 403)
    assert len([c for c in gateway.calls if c[0] == "POST"]) == 2  # a forged form sends nothing
