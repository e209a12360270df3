"""The workspace's screens: server-rendered pages (Jinja2) over the gateway's API. Every form
posts with the session's CSRF token and answers with a redirect (post/redirect/get), so the
screens work without script; ``static/viewer.js`` only links words in the text to their boxes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import anyio
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.workspace import domain
from services.workspace.domain import (
    Action,
    CsrfRefused,
    Original,
    Outcome,
    Person,
    Session,
    SessionStore,
    SignInRefused,
    ViewBox,
    offers,
)
from services.workspace.ports import Gateway, GatewayProblem
from shared.errors import InvalidFileCode
from shared.text import nfc, validate_file_code

router = APIRouter()
COOKIE = "sohoa_ws"
LOGIN_COOKIE = "sohoa_ws_login"  # double-submit CSRF token of the sign-in form
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals.update(
    state_label=lambda s: domain.label(domain.STATE_LABELS, s),
    role_label=lambda r: domain.label(domain.ROLE_LABELS, r),
    mode_label=lambda m: domain.label(domain.MODE_LABELS, m),
    delivery_label=lambda d: domain.label(domain.DELIVERY_LABELS, d),
    FILE_FIELDS=domain.FILE_FIELDS,
    DOCUMENT_FIELDS=domain.DOCUMENT_FIELDS,
    STATE_LABELS=domain.STATE_LABELS,
    Action=Action,
    crop=domain.crop,
)
TEMPLATES.filters["role_label"] = lambda r: domain.label(domain.ROLE_LABELS, r)
UPLOAD_CHUNK = 1024 * 1024


class NotSignedIn(Exception):
    """No live session: the person is sent to the sign-in screen."""


def _sessions(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.sessions
    return store


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def current_session(request: Request) -> Session:
    session = _sessions(request).get(request.cookies.get(COOKIE), time.time())
    if session is None:
        raise NotSignedIn
    return session


Signed = Annotated[Session, Depends(current_session)]
GatewayDep = Annotated[Gateway, Depends(_gateway)]
Csrf = Annotated[str, Form(alias="csrf")]


def render(request: Request, name: str, session: Session | None, **context: Any) -> HTMLResponse:
    roles = session.person.roles if session else frozenset()
    flashes = session.pending.pop("flash", []) if session else []
    html = TEMPLATES.get_template(name).render(
        request=request,
        session=session,
        person=session.person if session else None,
        csrf=session.csrf if session else "",
        can=lambda action, state=None: offers(roles, action, state),
        flashes=flashes,
        **context,
    )
    return HTMLResponse(html, status_code=context.get("status_code", 200))


def flash(session: Session, kind: str, text: str) -> None:
    messages = session.pending.setdefault("flash", [])
    assert isinstance(messages, list)  # noqa: S101  # only this function writes it
    messages.append({"kind": kind, "text": text})


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _file_path(file_code: str) -> str:
    return f"/ho-so/{quote(validate_file_code(file_code))}"


async def _step(
    session: Session,
    done: str,
    back: str,
    call: Callable[[], Coroutine[Any, Any, Any]],
) -> RedirectResponse:
    """Run one step through the gateway; say what happened on the next screen."""
    try:
        await call()
    except GatewayProblem as problem:
        if problem.status == 401:
            raise
        flash(session, "error", f"{problem.detail} ({problem.code})")
    else:
        flash(session, "ok", done)
    return _back(back)


# --- sign-in ---------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ho-so"
    return target


@router.get("/dang-nhap", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", None, login_csrf=token, next=_safe_next(next))
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=1800)
    return response


@router.post("/dang-nhap", response_model=None)
async def sign_in(
    request: Request,
    gateway: GatewayDep,
    username: Annotated[str, Form(max_length=50)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Csrf,
    next: Annotated[str, Form(max_length=500)] = "/ho-so",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        raise CsrfRefused("mã chống giả mạo (CSRF) không khớp")
    try:
        grant = await gateway.sign_in(username.strip(), password)
        person: Person = await gateway.me(grant.access_token)
    except SignInRefused:
        token = secrets.token_urlsafe(32)
        page = render(
            request,
            "sign_in.html",
            None,
            login_csrf=token,
            next=_safe_next(next),
            username=username,
            refused=True,
            status_code=401,
        )
        _set_cookie(request, page, LOGIN_COOKIE, token, max_age=1800)
        return page
    settings = request.app.state.settings
    lifetime = min(grant.expires_in, settings.session_minutes * 60)
    session = _sessions(request).open(grant.access_token, person, time.time() + lifetime)
    response = _back(_safe_next(next))
    _set_cookie(request, response, COOKIE, session.session_id, max_age=int(lifetime))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/dang-xuat")
async def sign_out(request: Request, session: Signed, csrf: Csrf) -> RedirectResponse:
    session.check_csrf(csrf)
    _sessions(request).close(session.session_id)
    response = _back("/dang-nhap")
    response.delete_cookie(COOKIE, path="/")
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=request.app.state.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


# --- tổng quan -------------------------------------------------------------------------------


@router.get("/")
async def home() -> RedirectResponse:
    return _back("/ho-so")


@router.get("/tong-quan", response_class=HTMLResponse)
async def overview(request: Request, session: Signed, gateway: GatewayDep) -> HTMLResponse:
    report = await gateway.get(session.token, "/reports/progress")
    by_state = [
        (domain.label(domain.STATE_LABELS, state), int(count))
        for state, count in report.get("files_by_state", {}).items()
    ]
    per_day = [(str(d["date"])[5:], int(d["pages"])) for d in report.get("pages_per_day", [])]
    overdue: list[dict[str, Any]] | None = None
    deliveries_problem = None
    if offers(session.person.roles, Action.DELIVERIES):
        try:
            overdue = await gateway.get(session.token, "/deliveries", {"overdue": "true"})
        except GatewayProblem as problem:  # handover away: the rest of the screen still shows
            if problem.status == 401:
                raise
            deliveries_problem = problem
    return render(
        request,
        "overview.html",
        session,
        report=report,
        ocr=report.get("ocr") or {},
        state_bars=domain.bar_chart(by_state),
        day_bars=domain.bar_chart(per_day[-14:]),
        overdue=overdue,
        deliveries_problem=deliveries_problem,
    )


# --- hồ sơ list, search, export, import -----------------------------------------------------

FILTERS = ("fonds", "state", "type_name")


def _filters(request: Request) -> dict[str, str]:
    chosen = {k: nfc(v).strip() for k in FILTERS if (v := request.query_params.get(k))}
    year = request.query_params.get("year", "").strip()
    if year.isdigit():
        chosen["year_from"] = chosen["year_to"] = year
    return chosen


@router.get("/ho-so", response_class=HTMLResponse)
async def files(request: Request, session: Signed, gateway: GatewayDep) -> HTMLResponse:
    where = _filters(request)
    query = nfc(request.query_params.get("q", "")).strip()
    cursor = request.query_params.get("cursor")
    paging = {"cursor": cursor} if cursor else {}
    fonds = await gateway.get(session.token, "/fonds")
    hits: list[dict[str, Any]] = []
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    problem = None
    try:
        if query:
            found = await gateway.get(session.token, "/search", {"q": query, **where, **paging})
            hits = [
                {**hit, "segments": domain.marked_segments(str(hit.get("highlighted", "")))}
                for hit in found["hits"]
            ]
            listing["next_cursor"] = found.get("next_cursor")
        else:
            listing = await gateway.get(session.token, "/files", {**where, **paging, "limit": 50})
    except GatewayProblem as refused:
        if refused.status == 401:
            raise
        problem = refused
    shown = {k: request.query_params.get(k, "") for k in (*FILTERS, "year", "q")}
    return render(
        request,
        "files.html",
        session,
        fonds=fonds,
        listing=listing,
        hits=hits,
        query=query,
        shown=shown,
        problem=problem,
        export_query=urlencode({k: v for k, v in shown.items() if v and k != "q"}),
        next_query=urlencode(
            {**{k: v for k, v in shown.items() if v}, "cursor": listing["next_cursor"] or ""}
        ),
    )


@router.get("/ho-so.xlsx")
async def export(request: Request, session: Signed, gateway: GatewayDep) -> StreamingResponse:
    body = await gateway.stream(session.token, "/files", {**_filters(request), "format": "xlsx"})
    return StreamingResponse(
        body.chunks,
        media_type=body.media_type,
        headers={"content-disposition": 'attachment; filename="ho-so.xlsx"'},
    )


@router.get("/nhap-muc-luc", response_class=HTMLResponse)
async def import_form(request: Request, session: Signed, gateway: GatewayDep) -> HTMLResponse:
    fonds = await gateway.get(session.token, "/fonds")
    return render(request, "import.html", session, fonds=fonds, report=None)


async def _spool(upload: UploadFile, spool_dir: Path | None) -> Path:
    """The upload written to a file of ours, chunk by chunk (memory stays flat)."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  # removed after the real run
        prefix="muc-luc-", dir=spool_dir, delete=False
    )
    handle.close()
    path = Path(handle.name)
    async with await anyio.open_file(path, "wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            await out.write(chunk)
    return path


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(UPLOAD_CHUNK):
            yield chunk


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_type(name: str) -> str:
    return "text/csv" if name.lower().endswith(".csv") else XLSX


async def _import(
    gateway: Gateway, session: Session, pending: dict[str, str], *, dry_run: bool
) -> dict[str, Any]:
    params = {"dry_run": str(dry_run).lower()}
    if pending.get("fonds"):
        params["fonds"] = pending["fonds"]
    try:
        report: dict[str, Any] = await gateway.send(
            session.token,
            "POST",
            "/inventory-imports",
            params=params,
            content=_chunks(Path(pending["path"])),
            content_type=_sheet_type(pending["name"]),
        )
    except GatewayProblem as refused:
        if refused.code != "catalogue.import-refused":
            raise
        report = refused.body  # the report of what was refused; nothing was written
    return report


@router.post("/nhap-muc-luc", response_class=HTMLResponse)
async def import_dry_run(
    request: Request,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    sheet: Annotated[UploadFile, File()],
    fonds: Annotated[str, Form(max_length=50)] = "",
) -> HTMLResponse:
    session.check_csrf(csrf)
    _discard_pending_import(session)
    path = await _spool(sheet, request.app.state.settings.spool_dir)
    pending = {"path": str(path), "name": sheet.filename or "muc-luc.xlsx", "fonds": fonds}
    try:
        report = await _import(gateway, session, pending, dry_run=True)
    except GatewayProblem as refused:
        path.unlink(missing_ok=True)
        if refused.status == 401:
            raise
        flash(session, "error", f"{refused.detail} ({refused.code})")
        return render(
            request,
            "import.html",
            session,
            fonds=await gateway.get(session.token, "/fonds"),
            report=None,
        )
    session.pending["import"] = pending
    return render(
        request,
        "import.html",
        session,
        fonds=[],
        report=report,
        refused_rows={r["row"]: r for r in report.get("refused", [])},
        sheet_name=pending["name"],
    )


def _discard_pending_import(session: Session) -> None:
    earlier = session.pending.pop("import", None)
    if isinstance(earlier, dict):
        Path(str(earlier["path"])).unlink(missing_ok=True)


@router.post("/nhap-muc-luc/thuc-hien", response_class=HTMLResponse)
async def import_for_real(
    request: Request, session: Signed, gateway: GatewayDep, csrf: Csrf
) -> Response:
    session.check_csrf(csrf)
    pending = session.pending.get("import")
    if not isinstance(pending, dict):
        flash(session, "error", "Chưa có tệp mục lục nào được thử trước")
        return _back("/nhap-muc-luc")
    try:
        report = await _import(gateway, session, pending, dry_run=False)
    finally:
        _discard_pending_import(session)
    if report.get("refused"):
        flash(
            session, "error", f"Mục lục bị từ chối: {len(report['refused'])} dòng lỗi, không ghi gì"
        )
        return _back("/nhap-muc-luc")
    flash(
        session,
        "ok",
        f"Đã nhập {report.get('accepted', 0)}/{report.get('rows', 0)} dòng mục lục",
    )
    return _back("/ho-so")


# --- one hồ sơ -------------------------------------------------------------------------------


async def _file(gateway: Gateway, session: Session, file_code: str) -> dict[str, Any]:
    file: dict[str, Any] = await gateway.get(
        session.token, f"/files/{quote(validate_file_code(file_code))}"
    )
    return file


@router.get("/ho-so/{file_code}", response_class=HTMLResponse)
async def one_file(
    file_code: str, request: Request, session: Signed, gateway: GatewayDep
) -> HTMLResponse:
    file = await _file(gateway, session, file_code)
    return render(
        request,
        "file.html",
        session,
        file=file,
        path=_file_path(file_code),
        today=date.today().isoformat(),
        editable=file["state"] not in ("verified", "accepted", "packaged", "handed_over"),
    )


@router.post("/ho-so/{file_code}/truong")
async def change_fields(
    file_code: str, request: Request, session: Signed, gateway: GatewayDep, csrf: Csrf
) -> RedirectResponse:
    session.check_csrf(csrf)
    form = await request.form()
    file = await _file(gateway, session, file_code)
    changes: dict[str, Any] = {}
    for name in domain.FILE_FIELDS:
        if name not in form:
            continue
        value = nfc(str(form[name])).strip()
        before = file.get(name)
        if value == ("" if before is None else str(before)):
            continue
        changes[name] = (
            (int(value) if value.isdigit() else value)
            if name in domain.NUMBER_FIELDS
            else (value or None)
        )
    back = _file_path(file_code)
    if not changes:
        flash(session, "ok", "Không có trường nào thay đổi")
        return _back(back)
    return await _step(
        session,
        f"Đã lưu: {', '.join(domain.FILE_FIELDS[n] for n in changes)}",
        back,
        lambda: gateway.send(session.token, "PATCH", f"/files/{quote(file_code)}", json=changes),
    )


@router.post("/ho-so/{file_code}/lua-chon")
async def select(
    file_code: str,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    criterion: Annotated[int, Form(ge=1, le=4)],
    evidence: Annotated[str, Form(max_length=1000)],
) -> RedirectResponse:
    session.check_csrf(csrf)
    body = {"criteria": [{"code": criterion, "evidence": nfc(evidence).strip()}]}
    return await _step(
        session,
        f"Đã lựa chọn theo tiêu chí {criterion}",
        _file_path(file_code),
        lambda: gateway.send(
            session.token, "POST", f"/files/{quote(file_code)}/selection", json=body
        ),
    )


@router.post("/ho-so/{file_code}/phe-duyet")
async def approve(
    file_code: str,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    number: Annotated[str, Form(max_length=50)],
    signed_on: Annotated[date, Form(alias="date")],
    signer: Annotated[str, Form(max_length=200)],
) -> RedirectResponse:
    session.check_csrf(csrf)
    body = {
        "number": nfc(number).strip(),
        "date": signed_on.isoformat(),
        "signer": nfc(signer).strip(),
        "file_codes": [validate_file_code(file_code)],
    }
    return await _step(
        session,
        f"Đã ghi quyết định phê duyệt số {body['number']}",
        _file_path(file_code),
        lambda: gateway.send(session.token, "POST", "/selection-decisions", json=body),
    )


@router.post("/ho-so/{file_code}/chinh-ly")
async def arrange(
    file_code: str,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    papers: Annotated[int, Form(ge=1, alias="numberOfPaper")],
    pages: Annotated[int, Form(ge=1, alias="numberOfPage")],
) -> RedirectResponse:
    session.check_csrf(csrf)
    body = {
        "confirmed_by": session.person.full_name,
        "numberOfPaper": papers,
        "numberOfPage": pages,
    }
    return await _step(
        session,
        "Đã xác nhận chỉnh lý hoàn chỉnh: hồ sơ mở để số hóa",
        _file_path(file_code),
        lambda: gateway.send(
            session.token, "POST", f"/files/{quote(file_code)}/arrangement", json=body
        ),
    )


@router.post("/ho-so/{file_code}/trang")
async def upload_page(
    file_code: str,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    scan: Annotated[UploadFile, File()],
    sequence: Annotated[str, Form(max_length=6)] = "",
) -> RedirectResponse:
    session.check_csrf(csrf)
    params: dict[str, str] = {"filename": scan.filename or "scan"}
    if sequence.strip().isdigit():
        params["sequence"] = sequence.strip()

    async def body() -> AsyncIterator[bytes]:
        while chunk := await scan.read(UPLOAD_CHUNK):
            yield chunk

    return await _step(
        session,
        f"Đã nhận ảnh {scan.filename or ''}",
        _file_path(file_code),
        lambda: gateway.send(
            session.token,
            "POST",
            f"/files/{quote(file_code)}/pages",
            params=params,
            content=body(),
            content_type=scan.content_type or "application/octet-stream",
        ),
    )


# --- the page viewer -------------------------------------------------------------------------


ORIGINAL = "goc"  # ?anh=goc: the original scan instead of the cleaned image


@router.get("/ho-so/{file_code}/trang/{sequence}", response_class=HTMLResponse)
async def page_viewer(
    file_code: str,
    sequence: int,
    request: Request,
    session: Signed,
    gateway: GatewayDep,
    zoom: int | None = None,
    rotate: int | None = None,
    anh: str | None = None,
) -> HTMLResponse:
    file = await _file(gateway, session, file_code)
    words = await gateway.get(
        session.token, f"/files/{quote(file_code)}/page-words", {"sequence": sequence}
    )
    view = ViewBox.parse(zoom, rotate)
    width, height = int(words.get("width") or 2480), int(words.get("height") or 3508)
    read = domain.viewed_words(words.get("words", []))
    boxes = read
    original = Original.of(words) if anh == ORIGINAL else None
    if original is not None:  # the boxes follow the original's size, unless it was turned
        boxes = original.boxes(read, width, height) if original.aligned else []
        width, height = original.width, original.height
    shown_w, shown_h, transform = view.frame(width, height)
    numbers = sorted({p["sequence"] for p in file["pages"] if p.get("current")})
    image_params = {"anh": ORIGINAL} if original else {}
    if (fetched := view.image_width(width)) is not None:
        image_params["w"] = str(fetched)
    return render(
        request,
        "viewer.html",
        session,
        file=file,
        path=_file_path(file_code),
        sequence=sequence,
        numbers=numbers,
        page_words=words,
        words=read,
        boxes=boxes,
        original=original,
        image_query=f"?{urlencode(image_params)}" if image_params else "",
        width=width,
        height=height,
        shown_w=shown_w,
        shown_h=shown_h,
        transform=transform,
        view=view,
        low_confidence=domain.LOW_CONFIDENCE,
    )


@router.get("/ho-so/{file_code}/trang/{sequence}/anh")
async def page_image(
    file_code: str,
    sequence: int,
    session: Signed,
    gateway: GatewayDep,
    anh: str | None = None,
    w: Annotated[int | None, Query(ge=32, le=4000)] = None,
) -> StreamingResponse:
    """The page's image through the gateway; ``w``: a preview no wider (thumbnails, zoom)."""
    params: dict[str, str | int] = {"sequence": sequence}
    if anh == ORIGINAL:
        params["variant"] = "original"
    if w is not None:
        params["width"] = w
    body = await gateway.stream(
        session.token, f"/files/{quote(validate_file_code(file_code))}/page-image", params
    )
    return StreamingResponse(
        body.chunks, media_type=body.media_type, headers={"cache-control": "private, max-age=3600"}
    )


# --- biên mục --------------------------------------------------------------------------------


@router.get("/ho-so/{file_code}/bien-muc", response_class=HTMLResponse)
async def description(
    file_code: str, request: Request, session: Signed, gateway: GatewayDep
) -> HTMLResponse:
    file = await _file(gateway, session, file_code)
    suggestions = await gateway.get(session.token, f"/files/{quote(file_code)}/suggestions")
    read_on = sorted(
        {
            int(s["page"])
            for d in suggestions.get("documents", [])
            for s in d.get("fields", {}).values()
            if s.get("page") and s.get("boxes")
        }
    )
    sizes = await asyncio.gather(
        *(
            gateway.get(session.token, f"/files/{quote(file_code)}/page-words", {"sequence": n})
            for n in read_on
        ),
        return_exceptions=True,
    )
    page_sizes = {
        n: (int(words["width"]), int(words["height"]))
        for n, words in zip(read_on, sizes, strict=True)
        if isinstance(words, dict) and words.get("width") and words.get("height")
    }
    return render(
        request,
        "description.html",
        session,
        file=file,
        path=_file_path(file_code),
        suggestions=suggestions,
        page_sizes=page_sizes,
        confirmed={d["ordinal"]: d for d in file.get("documents", [])},
    )


@router.post("/ho-so/{file_code}/bien-muc/{ordinal}")
async def confirm_document(
    file_code: str,
    ordinal: int,
    request: Request,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
) -> RedirectResponse:
    session.check_csrf(csrf)
    form = await request.form()
    suggestions = await gateway.get(session.token, f"/files/{quote(file_code)}/suggestions")
    suggested: dict[str, Any] = next(
        (d for d in suggestions.get("documents", []) if d.get("ordinal") == ordinal), {}
    )
    fields = suggested.get("fields", {})
    corrections: dict[str, str] = {}
    for name in domain.DOCUMENT_FIELDS:
        if name not in form:
            continue
        value = nfc(str(form[name])).strip()
        if value != (fields.get(name, {}).get("value") or ""):
            corrections[name] = value
    body: dict[str, Any] = {"fields": corrections}
    for bound in ("first_page", "last_page"):
        raw = str(form.get(bound, "")).strip()
        if raw.isdigit():
            body[bound] = int(raw)
    said = ", ".join(domain.DOCUMENT_FIELDS[n] for n in corrections) or "không sửa trường nào"
    return await _step(
        session,
        f"Đã xác nhận văn bản {ordinal} ({said})",
        f"{_file_path(file_code)}/bien-muc",
        lambda: gateway.send(
            session.token,
            "POST",
            f"/files/{quote(file_code)}/documents/{ordinal}/confirmation",
            json=body,
        ),
    )


@router.post("/ho-so/{file_code}/van-ban/{ordinal}/tach")
async def split_document(
    file_code: str,
    ordinal: int,
    at_page: Annotated[int, Form(ge=2, le=9999)],
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
) -> RedirectResponse:
    """Tách văn bản: the catalogue numbers the second one next and those after it up one."""
    session.check_csrf(csrf)
    code = validate_file_code(file_code)
    return await _step(
        session,
        f"Đã tách văn bản {ordinal}: văn bản {ordinal + 1} bắt đầu từ trang {at_page}",
        f"{_file_path(code)}/bien-muc",
        lambda: gateway.send(
            session.token,
            "POST",
            f"/files/{quote(code)}/documents/{ordinal}/split",
            json={"at_page": at_page},
        ),
    )


@router.post("/ho-so/{file_code}/van-ban/{ordinal}/gop")
async def merge_documents(
    file_code: str, ordinal: int, session: Signed, gateway: GatewayDep, csrf: Csrf
) -> RedirectResponse:
    """Gộp văn bản with the next one; its own description is kept."""
    session.check_csrf(csrf)
    code = validate_file_code(file_code)
    return await _step(
        session,
        f"Đã gộp văn bản {ordinal} với văn bản {ordinal + 1}",
        f"{_file_path(code)}/bien-muc",
        lambda: gateway.send(
            session.token, "POST", f"/files/{quote(code)}/documents/{ordinal}/merge"
        ),
    )


@router.post("/ho-so/{file_code}/bien-muc-xong")
async def description_done(
    file_code: str, session: Signed, gateway: GatewayDep, csrf: Csrf
) -> RedirectResponse:
    session.check_csrf(csrf)
    return await _step(
        session,
        "Biên mục hoàn tất: hồ sơ đã biên mục",
        _file_path(file_code),
        lambda: gateway.send(session.token, "POST", f"/files/{quote(file_code)}/description"),
    )


# --- kiểm tra, quét lại, nghiệm thu, gói bàn giao -------------------------------------------


@router.get("/ho-so/{file_code}/kiem-tra", response_class=HTMLResponse)
async def review(
    file_code: str, request: Request, session: Signed, gateway: GatewayDep
) -> HTMLResponse:
    file = await _file(gateway, session, file_code)
    findings = await gateway.get(session.token, f"/files/{quote(file_code)}/checks")
    runs = await gateway.get(session.token, f"/files/{quote(file_code)}/verifications")
    package = None
    if file["state"] in ("packaged", "handed_over"):
        with contextlib.suppress(GatewayProblem):
            package = await gateway.get(session.token, f"/files/{quote(file_code)}/package")
    return render(
        request,
        "review.html",
        session,
        file=file,
        path=_file_path(file_code),
        findings=findings,
        runs=runs,
        package=package,
        receipts=domain.receipts(file.get("history", [])),
        pages=sorted({p["sequence"] for p in file["pages"] if p.get("current")}),
        thumbnail_width=domain.THUMBNAIL_WIDTH,
    )


@router.post("/ho-so/{file_code}/kiem-tra")
async def sign_off(
    file_code: str, request: Request, session: Signed, gateway: GatewayDep, csrf: Csrf
) -> RedirectResponse:
    session.check_csrf(csrf)
    form = await request.form()
    waivers = [
        {"check": str(check), "reason": nfc(str(form.get(f"reason-{check}", ""))).strip()}
        for check in form.getlist("waive")
    ]
    return await _step(
        session,
        "Kiểm tra đã ký: hồ sơ đạt",
        f"{_file_path(file_code)}/kiem-tra",
        lambda: gateway.send(
            session.token,
            "POST",
            f"/files/{quote(file_code)}/verification",
            json={"waivers": waivers},
        ),
    )


@router.post("/ho-so/{file_code}/quet-lai")
async def rescan(
    file_code: str, request: Request, session: Signed, gateway: GatewayDep, csrf: Csrf
) -> RedirectResponse:
    session.check_csrf(csrf)
    form = await request.form()
    reason = nfc(str(form.get("reason", ""))).strip()
    pages = [
        {"sequence": int(str(n)), "reason": reason}
        for n in form.getlist("page")
        if str(n).isdigit()
    ]
    return await _step(
        session,
        f"Đã yêu cầu quét lại {len(pages)} trang",
        f"{_file_path(file_code)}/kiem-tra",
        lambda: gateway.send(
            session.token,
            "POST",
            f"/files/{quote(file_code)}/rescan-requests",
            json={"pages": pages},
        ),
    )


def _acceptance(
    minutes_number: Annotated[str, Form(max_length=50)],  # số biên bản nghiệm thu
    role: Annotated[str, Form(max_length=200)],  # chức vụ người nghiệm thu
) -> dict[str, str]:
    """The body of ``POST /files/{mã}/accept``: the biên bản and who signs it, as typed."""
    return {"minutes_number": nfc(minutes_number).strip(), "role": nfc(role).strip()}


AcceptanceForm = Annotated[dict[str, str], Depends(_acceptance)]


@router.post("/ho-so/{file_code}/nghiem-thu")
async def accept(
    file_code: str,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    body: AcceptanceForm,
) -> RedirectResponse:
    session.check_csrf(csrf)
    return await _step(
        session,
        f"Đã nghiệm thu theo biên bản số {body['minutes_number']}",
        f"{_file_path(file_code)}/kiem-tra",
        lambda: gateway.send(session.token, "POST", f"/files/{quote(file_code)}/accept", json=body),
    )


@router.get("/ho-so/{file_code}/bien-nhan")
async def receipt(file_code: str, session: Signed, gateway: GatewayDep) -> Response:
    """The national archive's biên nhận as a JSON file, as the gateway gives it."""
    code = validate_file_code(file_code)
    answer = await gateway.get(session.token, f"/files/{quote(code)}/receipt")
    return Response(
        json.dumps(answer, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="bien-nhan-{code}.json"'},
    )


@router.get("/ho-so/{file_code}/goi-ban-giao")
async def package(file_code: str, session: Signed, gateway: GatewayDep) -> StreamingResponse:
    body = await gateway.stream(
        session.token, f"/files/{quote(validate_file_code(file_code))}/package/download"
    )
    return StreamingResponse(body.chunks, media_type=body.media_type, headers=body.headers)


@router.get("/nghiem-thu", response_class=HTMLResponse)
async def acceptance_desk(request: Request, session: Signed, gateway: GatewayDep) -> HTMLResponse:
    """The hồ sơ kiểm tra passed, to accept several under one biên bản; the last batch's
    outcome per hồ sơ above them."""
    listing = await gateway.get(
        session.token, "/files", {"state": "verified", "limit": domain.MAX_BATCH}
    )
    done = session.pending.pop("acceptances", None)
    return render(
        request,
        "acceptance.html",
        session,
        files=listing.get("items", []),
        more=bool(listing.get("next_cursor")),
        done=done if isinstance(done, dict) else None,
    )


@router.post("/nghiem-thu")
async def accept_batch(
    request: Request,
    session: Signed,
    gateway: GatewayDep,
    csrf: Csrf,
    body: AcceptanceForm,
) -> RedirectResponse:
    """Each chosen hồ sơ accepted on its own through ``POST /files/{mã}/accept`` with the same
    biên bản: the batch route is all or nothing, and a person wants to see which passed."""
    session.check_csrf(csrf)
    chosen = list(dict.fromkeys(str(c) for c in (await request.form()).getlist("file_code")))
    if not chosen or len(chosen) > domain.MAX_BATCH:
        flash(session, "error", f"Chọn từ 1 đến {domain.MAX_BATCH} hồ sơ để nghiệm thu")
        return _back("/nghiem-thu")
    outcomes = [await _accept_one(gateway, session, code, body) for code in chosen]
    accepted = sum(o.accepted for o in outcomes)
    session.pending["acceptances"] = {
        "minutes_number": body["minutes_number"],
        "outcomes": outcomes,
    }
    flash(
        session,
        "ok" if accepted == len(outcomes) else "error",
        f"Biên bản số {body['minutes_number']}: nghiệm thu {accepted}/{len(outcomes)} hồ sơ",
    )
    return _back("/nghiem-thu")


RATE_LIMIT_WAITS = 5  # a batch waits out the client's rate limit this many times at most
LONGEST_WAIT = 10.0  # seconds of one such wait


async def _send_paced(gateway: Gateway, token: str, path: str, body: dict[str, str]) -> None:
    """POST, waiting out the rate limit the gateway names (429 ``retry_after_seconds``): a
    batch of 200 sent at once under the workspace's one client would be cut off midway."""
    for wait in range(RATE_LIMIT_WAITS + 1):
        try:
            await gateway.send(token, "POST", path, json=body)
            return
        except GatewayProblem as refused:
            after = refused.body.get("retry_after_seconds")
            if refused.status != 429 or wait == RATE_LIMIT_WAITS:
                raise
            seconds = float(after) if isinstance(after, int | float) else 1.0
            await asyncio.sleep(min(max(seconds, 0.1), LONGEST_WAIT))


async def _accept_one(
    gateway: Gateway, session: Session, file_code: str, body: dict[str, str]
) -> Outcome:
    try:
        code = validate_file_code(file_code)
        await _send_paced(gateway, session.token, f"/files/{quote(code)}/accept", body)
    except GatewayProblem as refused:
        if refused.status == 401:
            raise
        return Outcome(file_code, False, refused.code, refused.detail)
    except InvalidFileCode as invalid:  # out of shape: never sent to the gateway
        return Outcome(file_code, False, invalid.code, str(invalid))
    return Outcome(file_code, True)
