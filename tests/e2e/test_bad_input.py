"""Bad input gets a clear 4xx with a machine-readable code, and loses nothing stored before.
Uploads stream: neither the gateway nor ingest holds a whole upload in memory, one image or
many in a multipart request."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.ops.demo import open_for_scanning, wait_until
from services.ops.stack import LocalStack
from tests.support.ingest import bomb_png, image_bytes, pdf_bytes, png_declaring
from tests.support.originals import original_of

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.BAD"


def _upload(
    client: httpx.Client, body: bytes, *, sequence: int = 2, file_code: str = FILE_CODE
) -> httpx.Response:
    return client.post(
        f"/api/v1/files/{file_code}/pages",
        params={"sequence": sequence},
        content=body,
        headers={"content-type": "image/png"},
    )


@pytest.fixture(scope="module")
def open_file(stack: LocalStack) -> str:
    """The hồ sơ of these tests, registered and open for scanning."""
    with httpx.Client(
        base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=60
    ) as client:
        registered = client.post(
            "/api/v1/files", json={"file_code": FILE_CODE, "title": "Ảnh hỏng", "number_of_page": 9}
        )
        assert registered.status_code == 201, registered.text
        open_for_scanning(client, FILE_CODE, pages=9)
    return FILE_CODE


@pytest.fixture
def stored_page(
    open_file: str, client: httpx.Client, scans: tuple[str, list[Path]]
) -> dict[str, object]:
    """One good page stored before any bad input arrives."""
    _title, paths = scans
    response = _upload(client, paths[0].read_bytes(), sequence=1)
    assert response.status_code in (200, 201)
    page: dict[str, object] = response.json()
    return page


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]


def test_scans_of_a_file_not_approved_and_arranged_are_refused(
    client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    """The scanning gate: ingest refuses, from its own view of the catalogue's events."""
    code = "H49.64.33.2024.CLOSED"
    registered = client.post(
        "/api/v1/files", json={"file_code": code, "title": "Chưa duyệt", "number_of_page": 1}
    )
    assert registered.status_code == 201, registered.text
    body = scans[1][0].read_bytes()

    def announced() -> dict[str, object] | None:
        response = client.get(f"/api/v1/files/{code}/scanning")
        return response.json() if response.status_code == 200 else None

    wait_until(announced, timeout=60, what="ingest to hear of the registration")
    refused = _upload(client, body, sequence=1, file_code=code)
    _assert_problem(refused, 409, "ingest.file-not-open")
    assert refused.json()["state"] == "inventoried"
    _assert_problem(
        _upload(client, body, sequence=1, file_code="H49.64.33.2024.NOWHERE"),
        404,
        "ingest.file-unknown",
    )
    assert client.get(f"/api/v1/files/{code}/pages").json() == []
    assert client.get(f"/api/v1/files/{code}").json()["pages"] == []


def _assert_nothing_lost(
    stack: LocalStack, client: httpx.Client, page: dict[str, object], original: bytes
) -> None:
    pages = client.get(f"/api/v1/files/{FILE_CODE}/pages").json()
    assert [(p["sequence"], p["sha256"]) for p in pages] == [(1, page["sha256"])]
    stored = stack.objects_dir / "originals" / original_of(page)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(original).hexdigest()


