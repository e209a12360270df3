"""Operators' routes of the gateway (``/api/v1/admin``): dead letters, listed and replayed.

They need the ``admin`` role, and are answered by the gateway itself, not forwarded: dead
letters live on the broker, read with a group-less consumer (:mod:`shared.deadletters`), the
same code as ``sohoa dlq``. Every replay is recorded with the client and person who asked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.gateway.api import PROBLEMS, Client, Person
from services.gateway.callers import acting_person, require
from shared.config import KafkaSettings
from shared.deadletters import DeadLetters, replay_letters


def _admin(request: Request, client: Client) -> None:
    """Checked before the body is read: a client without the role learns nothing more."""
    require(client, request.method, request.url.path.removeprefix("/api/v1"))


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
    all: bool = Field(default=False, description="every letter not replayed before")


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
