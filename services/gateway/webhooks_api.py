"""Webhooks for partner systems (``/api/v1/webhooks``): a client subscribes a URL to hồ sơ
state changes, lists and cancels its own subscriptions and reads each one's deliveries.
Answered by the gateway itself, from its own database; another client's subscription
answers 404 as if it did not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from services.gateway import subscriptions
from services.gateway.api import PROBLEMS
from services.gateway.callers import Authorized, run_use_case
from services.gateway.webhooks import (
    MAX_URL_LENGTH,
    Delivery,
    DeliveryState,
    Subscription,
    WebhookEvent,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], responses=PROBLEMS)
WebhookId = Annotated[UUID, Path(alias="id", description="mã đăng ký webhook")]
MAX_CURSOR = 2**31 - 1  # the largest id the table holds (an INTEGER key)


class WebhookView(BaseModel):
    id: UUID
    url: str = Field(examples=["https://doitac.travinh.gov.vn/sohoa/thong-bao"])
    events: list[WebhookEvent]
    created_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookView:
        return cls(
            id=subscription.id,
            url=subscription.url,
            events=sorted(subscription.events),
            created_at=subscription.created_at,
        )


class WebhookWithSecret(BaseModel):
    webhook: WebhookView
    secret: str = Field(
        description="signs every delivery (Sohoa-Webhook-Signature); shown this once"
    )


class WebhookList(BaseModel):
    webhooks: list[WebhookView]


class NewWebhook(BaseModel):
    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="http:// or https:// URL that receives the POSTs",
        examples=["https://doitac.travinh.gov.vn/sohoa/thong-bao"],
    )
    events: list[WebhookEvent] = Field(
        default=[WebhookEvent.FILE_STATE_CHANGED],
        min_length=1,
        description="what to hear of: the state changes of hồ sơ the client may see",
    )


class DeliveryView(BaseModel):
    id: int
    event_id: str = Field(description="the change's CloudEvents id, the body's `id`")
    file_code: str = Field(examples=["H49.64.33.2024.01.VP"])
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(description="null once delivered or failed")
    last_status: int | None = Field(description="HTTP status of the last try; null: no answer")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryView:
        return cls(
            id=delivery.id or 0,
            event_id=delivery.event_id,
            file_code=delivery.file_code,
            state=delivery.state,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryView] = Field(description="newest first")
    next_cursor: int | None = Field(description="`cursor` for the next (older) page")


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecret,
    summary="Subscribe a URL to hồ sơ state changes; the signing secret once",
)
async def create_webhook(
    request: Request, body: NewWebhook, caller: Authorized
) -> WebhookWithSecret:
    subscription = await run_use_case(
        request, subscriptions.subscribe, caller, body.url, frozenset(body.events)
    )
    return WebhookWithSecret(webhook=WebhookView.of(subscription), secret=subscription.secret)


@router.get("", response_model=WebhookList, summary="The calling client's subscriptions")
async def list_webhooks(request: Request, caller: Authorized) -> WebhookList:
    found = await run_use_case(request, subscriptions.list_subscriptions, caller)
    return WebhookList(webhooks=[WebhookView.of(s) for s in found])


@router.delete("/{id}", status_code=204, summary="Cancel a subscription: nothing more is sent")
async def delete_webhook(request: Request, webhook_id: WebhookId, caller: Authorized) -> Response:
    await run_use_case(request, subscriptions.unsubscribe, caller, webhook_id)
    return Response(status_code=204)


@router.get(
    "/{id}/deliveries",
    response_model=DeliveryPage,
    summary="A subscription's deliveries, newest first, with each one's last attempt",
)
async def list_deliveries(
    request: Request,
    webhook_id: WebhookId,
    caller: Authorized,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_CURSOR)] = None,
) -> DeliveryPage:
    found: list[Delivery] = await run_use_case(
        request,
        subscriptions.list_deliveries,
        caller,
        webhook_id,
        before=cursor or MAX_CURSOR,
        limit=limit,
    )
    more = len(found) == limit and found[-1].id is not None
    return DeliveryPage(
        deliveries=[DeliveryView.of(d) for d in found],
        next_cursor=found[-1].id if more else None,
    )
