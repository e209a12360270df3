"""What the gateway's use cases need from the world: the clients and people it knows, in one
unit of work (SQL in production, in-memory fakes in unit tests)."""

from __future__ import annotations

import abc
from typing import Protocol

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
