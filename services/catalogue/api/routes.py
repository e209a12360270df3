"""The catalogue's internal HTTP API (reached through the gateway): parse, build a command, run
its handler on the message bus, answer. Who acts comes from the gateway: the client system
(``x-sohoa-actor``) and the person named in the request (``x-sohoa-person``, percent-encoded
UTF-8)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from services.catalogue import handlers
from services.catalogue.api.out import (
    FileListOut,
    FindingOut,
    acceptance_out,
    decision_out,
    file_out,
    finding_out,
    fonds_out,
    row_out,
    verification_out,
)
from services.catalogue.api.schemas import (
    AcceptancesIn,
    AcceptIn,
    ArrangementIn,
    ConfirmationIn,
    DecisionIn,
    DocumentIn,
    FileChangesIn,
    FileIn,
    FondsIn,
    RescanIn,
    SelectionIn,
    SplitIn,
    VerificationIn,
    document_of,
    file_changes,
    metadata_elements,
)
from services.catalogue.domain.checks import CheckPolicy
from services.catalogue.domain.commands import (
    AcceptFiles,
    ApproveSelection,
    ConfirmArrangement,
    ConfirmDescription,
    ConfirmDocument,
    ImportInventory,
    InspectFile,
    MergeDocuments,
    PutFonds,
    RegisterFile,
    RemoveDocument,
    RequestRescan,
    SelectFile,
    SetDocument,
    SplitDocument,
    UpdateFile,
    VerifyFile,
)
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.description import FileDescription
from services.catalogue.domain.errors import (
    DescriptionLocked,
    FileNotFound,
    FondsNotFound,
    InvalidField,
    PageNotFound,
)
from services.catalogue.domain.extraction.layout import hocr_words
from services.catalogue.domain.findings import Waiver
from services.catalogue.domain.identifiers import FileCodeParts
from services.catalogue.domain.inventory import read_inventory
from services.catalogue.domain.model import (
    Actor,
    ArchivalFile,
    Criterion,
    Page,
    Reading,
    RescanItem,
)
from services.catalogue.domain.queries import FACET_TEXTS, FileFilter, SearchQuery
from services.catalogue.domain.reports import (
    ProgrammePlan,
    annual_report,
    annual_sheets,
    progress_report,
    progress_sheets,
    selection_report,
    selection_sheets,
)
from services.catalogue.domain.search import highlight, parse_query
from services.catalogue.domain.tables import TableSheet
from services.catalogue.messagebus import MessageBus
from services.catalogue.ports import (
    CatalogueViews,
    HocrSource,
    PageImages,
    PageOriginals,
    Spreadsheets,
)
from services.catalogue.suggester import suggest_file
from shared.errors import PermanentError
from shared.geometry import scan_transform
from shared.http import correlation_id
from shared.records import touched
from shared.text import FileCode, nfc, validate_file_code
from shared.uploads import spooled

router = APIRouter(prefix="/api/v1", tags=["catalogue"])
CLIENT_HEADER = "x-sohoa-actor"
PERSON_HEADER = "x-sohoa-person"
# "public" when the caller may see only hồ sơ open to partner systems (chế độ sử dụng 01).
AUDIENCE_HEADER = "x-sohoa-audience"


def _public_only(request: Request) -> bool:
    return request.headers.get(AUDIENCE_HEADER) == "public"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM = {"description": "RFC 9457 problem with a stable `code`"}


@dataclass(frozen=True)
class CatalogueApi:
    """What the routes need, built by the composition root."""

    bus: MessageBus
    views: CatalogueViews
    sheets: Spreadsheets
    policy: CheckPolicy
    plan: ProgrammePlan
    organization: str
    max_import_bytes: int
    spool_dir: str | None
    hocr: HocrSource
    images: PageImages
    originals: PageOriginals | None = None  # None: the original is not shown (404)


class Format(StrEnum):
    JSON = "json"
    XLSX = "xlsx"


class ImportTooLarge(PermanentError):
    code = "catalogue.import-too-large"
    title = "Tệp mục lục quá lớn"
    http_status = 413


class EmptyImport(PermanentError):
    code = "catalogue.empty-import"
    title = "Tệp mục lục rỗng"
    http_status = 400


def _api(request: Request) -> CatalogueApi:
    api: CatalogueApi = request.app.state.api
    return api


def _actor(request: Request) -> Actor:
    person = request.headers.get(PERSON_HEADER)
    return Actor(
        client=request.headers.get(CLIENT_HEADER, "anonymous"),
        person=nfc(unquote(person)).strip() or None if person else None,
    )


Api = Annotated[CatalogueApi, Depends(_api)]
Who = Annotated[Actor, Depends(_actor)]
Code = Annotated[str, Depends(lambda file_code: validate_file_code(file_code))]


async def _run(api: CatalogueApi, request: Request, handler: Any, message: Any) -> Any:
    return await api.bus.run(handler, message, correlation_id=correlation_id(request))


async def _file_json(api: CatalogueApi, file: ArchivalFile) -> dict[str, Any]:
    history = await asyncio.to_thread(api.views.history, file.file_code)
    return file_out(file, history)


async def _load(api: CatalogueApi, request: Request, file_code: str) -> ArchivalFile:
    def read(_: None, uow: Any) -> ArchivalFile:
        with uow:
            file: ArchivalFile | None = uow.files.get(file_code)
            if file is None:
                raise FileNotFound(f"không có hồ sơ {file_code}")
            return file

    file: ArchivalFile = await _run(api, request, read, None)
    return file


async def _xlsx(api: CatalogueApi, sheets: Sequence[TableSheet], name: str) -> FileResponse:
    """Write the workbook to a temporary file and stream it; the file goes afterwards."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  # removed by the background task
        prefix="export-", suffix=".xlsx", dir=api.spool_dir, delete=False
    )
    handle.close()
    path = Path(handle.name)
    await asyncio.to_thread(api.sheets.write, path, sheets)
    return FileResponse(
        path,
        media_type=XLSX,
        filename=name,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


# --- hồ sơ ------------------------------------------------------------------------------


@router.post(
    "/files",
    status_code=201,
    summary="Register a hồ sơ (mục lục hồ sơ)",
    responses={200: {"description": "registered identically before"}, 409: PROBLEM, 422: PROBLEM},
)
async def post_file(body: FileIn, request: Request, api: Api, who: Who) -> JSONResponse:
    from_metadata, extension = metadata_elements(dict(body.metadata))
    elements = {**from_metadata, **file_changes(body)}
    description = FileDescription(**elements)  # type: ignore[arg-type]  # checked in post-init
    parts = None
    if body.agency_code and body.year is not None and body.file_number:
        parts = FileCodeParts(body.agency_code, body.year, body.file_number)
    file_code = body.file_code or (parts.compose() if parts else None)
    if file_code is None:
        raise InvalidField("cần file_code, hoặc agencyCode + year + fileNumber", field="fileCode")
    command = RegisterFile(
        file_code=file_code,
        description=description,
        by=who,
        parts=parts,
        fonds_code=body.fonds_code,
        group=body.group,
        inventory_number=body.inventory_number,
        extension=extension,
    )
    file, created = await _run(api, request, handlers.register_file, command)
    return JSONResponse(await _file_json(api, file), status_code=201 if created else 200)


@router.get("/files/{file_code}", summary="A hồ sơ: state, TT 05 elements, văn bản, pages, history")
async def get_file(file_code: FileCode, request: Request, api: Api) -> dict[str, Any]:
    file = await _load(api, request, file_code)
    if _public_only(request) and not file.public:
        raise FileNotFound(f"không có hồ sơ {file_code}")  # as if it did not exist
    return await _file_json(api, file)


@router.patch(
    "/files/{file_code}",
    summary="Biên mục: change hồ sơ elements (only those sent)",
    responses={409: PROBLEM, 422: PROBLEM},
)
async def patch_file(
    file_code: FileCode, body: FileChangesIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = UpdateFile(file_code, file_changes(body), who, body.fonds_code, body.group)
    return await _file_json(api, await _run(api, request, handlers.update_file, command))


def _filter(
    request: Request,
    fonds: Annotated[str | None, Query(description="mã phông")] = None,
    state: Annotated[str | None, Query()] = None,
    year_from: Annotated[int | None, Query()] = None,
    year_to: Annotated[int | None, Query()] = None,
    type_name: Annotated[str | None, Query(description="hồ sơ có văn bản tên loại này")] = None,
    mode: Annotated[str | None, Query(description="chế độ sử dụng 01/02/03")] = None,
    group: Annotated[str | None, Query()] = None,
) -> FileFilter:
    public = _public_only(request)
    return FileFilter(fonds, state, year_from, year_to, type_name, mode, group, public)


@router.get(
    "/files",
    summary="List hồ sơ, filtered; ?format=xlsx exports the whole filtered list",
    response_model=FileListOut,
    responses={200: {"content": {XLSX: {}}}},
)
async def list_files(
    request: Request,
    api: Api,
    where: Annotated[FileFilter, Depends(_filter)],
    format: Format = Format.JSON,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    if format is Format.XLSX:
        return await _xlsx(api, [_files_sheet(api, request, where)], "ho-so.xlsx")
    rows = await asyncio.to_thread(api.views.files, where, after=cursor, limit=limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    touched(request, (r.file_code for r in page))
    return FileListOut(
        items=[row_out(r) for r in page], next_cursor=page[-1].file_code if more else None
    )


def _files_sheet(api: CatalogueApi, request: Request, where: FileFilter) -> TableSheet:
    columns = [
        "Mã hồ sơ",
        "Tiêu đề hồ sơ",
        "Trạng thái",
        "Mã phông",
        "Nhóm",
        "Thời hạn lưu trữ",
        "Chế độ sử dụng",
        "Ngôn ngữ",
        "Thời gian bắt đầu",
        "Thời gian kết thúc",
        "Tổng số tài liệu",
        "Số lượng tờ",
        "Số lượng trang",
        "Trang đã quét",
        "Trang đã nhận dạng",
        "Văn bản đã biên mục",
        "Tiêu chí lựa chọn",
        "Quyết định phê duyệt",
    ]

    def rows() -> Iterator[list[Any]]:
        for s in api.views.all_files(where):
            touched(request, (s.file_code,))  # each row exported is a hồ sơ read
            yield [
                s.file_code,
                s.title,
                s.state,
                s.fonds_code,
                s.group,
                s.maintenance,
                s.mode,
                s.language,
                s.start_date,
                s.end_date,
                s.total_doc,
                s.number_of_paper,
                s.number_of_page,
                s.pages_stored,
                s.pages_read,
                s.documents,
                ", ".join(str(c) for c in s.criteria),
                s.decision,
            ]

    return TableSheet(title="Hồ sơ", columns=columns, rows=rows(), heading="DANH SÁCH HỒ SƠ")


# --- selection, approval, arrangement ------------------------------------------------------


@router.post(
    "/files/{file_code}/selection",
    summary="Lựa chọn: record the selection criteria (→ selected)",
    responses={409: PROBLEM, 422: PROBLEM},
)
async def post_selection(
    file_code: FileCode, body: SelectionIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    criteria = tuple(Criterion(c.code, c.evidence) for c in body.criteria)
    file = await _run(api, request, handlers.select_file, SelectFile(file_code, criteria, who))
    return await _file_json(api, file)


@router.post(
    "/selection-decisions",
    status_code=201,
    summary="Phê duyệt danh mục: the approving decision (→ approved for every hồ sơ listed)",
    responses={200: {"description": "recorded before"}, 409: PROBLEM, 422: PROBLEM},
)
async def post_decision(body: DecisionIn, request: Request, api: Api, who: Who) -> JSONResponse:
    touched(request, body.file_codes)  # named, so logged even when refused
    command = ApproveSelection(
        number=body.number,
        date=PartialDate.of(body.date),
        signer=body.signer,
        file_codes=tuple(body.file_codes),
        by=who,
    )
    decision, created = await _run(api, request, handlers.approve_selection, command)
    return JSONResponse(decision_out(decision), status_code=201 if created else 200)


@router.post(
    "/files/{file_code}/arrangement",
    summary="Chỉnh lý hoàn chỉnh confirmed, with the tờ/trang counts (opens digitizing)",
    responses={409: PROBLEM},
)
async def post_arrangement(
    file_code: FileCode, body: ArrangementIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = ConfirmArrangement(
        file_code, body.confirmed_by, who, body.number_of_paper, body.number_of_page
    )
    return await _file_json(api, await _run(api, request, handlers.confirm_arrangement, command))


# --- biên mục ------------------------------------------------------------------------------


@router.put(
    "/files/{file_code}/documents/{ordinal}",
    summary="Biên mục of one văn bản: its TT 05 elements and page range",
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def put_document(
    file_code: FileCode, ordinal: int, body: DocumentIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = SetDocument(file_code, ordinal, document_of(body), who)
    return await _file_json(api, await _run(api, request, handlers.set_document, command))


@router.delete(
    "/files/{file_code}/documents/{ordinal}",
    summary="Remove a văn bản from the description",
    responses={404: PROBLEM, 409: PROBLEM},
)
async def delete_document(
    file_code: FileCode, ordinal: int, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = RemoveDocument(file_code, ordinal, who)
    return await _file_json(api, await _run(api, request, handlers.remove_document, command))


@router.post(
    "/files/{file_code}/documents/{ordinal}/split",
    summary="Tách văn bản: it becomes two at a page; those after it are numbered one up",
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def post_split(
    file_code: FileCode, ordinal: int, body: SplitIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = SplitDocument(file_code, ordinal, body.at_page, who)
    return await _file_json(api, await _run(api, request, handlers.split_document, command))


@router.post(
    "/files/{file_code}/documents/{ordinal}/merge",
    summary="Gộp văn bản: it and the next become one; those after it are numbered one down",
    responses={404: PROBLEM, 409: PROBLEM},
)
async def post_merge(
    file_code: FileCode, ordinal: int, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = MergeDocuments(file_code, ordinal, who)
    return await _file_json(api, await _run(api, request, handlers.merge_documents, command))


@router.post(
    "/files/{file_code}/description",
    summary="Biên mục done (→ described), or 409 listing the missing elements",
    responses={409: PROBLEM},
)
async def post_description(
    file_code: FileCode, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    command = ConfirmDescription(file_code, who)
    return await _file_json(api, await _run(api, request, handlers.confirm_description, command))


# --- biên mục tự động ------------------------------------------------------------------------


def _suggestions_json(file: ArchivalFile) -> dict[str, Any]:
    run = file.suggestions
    return {
        "file_code": file.file_code,
        "at": run.at.isoformat() if run else None,
        "documents": [
            {
                "ordinal": d.ordinal,
                "first_page": d.first_page,
                "last_page": d.last_page,
                "fields": {name: s.as_json() for name, s in d.fields.items()},
            }
            for d in (run.documents if run else ())
        ],
    }


@router.get(
    "/files/{file_code}/suggestions",
    summary="Biên mục tự động: the văn bản and fields read from the pages, each with its "
    "confidence and the boxes it was read from",
)
async def get_suggestions(file_code: FileCode, request: Request, api: Api) -> dict[str, Any]:
    return _suggestions_json(await _load(api, request, file_code))


@router.post(
    "/files/{file_code}/suggestions",
    summary="Read the pages again and replace the suggestions (409 once kiểm tra signed off)",
    responses={409: PROBLEM},
)
async def post_suggestions(file_code: FileCode, request: Request, api: Api) -> dict[str, Any]:
    made = await suggest_file(file_code, api.bus, api.hocr, correlation_id=correlation_id(request))
    file = await _load(api, request, file_code)
    if made is None:
        raise DescriptionLocked(
            f"hồ sơ {file_code} đang '{file.state}': biên mục đã khóa", state=file.state.value
        )
    return _suggestions_json(file)


@router.post(
    "/files/{file_code}/documents/{ordinal}/confirmation",
    summary="Confirm or correct the suggested văn bản: its description becomes the values "
    "confirmed (TT 05 names); each is kept beside its suggestion as ground truth",
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def post_confirmation(
    file_code: FileCode,
    ordinal: int,
    body: ConfirmationIn,
    request: Request,
    api: Api,
    who: Who,
) -> dict[str, Any]:
    command = ConfirmDocument(
        file_code, ordinal, dict(body.fields), who, body.first_page, body.last_page
    )
    return await _file_json(api, await _run(api, request, handlers.confirm_document, command))


@router.get(
    "/suggestions/accuracy",
    summary="How often people confirmed each suggested field unchanged (the extractor's score)",
)
async def get_accuracy(api: Api) -> dict[str, Any]:
    counts = await asyncio.to_thread(api.views.suggestion_accuracy)
    return {
        "fields": {
            name: {"confirmed": n, "unchanged": k, "share": round(k / n, 4) if n else None}
            for name, (n, k) in sorted(counts.items())
        }
    }


# --- the page viewer ------------------------------------------------------------------------


async def _read_page(api: CatalogueApi, request: Request, file_code: str, sequence: int) -> Page:
    """The current page ``sequence`` once OCR has read it; restricted hồ sơ are hidden as in
    ``GET /files/{file_code}``."""
    file = await _load(api, request, file_code)
    if _public_only(request) and not file.public:
        raise FileNotFound(f"không có hồ sơ {file_code}")
    for page in file.current_pages():
        if page.sequence == sequence and page.reading is not None:
            return page
    raise PageNotFound(f"hồ sơ {file_code} chưa có trang {sequence} đã nhận dạng")


async def _reading(api: CatalogueApi, request: Request, file_code: str, sequence: int) -> Reading:
    """What OCR made of the current page ``sequence``."""
    reading = (await _read_page(api, request, file_code, sequence)).reading
    assert reading is not None  # noqa: S101  # _read_page returns read pages only
    return reading


class Variant(StrEnum):
    CLEANED = "cleaned"  # the image OCR read: levelled, deskewed, turned upright (JPEG)
    ORIGINAL = "original"  # the scan as stored, JPEG/PNG as is, TIFF/JPEG 2000 as a JPEG


Sequence_ = Annotated[int, Query(ge=1, le=100_000, description="số thứ tự trang")]
PreviewWidth = Annotated[
    int | None,
    Query(
        ge=32,
        le=4000,
        description="at most this many pixels wide: a downscaled JPEG preview (thumbnails, "
        "slow connections); page-words' boxes stay in the whole image's pixels",
    ),
]


@router.get(
    "/files/{file_code}/page-image",
    summary="The cleaned image of a page (JPEG), as OCR read it, or ?variant=original the "
    "scan as stored (TIFF and JPEG 2000 re-encoded as JPEG), for the page viewer",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, 404: PROBLEM},
)
async def get_page_image(
    file_code: FileCode,
    sequence: Sequence_,
    request: Request,
    api: Api,
    variant: Variant = Variant.CLEANED,
    width: PreviewWidth = None,
) -> Response:
    if variant is Variant.ORIGINAL:
        return await _original_image(api, request, file_code, sequence, width)
    reading = await _reading(api, request, file_code, sequence)
    image = await api.images.image(reading.image_key, width) if reading.image_key else None
    if image is None:
        raise PageNotFound(f"trang {sequence} của hồ sơ {file_code} chưa có ảnh đã xử lý")
    # A derivative is never rewritten under its key: the browser may keep it.
    return Response(
        image, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"}
    )


async def _original_image(
    api: CatalogueApi, request: Request, file_code: str, sequence: int, width: int | None
) -> Response:
    page = await _read_page(api, request, file_code, sequence)
    work = tempfile.mkdtemp(prefix="original-", dir=api.spool_dir)
    try:
        shown = (
            await api.originals.preview(page.object_key, page.media_type, Path(work), width)
            if page.object_key and api.originals
            else None
        )
        if shown is None:
            raise PageNotFound(f"trang {sequence} của hồ sơ {file_code} không có ảnh gốc")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    image, media_type = shown
    # An original is write-once under its key, and so is what is made from it.
    return FileResponse(
        image,
        media_type=media_type,
        headers={"cache-control": "private, max-age=3600"},
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )


@router.get(
    "/files/{file_code}/page-words",
    summary="The words OCR read on a page, each with its box (pixels of the page image) and "
    "confidence (0–100), from the hOCR",
    responses={404: PROBLEM},
)
async def get_page_words(
    file_code: FileCode, sequence: Sequence_, request: Request, api: Api
) -> dict[str, Any]:
    page = await _read_page(api, request, file_code, sequence)
    reading = page.reading
    assert reading is not None  # noqa: S101  # _read_page returns read pages only
    hocr = await api.hocr.hocr(reading.hocr_key)
    if hocr is None:
        raise PageNotFound(f"trang {sequence} của hồ sơ {file_code} chưa có hOCR")
    width, height, words = await asyncio.to_thread(hocr_words, hocr)
    to_page = scan_transform(hocr)
    quality = reading.quality
    return {
        "sequence": sequence,
        "width": width,
        "height": height,
        "original": {  # the scan as stored, to lay the boxes over it (?variant=original)
            "width": page.width,
            "height": page.height,
            "media_type": page.media_type,
            "rotation": quality.rotation if quality else None,
            "skew": quality.skew if quality else None,
            # where a point of the original lands on the page image: x' = a·x + b·y + c,
            # y' = d·x + e·y + f ([a, b, c, d, e, f]); null for a page read before OCR kept it
            "to_page_image": list(to_page.values) if to_page else None,
        },
        "confidence": reading.confidence,
        "words": [
            {"text": w.text, "box": w.box.as_list(), "confidence": w.confidence} for w in words
        ],
    }


# --- kiểm tra, quét lại, nghiệm thu --------------------------------------------------------


@router.get(
    "/files/{file_code}/checks",
    response_model=list[FindingOut],
    summary="Kiểm tra without signing: what a sign-off would find",
)
async def get_checks(file_code: FileCode, request: Request, api: Api) -> list[FindingOut]:
    findings = await _run(
        api,
        request,
        lambda cmd, uow: handlers.inspect_file(cmd, uow, api.policy),
        InspectFile(file_code),
    )
    return [finding_out(f) for f in findings]


@router.post(
    "/files/{file_code}/verification",
    summary="Kiểm tra signed off (→ verified), or 409 with the findings; waivers need reasons",
    responses={409: PROBLEM},
)
async def post_verification(
    file_code: FileCode,
    request: Request,
    api: Api,
    who: Who,
    body: Annotated[VerificationIn | None, Body()] = None,
) -> dict[str, Any]:
    waivers = tuple(Waiver(w.check, w.reason) for w in (body.waivers if body else []))
    command = VerifyFile(file_code, waivers, who)
    run = await _run(
        api, request, lambda cmd, uow: handlers.verify_file(cmd, uow, api.policy), command
    )
    return {
        **verification_out(run),
        "file": await _file_json(api, await _load(api, request, file_code)),
    }


@router.get("/files/{file_code}/verifications", summary="Every kiểm tra run of a hồ sơ")
async def get_verifications(
    file_code: FileCode, request: Request, api: Api
) -> list[dict[str, Any]]:
    def runs(_: None, uow: Any) -> list[Any]:
        with uow:
            return list(uow.verifications.of_file(file_code))

    return [verification_out(run) for run in await _run(api, request, runs, None)]


@router.post(
    "/files/{file_code}/rescan-requests",
    summary="Quét lại: send pages back for re-scan (→ rescan_requested)",
    responses={409: PROBLEM, 422: PROBLEM},
)
async def post_rescan(
    file_code: FileCode, body: RescanIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    items = tuple(RescanItem(p.sequence, p.reason) for p in body.pages)
    command = RequestRescan(file_code, items, who)
    return await _file_json(api, await _run(api, request, handlers.request_rescan, command))


@router.post(
    "/files/{file_code}/accept",
    summary="Nghiệm thu one hồ sơ (→ accepted; 409 unless verified); then it is packaged",
    responses={404: PROBLEM, 409: PROBLEM},
)
async def post_accept(
    file_code: FileCode,
    request: Request,
    api: Api,
    who: Who,
    body: Annotated[AcceptIn | None, Body()] = None,
) -> dict[str, Any]:
    command = AcceptFiles(
        (file_code,), who, body.minutes_number if body else None, body.role if body else None
    )
    await _run(api, request, handlers.accept_files, command)
    return await _file_json(api, await _load(api, request, file_code))


@router.post(
    "/acceptances",
    status_code=201,
    summary="Nghiệm thu of a batch under one biên bản (all verified, or none accepted)",
    responses={409: PROBLEM},
)
async def post_acceptances(
    body: AcceptancesIn, request: Request, api: Api, who: Who
) -> dict[str, Any]:
    touched(request, body.file_codes)  # named, so logged even when refused
    command = AcceptFiles(tuple(body.file_codes), who, body.minutes_number, body.role)
    return acceptance_out(await _run(api, request, handlers.accept_files, command))


# --- phông ---------------------------------------------------------------------------------


@router.get("/fonds", summary="Every phông")
async def list_fonds(request: Request, api: Api) -> list[dict[str, Any]]:
    def every(_: None, uow: Any) -> list[Any]:
        with uow:
            return list(uow.fonds.all())

    return [fonds_out(f) for f in await _run(api, request, every, None)]


@router.get("/fonds/{code}", summary="One phông", responses={404: PROBLEM})
async def get_fonds(code: str, request: Request, api: Api) -> dict[str, Any]:
    def one(_: None, uow: Any) -> Any:
        with uow:
            fonds = uow.fonds.get(nfc(code))
            if fonds is None:
                raise FondsNotFound(f"không có phông {code}")
            return fonds

    return fonds_out(await _run(api, request, one, None))


@router.put("/fonds/{code}", summary="Record a phông's TT 05 data", responses={422: PROBLEM})
async def put_fonds(code: str, body: FondsIn, request: Request, api: Api, who: Who) -> JSONResponse:
    fonds, created = await _run(
        api, request, handlers.put_fonds, PutFonds(body.fonds(nfc(code)), who)
    )
    return JSONResponse(fonds_out(fonds), status_code=201 if created else 200)


# --- mục lục import ------------------------------------------------------------------------


@router.post(
    "/inventory-imports",
    summary="Import a mục lục hồ sơ (.xlsx, .csv): a dry run reports; a real run is all or none",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses={
        200: {"description": "the report: rows, accepted, refused (row, column, cell, code)"},
        422: {"description": "a real run with refused rows: nothing was written"},
    },
)
async def post_inventory_import(
    request: Request,
    api: Api,
    who: Who,
    dry_run: bool = True,
    fonds: Annotated[str | None, Query(description="mã phông of rows that name none")] = None,
    agency: Annotated[
        str | None, Query(description="mã định danh cơ quan of composed codes")
    ] = None,
) -> JSONResponse:
    async with spooled(
        request.stream(),
        max_bytes=api.max_import_bytes,
        directory=api.spool_dir,
        too_large=ImportTooLarge,
        empty=EmptyImport,
    ) as upload:
        reading = await asyncio.to_thread(
            lambda: read_inventory(api.sheets.read(upload.path), default_fonds=fonds)
        )
    command = ImportInventory(reading, who, dry_run, agency)
    report = await _run(api, request, handlers.import_inventory, command)
    if report.written:
        touched(request, [*report.created, *report.updated])
    body = {
        "rows": report.rows,
        "accepted": report.accepted,
        "refused": [
            {"row": r.row, "column": r.column, "cell": r.cell, "code": r.code, "detail": r.detail}
            for r in report.refused
        ],
        "dry_run": report.dry_run,
        "written": report.written,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "fonds_created": report.fonds_created,
        "header_row": reading.header_row,
        "columns": reading.columns,
    }
    if not dry_run and report.refused:
        return JSONResponse(
            {
                **body,
                "code": "catalogue.import-refused",
                "title": "Mục lục có dòng không hợp lệ: không nhập dòng nào",
                "status": 422,
            },
            status_code=422,
            media_type="application/problem+json",
        )
    return JSONResponse(body)


# --- reports -------------------------------------------------------------------------------


@router.get(
    "/reports/progress",
    summary="Tiến độ: hồ sơ and pages by state, phông and year, pages per day, against the plan",
    responses={200: {"content": {XLSX: {}}}},
)
async def get_progress(request: Request, api: Api, format: Format = Format.JSON) -> Any:
    today = date.today()
    public_only = _public_only(request)  # a partner counts only what it may see
    counts = await asyncio.to_thread(lambda: api.views.progress(today, public_only=public_only))
    report = progress_report(counts, api.plan, today)
    if format is Format.XLSX:
        return await _xlsx(api, progress_sheets(report), f"tien-do-{today.isoformat()}.xlsx")
    return report


@router.get(
    "/reports/annual",
    summary="Báo cáo hằng năm for Bộ Nội vụ (due before 1 December)",
    responses={200: {"content": {XLSX: {}}}},
)
async def get_annual(
    request: Request,
    api: Api,
    year: Annotated[int, Query(ge=2000, le=2100)],
    format: Format = Format.JSON,
) -> Any:
    public_only = _public_only(request)
    counts = await asyncio.to_thread(lambda: api.views.plan_counts(year, public_only=public_only))
    now = await _run(api, request, lambda _m, uow: uow.now(), None)
    report = annual_report(counts, api.plan, organization=api.organization, generated_at=now)
    if format is Format.XLSX:
        return await _xlsx(api, annual_sheets(report), f"bao-cao-{year}.xlsx")
    return report


@router.get(
    "/reports/selection",
    summary="Danh mục lựa chọn: statistics by phông and group",
    responses={200: {"content": {XLSX: {}}}},
)
async def get_selection(api: Api, format: Format = Format.JSON) -> Any:
    rows = await asyncio.to_thread(api.views.selection)
    if format is Format.XLSX:
        return await _xlsx(api, selection_sheets(rows), "danh-muc-lua-chon.xlsx")
    return selection_report(rows)


# --- search --------------------------------------------------------------------------------


@router.get(
    "/search",
    summary="Search page text and hồ sơ descriptions, with or without dấu",
    description=(
        '`q`: the syllables are a phrase (`lưu trữ`); `"…"` gives several phrases, all of '
        "which must match; `*` after the last syllable of one makes it a prefix (`chỉnh l*`). "
        "Hits with the phrases as typed (with their marks, `exact`) come first, then the "
        "folded ones, each in catalogue order; `next_cursor` fetches the next page. Filters as "
        "for the hồ sơ list; `facets=true` counts the matching hồ sơ by phông, state, year "
        f"and chế độ sử dụng — those of the first {FACET_TEXTS:,} matching texts; "
        "`facets_complete` says whether that was every match."
    ),
    responses={422: PROBLEM},
)
async def get_search(
    request: Request,
    api: Api,
    q: Annotated[str, Query(min_length=1, max_length=200, description="từ khóa")],
    where: Annotated[FileFilter, Depends(_filter)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=40, description="next_cursor")] = None,
    facets: bool = False,
) -> dict[str, Any]:
    query = SearchQuery(parse_query(q), where, limit, cursor, facets)
    page = await asyncio.to_thread(api.views.search, query)
    touched(request, (hit.file_code for hit in page.hits))
    hits = []
    for hit in page.hits:
        plain, marked = highlight(hit.text, query.phrases)
        hits.append(
            {
                "kind": hit.kind,
                "file_code": hit.file_code,
                "title": hit.title,
                "page_id": hit.page_id,
                "sequence": hit.sequence,
                "exact": hit.exact,
                "snippet": plain,
                "highlighted": marked,
            }
        )
    return {
        "query": q,
        "hits": hits,
        "next_cursor": page.next_cursor,
        "facets": page.facets,
        "facets_complete": page.facets_complete,
    }
