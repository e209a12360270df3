"""What the gateway's use cases need from the world: the clients and people it knows, in one
unit of work, and the audit log (SQL in production, in-memory fakes in unit tests)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Protocol

from services.gateway.domain import AuditEntry, AuditFilter
from services.gateway.identity import ClientAccount, PersonAccount
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


class UnitOfWork(UnitOfWorkBase):
    identity: IdentityRepository

    @abc.abstractmethod
    def commit(self) -> None: ...


class AuditStore(Protocol):
    """The nhật ký truy cập: entries are appended and read, never changed or removed."""

    def append(self, entries: Sequence[AuditEntry]) -> None: ...

    def query(self, where: AuditFilter, *, after: int, limit: int) -> list[AuditEntry]:
        """Entries matching ``where`` with an id above ``after``, oldest first."""
