"""The public API of sohoa (``/api/v1``): every call needs an API key in ``X-API-Key``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from services.gateway.adapters import Upstream
from services.gateway.domain import authenticate
from shared.http import CORRELATION_HEADER, correlation_id
from shared.text import validate_file_code

router = APIRouter(prefix="/api/v1")
JSON_BODY: dict[str, Any] = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object"}}},
}
IMAGE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in ("image/tiff", "image/jpeg", "image/png")
    },
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong API key (auth.missing-api-key, auth.invalid-api-key)"},
    422: {"description": "invalid request or mã hồ sơ (request.invalid, file-code.invalid)"},
    503: {"description": "an internal service is unavailable (gateway.upstream-unavailable)"},
}


def _client(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="khóa API của hệ thống gọi")] = None,
) -> str:
    return authenticate(x_api_key, request.app.state.api_keys)


Client = Annotated[str, Depends(_client)]


def _upstream(request: Request, name: str) -> Upstream:
    upstream: Upstream = request.app.state.upstreams[name]
    return upstream


async def _forward(
    request: Request, client: str, service: str, path: str, *, body: bool = False
) -> Response:
    headers = {CORRELATION_HEADER: correlation_id(request), "x-sohoa-actor": client}
    if body and "content-type" in request.headers:
        headers["content-type"] = request.headers["content-type"]
    return await _upstream(request, service).forward(
        request.method,
        path,
        params=dict(request.query_params),
        headers=headers,
        body=request.stream() if body else None,
    )


@router.post(
    "/files",
    summary="Register a hồ sơ (from the mục lục hồ sơ)",
    description="Body: `file_code`, `title`, `number_of_page`, optional `metadata` (TT 05/2025).",
    openapi_extra={"requestBody": JSON_BODY},
    responses={201: {"description": "registered"}, 409: {}, **PROBLEMS},
)
async def register_file(request: Request, client: Client) -> Response:
    return await _forward(request, client, "catalogue", "/api/v1/files", body=True)


@router.get("/files/{file_code}", summary="A hồ sơ: state, pages, history", responses=PROBLEMS)
async def get_file(file_code: str, request: Request, client: Client) -> Response:
    code = validate_file_code(file_code)
    return await _forward(request, client, "catalogue", f"/api/v1/files/{code}")


@router.post(
    "/files/{file_code}/pages",
    summary="Upload one page scan (TIFF, JPEG or PNG) of a hồ sơ",
    description="The body is the image, streamed to ingest; `?sequence=` sets the page number.",
    openapi_extra={"requestBody": IMAGE_BODY},
    responses={201: {"description": "stored"}, 409: {}, 413: {}, 415: {}, **PROBLEMS},
)
async def upload_page(
    file_code: str,
    request: Request,
    client: Client,
    sequence: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    code = validate_file_code(file_code)
    return await _forward(request, client, "ingest", f"/api/v1/files/{code}/pages", body=True)


@router.get("/files/{file_code}/pages", summary="Pages received for a hồ sơ", responses=PROBLEMS)
async def list_pages(file_code: str, request: Request, client: Client) -> Response:
    code = validate_file_code(file_code)
    return await _forward(request, client, "ingest", f"/api/v1/files/{code}/pages")


@router.post(
    "/files/{file_code}/accept",
    summary="Nghiệm thu: accept a fully digitized hồ sơ; it is then packaged for handover",
    responses={404: {}, 409: {}, **PROBLEMS},
)
async def accept_file(file_code: str, request: Request, client: Client) -> Response:
    code = validate_file_code(file_code)
    return await _forward(request, client, "catalogue", f"/api/v1/files/{code}/accept")


@router.get(
    "/files/{file_code}/package",
    summary="The handover package (BagIt, SHA-256) of a hồ sơ",
    responses={404: {}, **PROBLEMS},
)
async def get_package(file_code: str, request: Request, client: Client) -> Response:
    code = validate_file_code(file_code)
    return await _forward(request, client, "handover", f"/api/v1/files/{code}/package")


@router.get(
    "/search", summary="Search page text; diacritics optional (không dấu)", responses=PROBLEMS
)
async def search(
    request: Request,
    client: Client,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    return await _forward(request, client, "catalogue", "/api/v1/search")
