"""What the gateway's use cases need from the world: the clients and people it knows and the
webhook subscriptions with their deliveries, in one unit of work, and the audit log (SQL in
production, in-memory fakes in unit tests)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from services.gateway.domain import AuditEntry, AuditFilter
from services.gateway.identity import ClientAccount, PersonAccount
from services.gateway.webhooks import Delivery, Subscription
from shared.unit_of_work import UnitOfWorkBase


class IdentityRepository(Protocol):
    def client(self, name: str) -> ClientAccount | None: ...

    def client_by_key(self, key_hash: str) -> ClientAccount | None:
        """The client whose current key has this SHA-256 (revoked ones included)."""

    def clients(self) -> list[ClientAccount]: ...

    def add_client(self, client: ClientAccount) -> None:
        """Raises ``ClientExists`` when the name is taken (at the latest on commit)."""

    def save_client(self, client: ClientAccount) -> None: ...

    def person(self, client: str, username: str) -> PersonAccount | None: ...

    def people(self, client: str) -> list[PersonAccount]: ...

    def add_person(self, person: PersonAccount) -> None:
        """Raises ``PersonExists`` when the username is taken in the client."""

    def save_person(self, person: PersonAccount) -> None: ...


class WebhookRepository(Protocol):
    def subscription(self, subscription_id: UUID) -> Subscription | None: ...

    def subscriptions(self, client: str) -> list[Subscription]:
        """The client's active subscriptions, oldest first."""

    def active(self) -> list[Subscription]:
        """Every active subscription, of every client."""

    def add_subscription(self, subscription: Subscription) -> None: ...

    def save_subscription(self, subscription: Subscription) -> None: ...

    def add_delivery(self, delivery: Delivery) -> None:
        """Skipped when this event is already on its way to this subscription."""

    def deliveries(self, subscription_id: UUID, *, before: int, limit: int) -> list[Delivery]:
        """The subscription's deliveries with an id below ``before``, newest first."""

    def claim_due(self, now: datetime, until: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries of active subscriptions due by ``now``, their next attempt moved
        to ``until`` so no other replica takes them meanwhile (``FOR UPDATE SKIP LOCKED``)."""

    def save_delivery(self, delivery: Delivery) -> None: ...

    def prune_deliveries(self, before: datetime, silenced: str) -> int:
        """Remove the deliveries made before ``before`` that are done with: delivered, or
        given up with ``silenced`` as their error; how many went."""


class UnitOfWork(UnitOfWorkBase):
    identity: IdentityRepository
    webhooks: WebhookRepository

    @abc.abstractmethod
    def commit(self) -> None: ...


class AuditStore(Protocol):
    """The nhật ký truy cập: entries are appended and read, never changed or removed."""

    def append(self, entries: Sequence[AuditEntry]) -> None: ...

    def query(self, where: AuditFilter, *, after: int, limit: int) -> list[AuditEntry]:
        """Entries matching ``where`` with an id above ``after``, oldest first."""