def test_corrupt_image_is_refused(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
) -> None:
    good = scans[1][0].read_bytes()
    truncated = good[: len(good) // 3]  # a PNG cut off mid-stream
    _assert_problem(_upload(client, truncated), 422, "ingest.corrupt-image")
    _assert_problem(
        _upload(client, b"\x89PNG\r\n\x1a\n" + os.urandom(4000)), 422, "ingest.corrupt-image"
    )
    _assert_nothing_lost(stack, client, stored_page, good)


def test_unknown_file_type_is_refused(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
) -> None:
    _assert_problem(
        _upload(client, b"GIF89a\x01\x00\x01\x00 not a scanning format"),
        415,
        "ingest.unsupported-media-type",
    )
    _assert_problem(  # a PDF is a scanning format, so a broken one is corrupt
        _upload(client, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 not a document"),
        422,
        "ingest.corrupt-image",
    )
    _assert_problem(_upload(client, "Hồ sơ lưu trữ".encode()), 415, "ingest.unsupported-media-type")
    _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


def test_empty_upload_and_taken_sequence_are_refused(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
) -> None:
    _assert_problem(_upload(client, b""), 400, "ingest.empty-upload")
    other = scans[1][1].read_bytes()
    _assert_problem(_upload(client, other, sequence=1), 409, "ingest.sequence-taken")
    _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


# Each bad scan, through the gateway: its own code, nothing stored, the service still serving.
# (8-bit greyscale is refused only where a fonds' rules say so: see tests/unit/test_ingest_rules.)
BAD_SCANS: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("truncated JPEG", image_bytes("JPEG")[:5000], {}, 422, "ingest.corrupt-image"),
    (
        "wrong extension",
        image_bytes("JPEG"),
        {"filename": "2.png"},
        415,
        "ingest.extension-mismatch",
    ),
    ("decompression bomb", bomb_png(), {}, 422, "ingest.decompression-bomb"),
    (
        "30000 × 30000 px",
        png_declaring(30000, 30000, os.urandom(14_000_000)),
        {},
        422,
        "ingest.image-too-large",
    ),
    ("72 dpi", image_bytes(size=(595, 842), dpi=72), {}, 422, "ingest.resolution-too-low"),
    ("CMYK TIFF", image_bytes("TIFF", mode="CMYK"), {}, 422, "ingest.colour-mode-unsupported"),
    ("PDF with no pages", pdf_bytes(pages=0), {}, 422, "ingest.pdf-no-pages"),
    ("encrypted PDF", pdf_bytes(encrypted=True), {}, 422, "ingest.pdf-encrypted"),
    ("path traversal", image_bytes(), {"filename": "../../2.png"}, 400, "ingest.unsafe-file-name"),
]


@pytest.mark.parametrize(
    ("body", "params", "status", "code"), [c[1:] for c in BAD_SCANS], ids=[c[0] for c in BAD_SCANS]
)
def test_a_scan_against_the_rules_is_refused_with_its_code(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
    body: bytes,
    params: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = client.post(
        f"/api/v1/files/{FILE_CODE}/pages", params={"sequence": 2, **params}, content=body
    )
    _assert_problem(response, status, code)
    _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())
    assert httpx.get(f"{stack.services['ingest'].url}/ready").status_code == 200


def test_missing_or_wrong_api_key_is_refused(
    stack: LocalStack, stored_page: dict[str, object], scans: tuple[str, list[Path]]
) -> None:
    body = scans[1][1].read_bytes()
    url = f"{stack.gateway_url}/api/v1/files/{FILE_CODE}/pages"
    _assert_problem(httpx.post(url, content=body), 401, "auth.missing-api-key")
    wrong = {"X-API-Key": "x" * 40}
    _assert_problem(httpx.post(url, content=body, headers=wrong), 401, "auth.invalid-api-key")
    _assert_problem(
        httpx.get(f"{stack.gateway_url}/api/v1/search?q=a", headers=wrong),
        401,
        "auth.invalid-api-key",
    )
    with httpx.Client(base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}) as client:
        _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


def test_an_internal_service_refuses_what_the_gateway_did_not_sign(
    stack: LocalStack, stored_page: dict[str, object], scans: tuple[str, list[Path]]
) -> None:
    """Reaching a service past the gateway, even naming a client and person, gets nothing."""
    forged = {"x-sohoa-actor": "demo", "x-sohoa-person": "K%E1%BA%BB%20gi%E1%BA%A3"}
    for name, method, path in (
        ("catalogue", "GET", "/api/v1/files"),
        ("catalogue", "POST", f"/api/v1/files/{FILE_CODE}/accept"),
        ("ingest", "POST", f"/api/v1/files/{FILE_CODE}/pages"),
        ("handover", "GET", f"/api/v1/files/{FILE_CODE}/package"),
    ):
        url = f"{stack.services[name].url}{path}"
        _assert_problem(httpx.request(method, url, headers=forged), 401, "auth.not-from-gateway")
        stale = {**forged, "x-sohoa-service-token": "v1.1000000000." + "0" * 64}
        _assert_problem(httpx.request(method, url, headers=stale), 401, "auth.not-from-gateway")
        assert httpx.get(f"{stack.services[name].url}/ready").status_code == 200  # probes open
    with httpx.Client(base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}) as client:
        _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


