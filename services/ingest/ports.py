"""What ingest's handlers need from the world, as interfaces: the page numbers of a hồ sơ with
their versions, ingest's view of the scanning gate, and a unit of work that commits them with
their events (SQL and the outbox in production, in-memory fakes in unit tests)."""

from __future__ import annotations

import abc
from typing import Protocol

from services.ingest.domain import Batch, Intake, PageSlot, PageVersion
from shared.events import Event
from shared.unit_of_work import UnitOfWorkBase


class PageRepository(Protocol):
    def slot(self, file_code: str, sequence: int) -> PageSlot:
        """The page number with every version stored at it (empty when none)."""

    def with_content(self, file_code: str, sha256: str) -> PageVersion | None: ...

    def next_sequence(self, file_code: str) -> int: ...

    def save(self, slot: PageSlot) -> None:
        """Write new versions and the current flags of a slot got in this unit of work."""

    def of_file(self, file_code: str, *, all_versions: bool = False) -> list[PageVersion]: ...


class IntakeRepository(Protocol):
    def get(self, file_code: str) -> tuple[Intake, int] | None:
        """The gate with the version of the catalogue event it was taken from."""

    def put(self, intake: Intake, version: int) -> None: ...


class BatchRepository(Protocol):
    def get(self, batch_id: str) -> Batch | None: ...

    def put(self, batch: Batch) -> None: ...


class UnitOfWork(UnitOfWorkBase):
    pages: PageRepository
    intakes: IntakeRepository
    batches: BatchRepository

    @abc.abstractmethod
    def publish(self, event: Event) -> None:
        """Queue ``event`` in the outbox; it is sent only if the unit of work commits."""

    @abc.abstractmethod
    def commit(self) -> None: ...
