"""The public API of sohoa (``/api/v1``): every call needs an API key in ``X-API-Key`` or an
access token in ``Authorization: Bearer`` (:mod:`services.gateway.callers`).

The gateway forwards: each public route is one row of :data:`ROUTES` (method, path, the
internal service that answers it, the body it takes). It validates the mã hồ sơ in the path,
names the calling client and the acting person to the service, and streams bodies through.
The person is the one a person's token names, or else ``X-Acting-Person`` (UTF-8,
percent-encoded when not ASCII).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response

from services.gateway.adapters import Upstream
from services.gateway.callers import (
    ActingPersonHeader,
    Authenticated,
    forwarded_person,
    require,
)
from services.gateway.domain import BodyTooLarge, public_only
from services.gateway.identity import Caller
from shared.http import CORRELATION_HEADER, correlation_id
from shared.text import nfc, validate_file_code

router = APIRouter(prefix="/api/v1")
AUDIENCE_HEADER = "x-sohoa-audience"  # "public": the services hide restricted hồ sơ
FILE_ROUTE = "/files/{file_code}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable and machine-readable, other "
    "members (`errors`, `state`, `allowed`, `required_role`, …) depend on the code",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string", "description": "tiếng Việt, for people"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "examples": ["catalogue.illegal-transition"]},
    },
    "additionalProperties": True,
}


PROBLEM_MEDIA = "application/problem+json"


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA: {"schema": PROBLEM_REF}}}


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: _problem("a body or parameter that cannot be read (request.malformed, …-empty-…)"),
    401: _problem(
        "no credentials, or a wrong, expired or revoked key or token (auth.missing-api-key, "
        "auth.invalid-api-key, auth.key-expired, auth.key-revoked, auth.invalid-token, "
        "auth.token-expired)"
    ),
    403: _problem("the client lacks the role this needs (auth.forbidden, required_role)"),
    404: _problem("no such hồ sơ, văn bản or phông"),
    409: _problem("the step is not allowed now; the body names the state and why"),
    413: _problem("the body is over its limit (gateway.body-too-large, …-too-large)"),
    415: _problem("a body of a kind this operation does not take"),
    422: _problem("invalid request, element or mã hồ sơ (request.invalid, …)"),
    429: _problem("past the client's rate (gateway.rate-limited); see Retry-After"),
    503: _problem("an internal service is unavailable (gateway.upstream-unavailable)"),
    504: _problem("an internal service did not answer in time (gateway.upstream-timeout)"),
}


Content = dict[str, dict[str, Any]]
OBJECT: Content = {"application/json": {"schema": {"type": "object"}}}
LIST: Content = {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}
JSON = OBJECT  # a JSON body: one object
IMAGE: Content = {
    media: {"schema": {"type": "string", "format": "binary"}}
    for media in ("image/tiff", "image/jpeg", "image/png", "image/jp2", "application/pdf")
}
SCANS: Content = {  # one image as the body, or many as the file parts of a form
    **IMAGE,
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "description": "every part a file (any field name), one page scan each, in order",
            "properties": {
                "page": {"type": "array", "items": {"type": "string", "format": "binary"}}
            },
        }
    },
}
SHEET: Content = {
    media: {"schema": {"type": "string", "format": "binary"}} for media in (XLSX, "text/csv")
}
OBJECT_OR_SHEET: Content = {**OBJECT, XLSX: SHEET[XLSX]}
ZIP: Content = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
JPEG: Content = {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}
CREATED = {200: OBJECT, 201: OBJECT}  # 201 created; 200 the same thing was there already
EXAMPLE_FILE = "H49.64.33.2024.01.VP"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # public path under /api/v1; the service's own path is the same
    service: str
    summary: str
    body: Content | None = None  # the media types the body may have; None: no body
    description: str = ""
    body_required: bool = True
    answers: Mapping[int, Content] = field(default_factory=lambda: {200: OBJECT})
    example: Mapping[str, Any] | None = None  # a body in Vietnamese, for people and fuzzers


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/inventory-imports",
        "catalogue",
        "Nhập mục lục hồ sơ (.xlsx, .csv): ?dry_run=true reports; a real run is all or nothing",
        SHEET,
        "Returns `{rows, accepted, refused: [{row, column, cell, code, detail}], …}`. "
        "`?fonds=` names the phông of rows without one; `?agency=` the mã cơ quan of codes.",
    ),
    Route(
        "POST",
        "/files",
        "catalogue",
        "Register a hồ sơ (from the mục lục hồ sơ)",
        JSON,
        "Body: `file_code`, `title`, `number_of_page`, optional `metadata`, and any TT 05/2025 "
        "element at the top level by its name (`maintenance`, `mode`, `language`, `startDate`, "
        "`endDate`, `numberOfPaper`, `totalDoc`, …). 201 registered; 200 registered identically "
        "before; 409 catalogue.file-exists otherwise.",
        answers=CREATED,
        example={
            "file_code": EXAMPLE_FILE,
            "title": "Báo cáo kết quả chỉnh lý tài liệu tồn đọng năm 2024",
            "number_of_page": 3,
            "maintenance": "01",
            "mode": "01",
            "language": "01",
            "startDate": "01/2024",
            "endDate": "12/2024",
        },
    ),
    Route(
        "GET",
        "/files",
        "catalogue",
        "List hồ sơ (?fonds, state, year_from, year_to, type_name, mode, group, cursor, limit); "
        "?format=xlsx exports the whole filtered list",
        answers={200: OBJECT_OR_SHEET},
    ),
    Route(
        "GET",
        "/files/{file_code}",
        "catalogue",
        "A hồ sơ: state, TT 05 elements, văn bản, pages, history",
    ),
    Route(
        "PATCH",
        "/files/{file_code}",
        "catalogue",
        "Biên mục: change hồ sơ elements",
        JSON,
        example={"format": "01", "paperFileCode": "TTLT.K1.G3.H12.01", "totalDoc": 1},
    ),
    Route(
        "POST",
        "/files/{file_code}/selection",
        "catalogue",
        "Lựa chọn: criteria 1–4 with evidence (→ selected)",
        JSON,
        example={"criteria": [{"code": 1, "evidence": "Thời hạn bảo quản vĩnh viễn"}]},
    ),
    Route(
        "POST",
        "/selection-decisions",
        "catalogue",
        "Phê duyệt danh mục: number, date, signer, file_codes (→ approved)",
        JSON,
        answers=CREATED,
        example={
            "number": "103/QĐ-SNV",
            "date": "2026-03-05",
            "signer": "Lê Văn Hân",
            "file_codes": [EXAMPLE_FILE],
        },
    ),
    Route(
        "POST",
        "/files/{file_code}/arrangement",
        "catalogue",
        "Chỉnh lý hoàn chỉnh confirmed (`confirmed_by`, tờ/trang counts): opens digitizing",
        JSON,
        example={"confirmed_by": "Phạm Thị Chỉnh", "numberOfPaper": 2, "numberOfPage": 3},
    ),
    Route(
        "POST",
        "/files/{file_code}/pages",
        "ingest",
        "Upload a page scan (TIFF, JPEG, PNG, JPEG 2000), a multi-page TIFF/PDF, or many scans "
        "(multipart)",
        SCANS,
        "The body is the file, streamed to ingest; `?sequence=` sets the (first) page number, "
        "`?filename=`, `?paper=`, `?colour=`, `?station=`, `?operator=`, `?batch=` describe it. "
        "Checked against the scanning rules before anything is stored (422 with the rule's "
        "code); at a page sent back for re-scan it becomes a new version. 409 "
        "`ingest.file-not-open` unless the hồ sơ is approved and fully arranged. A "
        "`multipart/form-data` body (`curl -F page=@0001.tif -F page=@0002.tif`) is passed "
        "through as it streams: each file part is one page, numbered on in part order, all "
        "taken or none (a refusal names its `part` and `file_name`); it answers `{pages: […]}`.",
        answers=CREATED,
    ),
    Route(
        "POST",
        "/files/{file_code}/batches/{batch_id}/close",
        "ingest",
        "Close a đợt quét: gaps, duplicates and extras against the declared pages",
    ),
    Route(
        "GET",
        "/files/{file_code}/pages",
        "ingest",
        "Pages received for a hồ sơ",
        answers={200: LIST},
    ),
    Route(
        "GET",
        "/files/{file_code}/page-image",
        "catalogue",
        "The cleaned image (JPEG) of page ?sequence=N, as OCR read it (the page viewer)",
        description="`?variant=original` answers the scan as stored instead: JPEG and PNG as "
        "they are, TIFF and JPEG 2000 as a JPEG at most 3508 px on the long side. "
        "`page-words` gives its size (`original`) to lay the word boxes over it.",
        answers={200: {**JPEG, "image/png": JPEG["image/jpeg"]}},
    ),
    Route(
        "GET",
        "/files/{file_code}/page-words",
        "catalogue",
        "The words OCR read on page ?sequence=N, each with its box and confidence (from hOCR)",
    ),
    Route(
        "GET",
        "/files/{file_code}/scanning",
        "ingest",
        "Whether ingest takes scans of this hồ sơ now (its view of the catalogue's events)",
    ),
    Route(
        "PUT",
        "/files/{file_code}/documents/{ordinal}",
        "catalogue",
        "Biên mục of one văn bản: TT 05 elements and page range {first_page, last_page}",
        JSON,
        example={
            "first_page": 1,
            "last_page": 3,
            "typeName": "Báo cáo",
            "codeNumber": "12",
            "codeNotation": "BC-VP",
            "issuedDate": "15/06/2024",
            "organName": "Văn phòng Ủy ban nhân dân tỉnh",
            "subject": "Kết quả chỉnh lý tài liệu tồn đọng năm 2024",
            "signerName": "Nguyễn Văn An",
        },
    ),
    Route("DELETE", "/files/{file_code}/documents/{ordinal}", "catalogue", "Remove a văn bản"),
    Route(
        "POST",
        "/files/{file_code}/documents/{ordinal}/split",
        "catalogue",
        "Tách văn bản: it becomes two, the second from `at_page`; those after are numbered up",
        JSON,
        description="The second văn bản takes nothing of the first's description (it is "
        "another document, to be described); 422 `catalogue.invalid-field` unless `at_page` "
        "is a page of the văn bản after its first.",
        example={"at_page": 3},
    ),
    Route(
        "POST",
        "/files/{file_code}/documents/{ordinal}/merge",
        "catalogue",
        "Gộp văn bản: it and the next become one, its description kept; those after move down",
    ),
    Route(
        "GET",
        "/files/{file_code}/suggestions",
        "catalogue",
        "Biên mục tự động: văn bản and fields read from the pages, with confidence and boxes",
    ),
    Route(
        "POST",
        "/files/{file_code}/suggestions",
        "catalogue",
        "Read the pages again and replace the suggestions",
    ),
    Route(
        "POST",
        "/files/{file_code}/documents/{ordinal}/confirmation",
        "catalogue",
        "Confirm or correct a suggested văn bản; the corrections are kept as ground truth",
        JSON,
        example={"fields": {"subject": "Kết quả chỉnh lý tài liệu tồn đọng năm 2024"}},
    ),
    Route(
        "GET",
        "/suggestions/accuracy",
        "catalogue",
        "How often each suggested field was confirmed unchanged",
    ),
    Route(
        "POST",
        "/files/{file_code}/description",
        "catalogue",
        "Biên mục done (→ described), or 409 listing the missing elements",
    ),
    Route(
        "GET",
        "/files/{file_code}/checks",
        "catalogue",
        "Kiểm tra without signing it off",
        answers={200: LIST},
    ),
    Route(
        "POST",
        "/files/{file_code}/verification",
        "catalogue",
        "Kiểm tra signed off (→ verified), or 409 with the findings; optional waivers",
        JSON,
        body_required=False,
        example={"waivers": [{"check": "colour-depth", "reason": "ảnh mẫu thang xám"}]},
    ),
    Route(
        "GET",
        "/files/{file_code}/verifications",
        "catalogue",
        "Every kiểm tra run of a hồ sơ",
        answers={200: LIST},
    ),
    Route(
        "POST",
        "/files/{file_code}/rescan-requests",
        "catalogue",
        "Quét lại: pages [{sequence, reason}] (→ rescan_requested)",
        JSON,
        example={"pages": [{"sequence": 1, "reason": "ảnh mờ, mất chữ ở lề phải"}]},
    ),
    Route(
        "POST",
        "/files/{file_code}/accept",
        "catalogue",
        "Nghiệm thu (→ accepted; 409 unless verified); then it is packaged for handover",
        JSON,
        body_required=False,
        example={"minutes_number": "01/BB-NT", "role": "Giám đốc Sở Nội vụ"},
    ),
    Route(
        "POST",
        "/acceptances",
        "catalogue",
        "Nghiệm thu of a batch under one biên bản: minutes_number, role, file_codes",
        JSON,
        answers={201: OBJECT},
        example={
            "minutes_number": "02/BB-NT",
            "role": "Giám đốc Sở Nội vụ",
            "file_codes": [EXAMPLE_FILE],
        },
    ),
    Route(
        "GET",
        "/files/{file_code}/package",
        "handover",
        "The handover package (BagIt, SHA-256) of a hồ sơ",
    ),
    Route(
        "GET",
        "/files/{file_code}/package/download",
        "handover",
        "Download the newest handover package (zip) of a hồ sơ",
        answers={200: ZIP},
    ),
    Route(
        "GET",
        "/files/{file_code}/receipt",
        "handover",
        "The national archive's receipt (biên nhận) for the hồ sơ's package",
        description="The newest answered delivery: `receipt_id`, `accepted`, `reasons` (one "
        "per finding when refused), `receiver`, `answered_at`, and the package's SHA-256 as "
        "the archive received it beside the one sohoa recorded. 404 "
        "`handover.receipt-not-found` until the archive has answered.",
    ),
    Route("GET", "/fonds", "catalogue", "Every phông", answers={200: LIST}),
    Route("GET", "/fonds/{code}", "catalogue", "One phông"),
    Route(
        "PUT",
        "/fonds/{code}",
        "catalogue",
        "Record a phông's TT 05 data",
        JSON,
        answers=CREATED,
        example={
            "name": "Ủy ban nhân dân tỉnh Trà Vinh",
            "status": "closed",
            "agencyCode": "H49.64.33",
        },
    ),
    Route(
        "GET",
        "/reports/progress",
        "catalogue",
        "Tiến độ by state, phông, year and day against the plan (?format=json|xlsx)",
        answers={200: OBJECT_OR_SHEET},
    ),
    Route(
        "GET",
        "/reports/annual",
        "catalogue",
        "Báo cáo hằng năm for Bộ Nội vụ, due before 1 December (?year=YYYY&format=json|xlsx)",
        answers={200: OBJECT_OR_SHEET},
    ),
    Route(
        "GET",
        "/reports/selection",
        "catalogue",
        "Danh mục lựa chọn statistics by phông and group (?format=json|xlsx)",
        answers={200: OBJECT_OR_SHEET},
    ),
    Route("GET", "/search", "catalogue", "Search page text; diacritics optional (không dấu)"),
    Route(
        "GET",
        "/packages/{package_id}/download",
        "handover",
        "Download a handover package (zip), streamed, with the token package-ready announced",
        description="`?token=` is the signed, short-lived token of the `download_url` in "
        "`package-ready`; a wrong or expired one is 403 `handover.download-refused`. The zip "
        "passes through the gateway as it is read, in constant memory.",
        answers={200: ZIP},
    ),
    # --- deliveries to the national archive (issue 15: Tổng quan's overdue deliveries) ------
    Route(
        "GET",
        "/deliveries",
        "handover",
        "Deliveries of packages to the national archive and their receipts (?overdue=true)",
        description="One per package: `state` (pending, received, re-delivered, accepted, "
        "rejected), `attempts`, `first_sent_at`, `last_sent_at`, `receipt_id`, `reasons`, and "
        "`overdue` once unanswered past `SOHOA_HANDOVER_OVERDUE_AFTER_SECONDS`. It names hồ sơ "
        "of every chế độ sử dụng, so it is the approver's, not a partner's read.",
        answers={200: LIST},
    ),
)


Client = Authenticated
Person = ActingPersonHeader


async def _forward(
    request: Request, route: Route, client: Caller, person: str | None, path: str
) -> Response:
    require(client, route.method, route.path)
    request.app.state.limiter.check(client.client, time.monotonic())
    headers = {CORRELATION_HEADER: correlation_id(request), "x-sohoa-actor": client.client}
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    if public_only(client.roles):
        headers[AUDIENCE_HEADER] = "public"
        if route.path.startswith(f"{FILE_ROUTE}/"):
            # Pages, package, checks … of a restricted hồ sơ are as absent as the hồ sơ: the
            # catalogue, which knows its chế độ sử dụng, answers for it first.
            file_path = "/".join(path.split("/")[:3])
            shown = await upstreams["catalogue"].forward(
                "GET", f"/api/v1{file_path}", params={}, headers=headers, stream=False
            )
            if shown.status_code != 200:
                return shown
    if (encoded := forwarded_person(client, person)) is not None:
        headers["x-sohoa-person"] = encoded
    with_body = route.body is not None
    if with_body and "content-type" in request.headers:
        headers["content-type"] = request.headers["content-type"]
    return await upstreams[route.service].forward(
        request.method,
        f"/api/v1{path}",
        params=dict(request.query_params),
        headers=headers,
        body=_limited(request, route) if with_body else None,
    )


async def _limited(request: Request, route: Route) -> AsyncIterator[bytes]:
    """The body streamed through; a JSON body is cut off with 413 past ``max_json_bytes``
    (images and spreadsheets have their own limits in the services that take them)."""
    limit: int | None = None
    if route.body is JSON:
        limit = request.app.state.settings.max_json_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(f"nội dung JSON tối đa {limit} byte")
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if limit is not None and seen > limit:
            raise BodyTooLarge(f"nội dung JSON tối đa {limit} byte")
        yield chunk


Endpoint = Callable[..., Coroutine[Any, Any, Response]]
FileCodePath = Annotated[
    str, Path(description="mã hồ sơ, e.g. H49.64.33.2001.160", examples=[EXAMPLE_FILE])
]
OrdinalPath = Annotated[
    int,
    # The catalogue keeps ordinals in an INTEGER column: a larger one is 422 here, not a 500
    # from the database behind (schemathesis found 10³³).
    Path(le=2**31 - 1, description="thứ tự văn bản trong hồ sơ", examples=[1]),
]


def _endpoint(route: Route) -> Endpoint:
    """One forwarding function per path shape, so the OpenAPI names each path parameter."""
    if "{ordinal}" in route.path:

        async def document(
            file_code: FileCodePath,
            ordinal: OrdinalPath,
            request: Request,
            client: Client,
            person: Person = None,
        ) -> Response:
            path = route.path.format(file_code=validate_file_code(file_code), ordinal=ordinal)
            return await _forward(request, route, client, person, path)

        return document
    if "{batch_id}" in route.path:

        async def batch(
            file_code: FileCodePath,
            batch_id: Annotated[str, Path(max_length=100, description="mã đợt quét")],
            request: Request,
            client: Client,
            person: Person = None,
        ) -> Response:
            path = route.path.format(
                file_code=validate_file_code(file_code), batch_id=quote(nfc(batch_id), safe="")
            )
            return await _forward(request, route, client, person, path)

        return batch
    if "{file_code}" in route.path:

        async def file(
            file_code: FileCodePath, request: Request, client: Client, person: Person = None
        ) -> Response:
            path = route.path.format(file_code=validate_file_code(file_code))
            return await _forward(request, route, client, person, path)

        return file
    if "{package_id}" in route.path:

        async def package(
            package_id: uuid.UUID,
            token: Annotated[str, Query(max_length=200, description="from the download_url")],
            request: Request,
            client: Client,
            person: Person = None,
        ) -> Response:
            path = route.path.format(package_id=package_id)
            return await _forward(request, route, client, person, path)

        return package
    if "{code}" in route.path:

        async def fonds(
            code: Annotated[str, Path(max_length=50, description="mã phông")],
            request: Request,
            client: Client,
            person: Person = None,
        ) -> Response:
            return await _forward(
                request, route, client, person, route.path.format(code=quote(nfc(code)))
            )

        return fonds

    async def plain(request: Request, client: Client, person: Person = None) -> Response:
        return await _forward(request, route, client, person, route.path)

    return plain


def _operation_id(route: Route) -> str:
    words = [w.strip("{}") for w in route.path.split("/") if w]
    return "_".join([route.method.lower(), *words]).replace("-", "_")


def _request_body(route: Route, content: Content) -> dict[str, Any]:
    if route.example is not None:
        content = {media: {**spec, "example": route.example} for media, spec in content.items()}
    return {"required": route.body_required, "content": content}


def document(openapi: dict[str, Any]) -> dict[str, Any]:
    """The gateway's OpenAPI document completed with what FastAPI cannot derive from the
    forwarding routes: the problem schema every error answers with."""
    openapi.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    return openapi


for _route in ROUTES:
    extra: dict[str, Any] = {}
    if _route.body is not None:
        extra["requestBody"] = _request_body(_route, _route.body)
    router.add_api_route(
        _route.path,
        _endpoint(_route),
        methods=[_route.method],
        summary=_route.summary,
        description=_route.description or None,
        operation_id=_operation_id(_route),
        openapi_extra=extra or None,
        status_code=min(_route.answers),
        responses={
            **{status: {"description": "OK", "content": c} for status, c in _route.answers.items()},
            **PROBLEMS,
        },
    )
