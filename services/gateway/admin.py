"""Operators' routes of the gateway (``/api/v1/admin``): dead letters, listed and replayed,
and the audit log (nhật ký truy cập), read and exported.

They need the ``admin`` role, and are answered by the gateway itself, not forwarded: dead
letters live on the broker, read with a group-less consumer (:mod:`shared.deadletters`), the
same code as ``sohoa dlq``. Every replay is recorded with the client and person who asked.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field, StrictBool
from starlette.background import BackgroundTask

from services.gateway import audit
from services.gateway.api import PROBLEMS, XLSX, Client, Person
from services.gateway.callers import acting_person, require
from services.gateway.domain import AuditEntry, AuditFilter
from services.gateway.ports import AuditStore
from shared.config import KafkaSettings
from shared.deadletters import DeadLetters, replay_letters
from shared.xlsx import write_xlsx


def _admin(request: Request, client: Client) -> None:
    """Checked before the body is read: a client without the role learns nothing more."""
    require(client, request.method, request.url.path.removeprefix("/api/v1"))


MAX_ENTRY_ID = 2**63 - 1  # the largest id a database integer column holds


router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(_admin)])


class DeadLetterItem(BaseModel):
    id: str = Field(description="<dead-letter topic>:<partition>:<offset>")
    topic: str = Field(description="the topic the event was published on")
    key: str
    code: str = Field(description="the reason's stable code, e.g. ocr.unreadable-image")
    detail: str
    attempts: int
    consumer_group: str
    event_id: str
    time: str = Field(description="when it was dead-lettered (ISO 8601, UTC)")
    replayed: bool = Field(description="a recorded replay has sent it back already")


class DeadLetterPage(BaseModel):
    total: int = Field(description="dead letters on the topic (every topic without one)")
    items: list[DeadLetterItem]


class ReplayRequest(BaseModel):
    ids: list[str] = Field(default_factory=list, description="letters to replay, by id")
    topic: str | None = Field(default=None, description="with all: only this topic's letters")
    all: StrictBool = Field(default=False, description="every letter not replayed before")


class ReplayResult(BaseModel):
    replayed: list[str]
    skipped: list[str] = Field(description="replayed before: a replay happens once")


def _kafka(request: Request) -> KafkaSettings:
    settings: KafkaSettings = request.app.state.settings.kafka
    return settings


@router.get(
    "/dead-letters",
    summary="Dead letters: events a service could not handle, with the reason",
    response_model=DeadLetterPage,
    responses=PROBLEMS,
)
async def list_dead_letters(
    request: Request,
    client: Client,
    topic: Annotated[str | None, Query(description="a topic or its .dlq")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DeadLetterPage:
    async with DeadLetters.open(_kafka(request)) as letters:
        done = await letters.replayed()
        total = await letters.count(topic)
        items: list[DeadLetterItem] = []
        position = 0
        async for letter in letters.scan(topic):
            if position >= offset:
                summary = letter.summary()
                items.append(
                    DeadLetterItem.model_validate({**summary, "replayed": summary["id"] in done})
                )
                if len(items) == limit:
                    break
            position += 1
    return DeadLetterPage(total=total, items=items)


@router.post(
    "/dead-letters/replay",
    summary="Send dead letters back to their topic, each once, recorded",
    response_model=ReplayResult,
    responses=PROBLEMS,
)
async def replay_dead_letters(
    request: Request, body: ReplayRequest, client: Client, person: Person = None
) -> ReplayResult:
    name = acting_person(client, person)
    by = f"{client.client}/{name}" if name else client.client
    outcome = await replay_letters(
        _kafka(request),
        source="sohoa-gateway",
        by=by,
        ids=body.ids,
        topic=body.topic,
        everything=body.all,
    )
    return ReplayResult(replayed=outcome.replayed, skipped=outcome.skipped)


class AuditItem(BaseModel):
    id: int
    at: datetime
    client: str | None = Field(description="null: the caller was not authenticated")
    person: str | None = Field(description="the acting person (a token's, or X-Acting-Person)")
    username: str | None = Field(description="set when a person's token proved who acted")
    method: str
    operation: str = Field(examples=["/files/{file_code}/pages"])
    file_code: str | None = Field(description="the mã hồ sơ the path names")
    records: list[str] = Field(
        description="the mã hồ sơ the answering service touched (a search's hits, a list, the "
        "codes of a body), the first 200 at most"
    )
    records_count: int = Field(description="how many it touched; more than `records` when cut")
    restricted: bool | None = Field(
        description="a hồ sơ touched (path or records) is restricted (chế độ sử dụng 02/03); "
        "null: not known, or none touched"
    )
    status: int
    correlation_id: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditItem:
        return cls.model_validate({**vars(entry), "records": list(entry.records)})


class AuditPage(BaseModel):
    entries: list[AuditItem]
    next_cursor: int | None = Field(description="pass as ?cursor= for the next entries")


def _moment(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _iso_only(value: object) -> object:
    """ISO 8601 text only: pydantic would also read a bare number (``0.5``) as a Unix time,
    which the document's ``date-time`` does not allow (schemathesis found it)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("ISO 8601 date-time expected, e.g. 2026-12-01T08:00:00+07:00")
    return value


IsoMoment = Annotated[datetime | None, BeforeValidator(_iso_only)]


@router.get(
    "/audit",
    summary="Nhật ký truy cập: who called what, on which hồ sơ, with what result",
    description="Oldest first. `format=csv` or `xlsx` exports every matching entry; `json` "
    "gives `limit` at a time from `cursor`. `person` matches a name or a username; "
    "`file_code` the hồ sơ in the path or among the records touched; `since` and `until` are "
    "ISO 8601 (UTC when no zone is given), `until` excluded.",
    response_model=AuditPage,
    responses={
        **PROBLEMS,
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        },
    },
)
async def read_audit(
    request: Request,
    caller: Client,
    client: Annotated[str | None, Query(max_length=50)] = None,
    person: Annotated[str | None, Query(max_length=200)] = None,
    file_code: Annotated[str | None, Query(max_length=100)] = None,
    since: IsoMoment = None,
    until: IsoMoment = None,
    format: Literal["json", "csv", "xlsx"] = "json",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int, Query(ge=0, le=MAX_ENTRY_ID)] = 0,
) -> Response | AuditPage:
    store: AuditStore = request.app.state.audit_log
    where = AuditFilter(client, person, file_code, _moment(since), _moment(until))
    if format == "csv":

        async def page(after: int) -> list[AuditEntry]:
            return await asyncio.to_thread(store.query, where, after=after, limit=audit.PAGE)

        return StreamingResponse(
            audit.csv_lines(page),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="nhat-ky-truy-cap.csv"'},
        )
    if format == "xlsx":
        folder = tempfile.mkdtemp(prefix="sohoa-audit-")
        path = Path(folder) / "nhat-ky-truy-cap.xlsx"
        await asyncio.to_thread(write_xlsx, path, [audit.sheet(audit.every(store, where))])

        def remove() -> None:
            path.unlink(missing_ok=True)
            Path(folder).rmdir()

        return FileResponse(
            path, media_type=XLSX, filename=path.name, background=BackgroundTask(remove)
        )
    entries = await asyncio.to_thread(store.query, where, after=cursor, limit=limit)
    last = entries[-1].id if len(entries) == limit else None
    return AuditPage(entries=[AuditItem.of(e) for e in entries], next_cursor=last)
