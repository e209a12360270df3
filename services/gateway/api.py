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
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response

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
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "no credentials, or a wrong, expired or revoked key or token "
        "(auth.missing-api-key, auth.invalid-api-key, auth.key-expired, auth.key-revoked, "
        "auth.invalid-token, auth.token-expired)"
    },
    403: {"description": "the client lacks the role this needs (auth.forbidden, required_role)"},
    404: {"description": "no such hồ sơ, văn bản or phông"},
    409: {"description": "the step is not allowed now; the body names the state and why"},
    422: {"description": "invalid request, element or mã hồ sơ (request.invalid, …)"},
    503: {"description": "an internal service is unavailable (gateway.upstream-unavailable)"},
}


Content = dict[str, dict[str, Any]]
JSON: Content = {"application/json": {"schema": {"type": "object"}}}
IMAGE: Content = {
    media: {"schema": {"type": "string", "format": "binary"}}
    for media in ("image/tiff", "image/jpeg", "image/png", "image/jp2", "application/pdf")
}
SHEET: Content = {
    media: {"schema": {"type": "string", "format": "binary"}} for media in (XLSX, "text/csv")
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # public path under /api/v1; the service's own path is the same
    service: str
    summary: str
    body: Content | None = None  # the media types the body may have; None: no body
    description: str = ""
    body_required: bool = True


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
    ),
    Route(
        "GET",
        "/files",
        "catalogue",
        "List hồ sơ (?fonds, state, year_from, year_to, type_name, mode, group, cursor, limit); "
        "?format=xlsx exports the whole filtered list",
    ),
    Route(
        "GET",
        "/files/{file_code}",
        "catalogue",
        "A hồ sơ: state, TT 05 elements, văn bản, pages, history",
    ),
    Route("PATCH", "/files/{file_code}", "catalogue", "Biên mục: change hồ sơ elements", JSON),
    Route(
        "POST",
        "/files/{file_code}/selection",
        "catalogue",
        "Lựa chọn: criteria 1–4 with evidence (→ selected)",
        JSON,
    ),
    Route(
        "POST",
        "/selection-decisions",
        "catalogue",
        "Phê duyệt danh mục: number, date, signer, file_codes (→ approved)",
        JSON,
    ),
    Route(
        "POST",
        "/files/{file_code}/arrangement",
        "catalogue",
        "Chỉnh lý hoàn chỉnh confirmed (`confirmed_by`, tờ/trang counts): opens digitizing",
        JSON,
    ),
    Route(
        "POST",
        "/files/{file_code}/pages",
        "ingest",
        "Upload a page scan (TIFF, JPEG, PNG, JPEG 2000) or a multi-page TIFF/PDF",
        IMAGE,
        "The body is the file, streamed to ingest; `?sequence=` sets the (first) page number, "
        "`?filename=`, `?paper=`, `?colour=`, `?station=`, `?operator=`, `?batch=` describe it. "
        "Checked against the scanning rules before anything is stored (422 with the rule's "
        "code); at a page sent back for re-scan it becomes a new version. 409 "
        "`ingest.file-not-open` unless the hồ sơ is approved and fully arranged.",
    ),
    Route(
        "POST",
        "/files/{file_code}/batches/{batch_id}/close",
        "ingest",
        "Close a đợt quét: gaps, duplicates and extras against the declared pages",
    ),
    Route("GET", "/files/{file_code}/pages", "ingest", "Pages received for a hồ sơ"),
    Route(
        "GET",
        "/files/{file_code}/page-image",
        "catalogue",
        "The cleaned image (JPEG) of page ?sequence=N, as OCR read it (the page viewer)",
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
    ),
    Route("DELETE", "/files/{file_code}/documents/{ordinal}", "catalogue", "Remove a văn bản"),
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
    Route("GET", "/files/{file_code}/checks", "catalogue", "Kiểm tra without signing it off"),
    Route(
        "POST",
        "/files/{file_code}/verification",
        "catalogue",
        "Kiểm tra signed off (→ verified), or 409 with the findings; optional waivers",
        JSON,
        body_required=False,
    ),
    Route("GET", "/files/{file_code}/verifications", "catalogue", "Every kiểm tra run of a hồ sơ"),
    Route(
        "POST",
        "/files/{file_code}/rescan-requests",
        "catalogue",
        "Quét lại: pages [{sequence, reason}] (→ rescan_requested)",
        JSON,
    ),
    Route(
        "POST",
        "/files/{file_code}/accept",
        "catalogue",
        "Nghiệm thu (→ accepted; 409 unless verified); then it is packaged for handover",
        JSON,
        body_required=False,
    ),
    Route(
        "POST",
        "/acceptances",
        "catalogue",
        "Nghiệm thu of a batch under one biên bản: minutes_number, role, file_codes",
        JSON,
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
    ),
    Route("GET", "/fonds", "catalogue", "Every phông"),
    Route("GET", "/fonds/{code}", "catalogue", "One phông"),
    Route("PUT", "/fonds/{code}", "catalogue", "Record a phông's TT 05 data", JSON),
    Route(
        "GET",
        "/reports/progress",
        "catalogue",
        "Tiến độ by state, phông, year and day against the plan (?format=json|xlsx)",
    ),
    Route(
        "GET",
        "/reports/annual",
        "catalogue",
        "Báo cáo hằng năm for Bộ Nội vụ, due before 1 December (?year=YYYY&format=json|xlsx)",
    ),
    Route(
        "GET",
        "/reports/selection",
        "catalogue",
        "Danh mục lựa chọn statistics by phông and group (?format=json|xlsx)",
    ),
    Route("GET", "/search", "catalogue", "Search page text; diacritics optional (không dấu)"),
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
FileCodePath = Annotated[str, Path(description="mã hồ sơ, e.g. H49.64.33.2001.160")]


def _endpoint(route: Route) -> Endpoint:
    """One forwarding function per path shape, so the OpenAPI names each path parameter."""
    if "{ordinal}" in route.path:

        async def document(
            file_code: FileCodePath,
            ordinal: int,
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


for _route in ROUTES:
    extra: dict[str, Any] = {}
    if _route.body is not None:
        extra["requestBody"] = {"required": _route.body_required, "content": _route.body}
    router.add_api_route(
        _route.path,
        _endpoint(_route),
        methods=[_route.method],
        summary=_route.summary,
        description=_route.description or None,
        operation_id=_operation_id(_route),
        openapi_extra=extra or None,
        responses=PROBLEMS,
    )
