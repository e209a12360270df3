"""Ingest's internal HTTP API (reached through the gateway)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.ingest.config import IngestSettings
from services.ingest.domain import EmptyUpload, MultipartMalformed, TooManyParts, UploadTooLarge
from services.ingest.handlers import (
    CloseBatch,
    IngestDeps,
    Scan,
    announce_refusal,
    close_batch,
    gate,
    ingest_parts,
    ingest_scan,
    list_pages,
    part_scan,
    run,
)
from shared.http import correlation_id
from shared.text import validate_file_code
from shared.uploads import PartRefusals, spooled, spooled_parts

router = APIRouter(prefix="/api/v1", tags=["pages"])
MULTIPART = "multipart/form-data"
IMAGE_BODY = {
    "required": True,
    "content": {
        **{
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/tiff", "image/jpeg", "image/png", "image/jp2", "application/pdf")
        },
        MULTIPART: {
            "schema": {
                "type": "object",
                "description": "every part a file (any field name): one page scan each, in "
                "order; no other fields",
                "properties": {
                    "page": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
            }
        },
    },
}
PART_REFUSALS = PartRefusals(UploadTooLarge, EmptyUpload, TooManyParts, MultipartMalformed)


class PageOut(BaseModel):
    """A stored page scan (trang) as the API shows it."""

    model_config = ConfigDict(from_attributes=True)
    page_id: str
    file_code: str
    sequence: int
    sha256: str
    size: int
    media_type: str
    width: int
    height: int
    dpi: int | None
    version: int
    current: bool
    replaces: str | None
    colour_mode: str
    warnings: list[str]
    station: str | None
    operator: str | None
    from_container: bool = Field(description="taken out of a multi-page TIFF or a PDF")
    created_at: datetime


class ContainerOut(BaseModel):
    """A multi-page TIFF or a PDF: kept as it arrived, and each of its pages stored. Storage
    keys never leave sohoa: the container is named by its SHA-256."""

    container_sha256: str
    pages: list[PageOut]


class PagesOut(BaseModel):
    """The page scans of one multipart upload, in the order of its parts."""

    pages: list[PageOut]


def _deps(request: Request) -> IngestDeps:
    deps: IngestDeps = request.app.state.deps
    return deps


def _settings(request: Request) -> IngestSettings:
    settings: IngestSettings = request.app.state.settings
    return settings


Deps = Annotated[IngestDeps, Depends(_deps)]
Settings = Annotated[IngestSettings, Depends(_settings)]


@router.post(
    "/files/{file_code}/pages",
    status_code=201,
    response_model=PageOut | ContainerOut | PagesOut,
    summary="Upload a page scan (trang) of a hồ sơ, or many in one multipart request",
    description=(
        "The body is the image itself (TIFF, JPEG, PNG, JPEG 2000 or PDF, checked by content). "
        "Its dimensions are checked from the header before decoding, then it is fully decoded "
        "and held to the fonds' scanning rules (≥ 200 dpi, ≥ 24 bit colour). It is streamed to "
        "disk, stored write-once with its SHA-256 and announced as `page-ingested`; a refusal "
        "is announced as `page-rejected` and nothing is stored. At a page number kiểm tra sent "
        "back for re-scan (quét lại) the upload becomes a new version; the earlier one stays. "
        "A multi-page TIFF or a PDF answers with the container's SHA-256 and every page taken out "
        "of it (losslessly: a TIFF frame with its compression, a PDF's JPEG or JPEG 2000 "
        "stream byte for byte), numbered on from `sequence`. "
        "A `multipart/form-data` body carries many scans: every part is a file (one page "
        "image; a multi-page TIFF or PDF is sent alone), numbered on from `sequence` in part "
        "order, each spooled and hashed as it streams in, at most `max_upload_bytes` each and "
        "`max_parts` in all and `max_request_bytes` together; the other parameters apply to "
        "every part and each part's file name is its `filename`. All or nothing: a refused "
        "part refuses the request with its code, `part` (from 1) and `file_name`, announced "
        "once; nothing is stored. It answers "
        "`{pages: [...]}`. "
        "201 for new pages; 200 when the same bytes were already stored at those numbers."
    ),
    openapi_extra={"requestBody": IMAGE_BODY},
    responses={
        400: {
            "description": "ingest.empty-upload, ingest.unsafe-file-name, "
            "ingest.too-many-parts, ingest.multipart-malformed"
        },
        404: {"description": "ingest.file-unknown: no such hồ sơ in the catalogue"},
        409: {
            "description": "ingest.sequence-taken, ingest.file-not-open, "
            "ingest.stored-original-differs"
        },
        413: {"description": "ingest.upload-too-large"},
        415: {
            "description": "ingest.unsupported-media-type, ingest.extension-mismatch, "
            "ingest.container-in-multipart"
        },
        422: {
            "description": "ingest.corrupt-image, ingest.image-too-large, "
            "ingest.decompression-bomb, ingest.resolution-too-low, ingest.colour-depth-too-low, "
            "ingest.colour-mode-unsupported, ingest.pdf-no-pages, ingest.pdf-encrypted"
        },
    },
)
async def upload_page(
    file_code: str,
    request: Request,
    deps: Deps,
    settings: Settings,
    sequence: Annotated[
        int | None, Query(ge=1, description="thứ tự trang; next free if absent")
    ] = None,
    filename: Annotated[
        str | None, Query(max_length=255, description="the scanner's file name")
    ] = None,
    paper: Annotated[
        str | None, Query(pattern="^A[2-5]$", description="paper size, for a scan without dpi")
    ] = None,
    colour: Annotated[
        str | None,
        Query(pattern="^(grey|bitonal)$", description="the hồ sơ is declared not in colour"),
    ] = None,
    station: Annotated[str | None, Query(max_length=100, description="trạm quét")] = None,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    batch: Annotated[
        str | None,
        Query(pattern=r"^[\w.\-]{1,100}$", description="đợt quét the page belongs to"),
    ] = None,
) -> JSONResponse:
    code = validate_file_code(file_code)
    scan = Scan(code, sequence, filename, paper, colour, station, operator, batch)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == MULTIPART:
        return await _upload_parts(request, content_type, scan, deps, settings)
    try:
        async with spooled(
            request.stream(),
            max_bytes=settings.max_upload_bytes,
            directory=settings.spool_dir,
            too_large=UploadTooLarge,
            empty=EmptyUpload,
        ) as upload:
            done = await ingest_scan(upload, scan, correlation_id(request), deps)
            arrived = upload.sha256
    except (EmptyUpload, UploadTooLarge) as refusal:  # refused while spooling: announce too
        await announce_refusal(refusal, scan, None, correlation_id(request), deps)
        raise
    pages = [PageOut.model_validate(page) for page in done.pages]
    out = ContainerOut(container_sha256=arrived, pages=pages) if done.container_key else pages[0]
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if done.created else 200)


async def _upload_parts(
    request: Request, content_type: str, scan: Scan, deps: IngestDeps, settings: IngestSettings
) -> JSONResponse:
    """The scans of a multipart body (see :func:`ingest_parts`, which announces its own
    refusals); one refused while spooling is announced here."""
    try:
        if scan.file_name is not None:
            raise MultipartMalformed("?filename= không dùng với multipart: mỗi phần có tên tệp")
        async with spooled_parts(
            request.stream(),
            content_type,
            max_bytes=settings.max_upload_bytes,
            max_total_bytes=settings.max_request_bytes,
            max_parts=settings.max_parts,
            directory=settings.spool_dir,
            refusals=PART_REFUSALS,
        ) as parts:
            done = await ingest_parts(parts, scan, correlation_id(request), deps)
    except (EmptyUpload, UploadTooLarge, TooManyParts, MultipartMalformed) as refusal:
        await announce_refusal(
            refusal, part_scan(scan, refusal), None, correlation_id(request), deps
        )
        raise
    out = PagesOut(pages=[PageOut.model_validate(page) for page in done.pages])
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if done.created else 200)


@router.get(
    "/files/{file_code}/pages",
    response_model=list[PageOut],
    summary="Pages of a hồ sơ received so far",
)
async def get_pages(
    file_code: str,
    deps: Deps,
    versions: Annotated[
        bool, Query(description="every stored version, the replaced ones too")
    ] = False,
) -> list[PageOut]:
    pages = await run(deps, list_pages, (validate_file_code(file_code), versions))
    return [PageOut.model_validate(page) for page in pages]


class ScanningOut(BaseModel):
    """Ingest's view of whether a hồ sơ may take scans (from the catalogue's events)."""

    file_code: str
    state: str
    open_for_scanning: bool
    arranged: bool
    rescan_sequences: list[int]
    number_of_page: int | None


@router.get(
    "/files/{file_code}/scanning",
    response_model=ScanningOut,
    summary="Whether ingest takes scans of this hồ sơ now",
    responses={404: {"description": "ingest.file-unknown"}},
)
async def get_scanning(file_code: str, deps: Deps) -> ScanningOut:
    known = await run(deps, gate, validate_file_code(file_code))
    return ScanningOut(
        file_code=known.file_code,
        state=known.state,
        open_for_scanning=known.open_for_scanning,
        arranged=known.arranged,
        rescan_sequences=list(known.rescan_sequences),
        number_of_page=known.number_of_page,
    )


class BatchOut(BaseModel):
    """A closed đợt quét and its completeness against the declared page count."""

    batch_id: str
    file_code: str
    expected: int
    received: int
    gaps: list[int]
    duplicates: list[int]
    extras: list[int]
    complete: bool
    closed_at: datetime


@router.post(
    "/files/{file_code}/batches/{batch_id}/close",
    response_model=BatchOut,
    summary="Close a đợt quét: gaps, duplicates and extras against the declared pages",
    description="Announced as `batch-closed`. Pages are put in a batch with `?batch=` on upload.",
    responses={
        404: {"description": "ingest.batch-unknown"},
        409: {"description": "ingest.batch-closed"},
    },
)
async def post_batch_close(file_code: str, batch_id: str, deps: Deps) -> BatchOut:
    batch, result = await run(
        deps, close_batch, CloseBatch(validate_file_code(file_code), batch_id)
    )
    return BatchOut(
        batch_id=batch.batch_id,
        file_code=batch.file_code,
        expected=len(result.expected),
        received=result.received,
        gaps=list(result.gaps),
        duplicates=list(result.duplicates),
        extras=list(result.extras),
        complete=result.complete,
        closed_at=batch.closed_at or datetime.now(UTC),  # set by close; for the type
    )