@pytest.mark.parametrize("file_code", ["H49..160", "H49 160", "H49.160.", "-H49", "x" * 101])
def test_malformed_file_code_is_refused(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
    file_code: str,
) -> None:
    response = _upload(client, scans[1][1].read_bytes(), file_code=file_code)
    _assert_problem(response, 422, "file-code.invalid")
    registered = client.post(
        "/api/v1/files", json={"file_code": file_code, "title": "x", "number_of_page": 1}
    )
    _assert_problem(registered, 422, "request.invalid")
    _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


def _peak_rss_kib(stack: LocalStack, service: str) -> int:
    process = stack.services[service].process
    assert process is not None
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def test_a_large_upload_streams_through_gateway_and_ingest(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
) -> None:
    """200 MiB that claim to be a PNG: refused after spooling, with flat memory on the way."""
    size = 200 * 1024 * 1024

    def chunks() -> Iterator[bytes]:
        yield b"\x89PNG\r\n\x1a\n"
        block = os.urandom(1024 * 1024)
        for _ in range(size // len(block)):
            yield block

    before = {name: _peak_rss_kib(stack, name) for name in ("gateway", "ingest")}
    response = client.post(
        f"/api/v1/files/{FILE_CODE}/pages",
        params={"sequence": 9},
        content=chunks(),
        headers={"content-type": "image/png"},
    )
    _assert_problem(response, 422, "ingest.corrupt-image")
    for name, peak in before.items():
        grown_mib = (_peak_rss_kib(stack, name) - peak) / 1024
        assert grown_mib < 64, f"{name} peak memory grew {grown_mib:.0f} MiB for a 200 MiB upload"
    _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


def test_a_large_multipart_upload_streams_through_gateway_and_ingest(
    stack: LocalStack,
    client: httpx.Client,
    stored_page: dict[str, object],
    scans: tuple[str, list[Path]],
) -> None:
    """A good page and 200 MiB that claim to be a PNG as the parts of one multipart request:
    both pass the gateway and are spooled by ingest with flat memory, and the bad second part
    refuses the first too."""
    boundary = os.urandom(16).hex()
    good = scans[1][1].read_bytes()

    def part(name: str) -> bytes:
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="page"; filename="{name}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()

    def chunks() -> Iterator[bytes]:
        yield part("0008.png") + good + b"\r\n"
        yield part("0009.png") + b"\x89PNG\r\n\x1a\n"
        block = os.urandom(1024 * 1024)
        for _ in range(200):
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    before = {name: _peak_rss_kib(stack, name) for name in ("gateway", "ingest")}
    response = client.post(
        f"/api/v1/files/{FILE_CODE}/pages",
        params={"sequence": 8},
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    _assert_problem(response, 422, "ingest.corrupt-image")
    assert (response.json()["part"], response.json()["file_name"]) == (2, "0009.png")
    for name, peak in before.items():
        grown_mib = (_peak_rss_kib(stack, name) - peak) / 1024
        assert grown_mib < 64, f"{name} peak memory grew {grown_mib:.0f} MiB for a 200 MiB upload"
    _assert_nothing_lost(stack, client, stored_page, scans[1][0].read_bytes())


def test_many_pages_in_one_multipart_request_through_the_gateway(
    client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    """The sample's three pages in one request (as `curl -F page=@… -F page=@…` sends them):
    pages 1–3 in part order, and the same request again is answered 200 with the same pages."""
    code = "H49.64.33.2024.MULTI"
    registered = client.post(
        "/api/v1/files", json={"file_code": code, "title": "Nhiều trang", "number_of_page": 3}
    )
    assert registered.status_code == 201, registered.text
    open_for_scanning(client, code, pages=3)
    _title, paths = scans
    files = [("page", (path.name, path.read_bytes(), "image/png")) for path in paths]
    taken = client.post(f"/api/v1/files/{code}/pages", params={"station": "T2"}, files=files)
    assert taken.status_code == 201, taken.text
    pages = taken.json()["pages"]
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in paths]
    assert [(p["sequence"], p["sha256"]) for p in pages] == list(enumerate(digests, start=1))
    again = client.post(f"/api/v1/files/{code}/pages", params={"station": "T2"}, files=files)
    assert again.status_code == 200, again.text
    assert not {"object_key", "container_key"} & pages[0].keys()  # no storage names out
    fields = ("page_id", "sequence", "sha256", "station")
    assert [[p[f] for f in fields] for p in again.json()["pages"]] == [
        [p[f] for f in fields] for p in pages
    ]
    listed = client.get(f"/api/v1/files/{code}/pages").json()
    assert [p["page_id"] for p in listed] == [p["page_id"] for p in pages]
