"""The gateway's use cases for webhooks, each a function of its arguments and a unit of work:
a client subscribes, lists and cancels its own subscriptions and reads their deliveries;
a hồ sơ state change becomes one delivery per subscription that may hear of it; the
delivery worker claims what is due and records how each attempt went; deliveries done with
are forgotten after a while."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from services.gateway.accounts import Bootstrap
from services.gateway.domain import KeyExpired, KeyRevoked, Role
from services.gateway.identity import Caller
from services.gateway.ports import UnitOfWork
from services.gateway.webhooks import (
    MAX_SUBSCRIPTIONS,
    Delivery,
    Subscription,
    TooManyWebhooks,
    WebhookEvent,
    WebhookNotFound,
)
from shared.backoff import RetryPolicy
from shared.events import FileStateChanged


def subscribe(
    uow: UnitOfWork, caller: Caller, url: str, events: frozenset[WebhookEvent]
) -> Subscription:
    """A new subscription of the caller's client, with the caller's roles; its secret is
    returned in it this once (the API shows it at creation only)."""
    with uow:
        if len(uow.webhooks.subscriptions(caller.client)) >= MAX_SUBSCRIPTIONS:
            raise TooManyWebhooks(
                f"mỗi hệ thống có tối đa {MAX_SUBSCRIPTIONS} đăng ký; hủy bớt đăng ký cũ"
            )
        subscription = Subscription.new(caller.client, caller.roles, url, events, uow.now())
        uow.webhooks.add_subscription(subscription)
        uow.commit()
    return subscription


def list_subscriptions(uow: UnitOfWork, caller: Caller) -> list[Subscription]:
    with uow:
        return [
            s
            for s in uow.webhooks.subscriptions(caller.client)
            if s.seen_by(caller.client, caller.roles)
        ]


def _own(uow: UnitOfWork, caller: Caller, subscription_id: UUID) -> Subscription:
    subscription = uow.webhooks.subscription(subscription_id)
    if subscription is None:
        raise WebhookNotFound(f"không có đăng ký webhook {subscription_id}")
    return subscription.owned_by(caller.client, caller.roles)


def unsubscribe(uow: UnitOfWork, caller: Caller, subscription_id: UUID) -> Subscription:
    """Cancelled, not removed: its deliveries stay as they were and no new ones are made."""
    with uow:
        subscription = _own(uow, caller, subscription_id).cancelled()
        uow.webhooks.save_subscription(subscription)
        uow.commit()
    return subscription


def list_deliveries(
    uow: UnitOfWork, caller: Caller, subscription_id: UUID, *, before: int, limit: int
) -> list[Delivery]:
    with uow:
        _own(uow, caller, subscription_id)
        return uow.webhooks.deliveries(subscription_id, before=before, limit=limit)


def client_roles(uow: UnitOfWork, client: str, bootstrap: Bootstrap) -> frozenset[Role]:
    """The roles a client holds now: none once it is revoked, expired or gone, so its
    subscriptions fall silent with it."""
    if client in bootstrap.keys:
        return bootstrap.roles_of(client)
    account = uow.identity.client(client)
    if account is None:
        return frozenset()
    try:
        account.check_usable(uow.now())
    except (KeyExpired, KeyRevoked):
        return frozenset()
    return account.roles


def _roles_now(uow: UnitOfWork, bootstrap: Bootstrap) -> Callable[[str], frozenset[Role]]:
    """:func:`client_roles`, looked up once per client within one unit of work."""
    known: dict[str, frozenset[Role]] = {}

    def roles(client: str) -> frozenset[Role]:
        if client not in known:
            known[client] = client_roles(uow, client, bootstrap)
        return known[client]

    return roles


def announce(
    uow: UnitOfWork, change: FileStateChanged, event_id: str, bootstrap: Bootstrap
) -> list[Delivery]:
    """One delivery per active subscription that may hear of ``change``. Safe to run twice:
    a delivery is unique per subscription and event id."""
    with uow:
        made: list[Delivery] = []
        roles = _roles_now(uow, bootstrap)
        for subscription in uow.webhooks.active():
            delivery = subscription.delivery_for(
                change, event_id, roles(subscription.client), uow.now()
            )
            if delivery is not None:
                uow.webhooks.add_delivery(delivery)
                made.append(delivery)
        uow.commit()
    return made


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for one attempt, with where and how to send it."""

    delivery: Delivery
    url: str
    secret: str


def claim_due(
    uow: UnitOfWork, now: datetime, lease: timedelta, limit: int, bootstrap: Bootstrap
) -> list[Claimed]:
    """Deliveries due by ``now``, held for ``lease`` (longer than one attempt can take) so
    another gateway replica leaves them alone; a replica that dies holding them lets the
    lease run out and the next one tries again. One whose subscription was cancelled, or
    whose client lost its roles since, is given up instead of sent."""
    with uow:
        deliveries = uow.webhooks.claim_due(now, now + lease, limit)
        claimed = []
        roles = _roles_now(uow, bootstrap)
        for delivery in deliveries:
            subscription = uow.webhooks.subscription(delivery.subscription)
            if subscription is None or not subscription.still_heard(roles(subscription.client)):
                uow.webhooks.save_delivery(delivery.silenced(SILENCED))
                continue
            claimed.append(Claimed(delivery, subscription.url, subscription.secret))
        uow.commit()
    return claimed


SILENCED = "webhooks.silenced: the subscription was cancelled or its client lost its roles"


def record_attempt(
    uow: UnitOfWork,
    delivery: Delivery,
    status: int | None,
    error: str | None,
    now: datetime,
    policy: RetryPolicy,
) -> Delivery:
    with uow:
        done = delivery.attempted(status, error, now, policy)
        uow.webhooks.save_delivery(done)
        uow.commit()
    return done


def prune_deliveries(uow: UnitOfWork, now: datetime, keep: timedelta) -> int:
    """Forget deliveries older than ``keep`` that are done with — delivered, or silenced
    (their subscription cancelled, their client gone): one row per change and subscription
    would otherwise grow without end. Failed ones stay, for the partner to see what it
    missed; pending ones are still on their way."""
    with uow:
        pruned = uow.webhooks.prune_deliveries(now - keep, SILENCED)
        uow.commit()
    return pruned
