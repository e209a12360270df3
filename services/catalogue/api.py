"""The catalogue's internal HTTP API (reached through the gateway)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.catalogue.domain import snippet
from services.catalogue.handlers import (
    CatalogueDeps,
    NewFile,
    accept_file,
    describe_file,
    register_file,
    search,
)
from shared.http import correlation_id
from shared.text import FileCode, NfcStr, validate_file_code

router = APIRouter(prefix="/api/v1", tags=["catalogue"])
ACTOR_HEADER = "x-sohoa-actor"


def _deps(request: Request) -> CatalogueDeps:
    deps: CatalogueDeps = request.app.state.deps
    return deps


Deps = Annotated[CatalogueDeps, Depends(_deps)]


def _actor(request: Request) -> str:
    """Who acts: the API client the gateway authenticated."""
    return request.headers.get(ACTOR_HEADER, "anonymous")


Actor = Annotated[str, Depends(_actor)]


class FileIn(BaseModel):
    """A hồ sơ row of the mục lục (inventory) to register."""

    file_code: FileCode = Field(description="mã hồ sơ, e.g. H49.64.33.2001.160")
    title: NfcStr = Field(min_length=1, max_length=1000, description="tiêu đề hồ sơ")
    number_of_page: int = Field(ge=1, le=100_000, description="số lượng trang")
    metadata: dict[str, NfcStr] = Field(default_factory=dict, description="other TT 05 fields")


class PageView(BaseModel):
    page_id: str
    sequence: int
    sha256: str | None
    stored: bool
    has_text: bool
    confidence: float | None
    failure_code: str | None = Field(default=None, description="why the page was not read")
    failure_detail: str | None = None


class TransitionView(BaseModel):
    from_state: str
    to_state: str
    actor: str
    reason: str
    at: datetime


class FileOut(BaseModel):
    file_code: str
    title: str
    state: str
    number_of_page: int
    pages_stored: int
    pages_read: int
    accepted_by: str | None
    accepted_at: datetime | None
    package_key: str | None
    package_sha256: str | None
    metadata: dict[str, str]
    pages: list[PageView]
    history: list[TransitionView]


class SearchHitOut(BaseModel):
    file_code: str
    title: str
    page_id: str
    sequence: int
    exact: bool = Field(description="the query matched with its diacritics as typed")
    snippet: str


class SearchOut(BaseModel):
    query: str
    hits: list[SearchHitOut]


async def _file_out(file_code: str, deps: CatalogueDeps) -> FileOut:
    view = await describe_file(file_code, deps)
    pages = [
        PageView(
            page_id=p.page_id,
            sequence=p.sequence,
            sha256=p.sha256,
            stored=p.object_key is not None,
            has_text=p.text_key is not None,
            confidence=p.confidence,
            failure_code=p.failure_code,
            failure_detail=p.failure_detail,
        )
        for p in view.pages
    ]
    f = view.file
    return FileOut(
        file_code=f.file_code,
        title=f.title,
        state=f.state,
        number_of_page=f.number_of_page,
        pages_stored=sum(p.stored for p in pages),
        pages_read=sum(p.stored and p.has_text for p in pages),
        accepted_by=f.accepted_by,
        accepted_at=f.accepted_at,
        package_key=f.package_key,
        package_sha256=f.package_sha256,
        metadata=f.file_metadata,
        pages=pages,
        history=[TransitionView.model_validate(t, from_attributes=True) for t in view.transitions],
    )


@router.post("/files", status_code=201, response_model=FileOut, summary="Register a hồ sơ")
async def post_file(body: FileIn, deps: Deps, actor: Actor) -> JSONResponse:
    new = NewFile(body.file_code, body.title, body.number_of_page, dict(body.metadata))
    _, created = await register_file(new, actor, deps)
    out = await _file_out(body.file_code, deps)
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/files/{file_code}", response_model=FileOut, summary="A hồ sơ, its pages and history")
async def get_file(file_code: str, deps: Deps) -> FileOut:
    return await _file_out(validate_file_code(file_code), deps)


@router.post(
    "/files/{file_code}/accept",
    response_model=FileOut,
    summary="Nghiệm thu: accept a fully digitized hồ sơ for handover",
    responses={404: {}, 409: {"description": "not every page is stored and read"}},
)
async def post_accept(file_code: str, request: Request, deps: Deps, actor: Actor) -> FileOut:
    code = validate_file_code(file_code)
    await accept_file(code, actor, correlation_id(request), deps)
    return await _file_out(code, deps)


@router.get("/search", response_model=SearchOut, summary="Search page text, with or without dấu")
async def get_search(
    deps: Deps,
    q: Annotated[str, Query(min_length=1, max_length=200, description="từ khóa")],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SearchOut:
    hits = await search(q, limit, deps)
    return SearchOut(
        query=q,
        hits=[
            SearchHitOut(
                file_code=h.file_code,
                title=h.title,
                page_id=h.page_id,
                sequence=h.sequence,
                exact=h.exact,
                snippet=snippet(h.text, q),
            )
            for h in hits
        ],
    )
