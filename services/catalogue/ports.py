"""What the catalogue's handlers need from the world, as interfaces: repositories of its
aggregates and records, the page-text index, a unit of work that commits them with their events
(SQL in production, in-memory fakes in unit tests), and the read side for lists and reports."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Protocol
from uuid import UUID

from services.catalogue.domain.fonds import Fonds
from services.catalogue.domain.inventory import SheetRow
from services.catalogue.domain.model import ArchivalFile, Transition
from services.catalogue.domain.queries import (
    FileFilter,
    FileSummary,
    PlanCounts,
    ProgressCounts,
    SearchPage,
    SearchQuery,
    SelectionRow,
)
from services.catalogue.domain.records import Acceptance, SelectionDecision, VerificationRun
from services.catalogue.domain.tables import TableSheet
from shared.events import Event
from shared.unit_of_work import UnitOfWorkBase


class FileRepository(abc.ABC):
    """Hồ sơ by file code. ``get`` holds the hồ sơ for this unit of work (a row lock on
    PostgreSQL, the write lock on SQLite), so two replicas never decide on the same one at once."""

    def __init__(self) -> None:
        self.seen: dict[str, ArchivalFile] = {}

    def get(self, file_code: str) -> ArchivalFile | None:
        file = self.seen.get(file_code) or self._get(file_code)
        if file is not None:
            self.seen[file_code] = file
        return file

    def add(self, file: ArchivalFile) -> None:
        self._add(file)
        self.seen[file.file_code] = file

    @abc.abstractmethod
    def _get(self, file_code: str) -> ArchivalFile | None: ...

    @abc.abstractmethod
    def _add(self, file: ArchivalFile) -> None: ...

    @abc.abstractmethod
    def save(self, file: ArchivalFile) -> None:
        """Write what changed in a hồ sơ got or added in this unit of work, with the
        transitions and corrections it recorded."""

    @abc.abstractmethod
    def unannounced(self) -> list[str]:
        """File codes that never published a state event (registered before the workflow)."""

    @abc.abstractmethod
    def with_unread_pages(
        self, stored_before: datetime, asked_lately: Sequence[datetime], *, limit: int
    ) -> list[str]:
        """Hồ sơ holding a current page stored before ``stored_before`` that is neither read
        nor failed and was not asked for lately (see :meth:`Announcements.asked_lately`), at
        most ``limit``."""

    @abc.abstractmethod
    def awaiting_package(self) -> list[str]:
        """File codes of the accepted hồ sơ whose package has neither come nor failed."""


class FondsRepository(Protocol):
    def get(self, code: str) -> Fonds | None: ...
    def put(self, fonds: Fonds) -> None: ...
    def all(self) -> list[Fonds]: ...


class DecisionRepository(Protocol):
    def find(self, number: str, signed: date) -> SelectionDecision | None: ...
    def add(self, decision: SelectionDecision) -> None: ...


class AcceptanceRepository(Protocol):
    def add(self, acceptance: Acceptance) -> None: ...
    def get(self, acceptance_id: UUID) -> Acceptance | None: ...


class VerificationRepository(Protocol):
    def add(self, run: VerificationRun) -> None: ...
    def of_file(self, file_code: str) -> list[VerificationRun]: ...


class SearchIndex(Protocol):
    """What search reads: each page's text (not part of the aggregate: it is large, and no rule
    of the hồ sơ depends on it) and each hồ sơ's own description."""

    def put(self, page_id: UUID, file_code: str, sequence: int, text: str) -> None: ...
    def put_file(self, file_code: str, text: str) -> None: ...
    def of_file(self, file_code: str) -> dict[UUID, str]: ...


class Announcements(Protocol):
    """The events already staged in the outbox, as the sweeps that announce again see them."""

    def asked_lately(self, topic: str, cutoffs: Sequence[datetime]) -> set[str]:
        """Keys whose newest event of ``topic`` was staged after the cutoff for their count:
        ``cutoffs[n - 1]`` for a key with ``n`` events (the last cutoff beyond)."""
        ...

    def send_again(self, topic: str, keys: Sequence[str], sent_before: datetime) -> list[str]:
        """Each key's newest event of ``topic``, sent before ``sent_before``, is sent again as
        it was (same ``ce_id``, so consumers that handled it skip it). Returns those keys."""
        ...


class UnitOfWork(UnitOfWorkBase):
    """One transaction: the hồ sơ and records a handler touched, and the events they recorded,
    commit together or not at all. Leaving without ``commit`` rolls back."""

    files: FileRepository
    fonds: FondsRepository
    decisions: DecisionRepository
    acceptances: AcceptanceRepository
    verifications: VerificationRepository
    texts: SearchIndex
    announcements: Announcements

    def commit(self) -> None:
        """Save every hồ sơ touched, stage its events in the outbox, then commit."""
        for file in self.files.seen.values():
            self.files.save(file)
            self.texts.put_file(file.file_code, file.search_text())
            self._stage(file.pull_events())
        self._commit()

    @abc.abstractmethod
    def _stage(self, events: Sequence[Event]) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...


class CatalogueViews(Protocol):
    """The read side: lists, search and report counts, straight from the database."""

    def history(self, file_code: str) -> list[Transition]: ...
    def files(self, where: FileFilter, *, after: str | None, limit: int) -> list[FileSummary]: ...
    def all_files(self, where: FileFilter) -> Iterator[FileSummary]: ...
    def search(self, query: SearchQuery) -> SearchPage: ...
    def progress(self, today: date, *, public_only: bool = False) -> ProgressCounts: ...
    def plan_counts(self, year: int, *, public_only: bool = False) -> PlanCounts: ...
    def selection(self) -> list[SelectionRow]: ...
    def suggestion_accuracy(self) -> dict[str, tuple[int, int]]: ...


class Spreadsheets(Protocol):
    """Reading inventories from .xlsx/.csv and writing reports and exports as .xlsx."""

    def read(self, path: Path) -> Iterator[SheetRow]: ...
    def write(self, path: Path, sheets: Sequence[TableSheet]) -> None: ...


class HocrSource(Protocol):
    """The hOCR derivative of a page, for the layout biên mục tự động reads."""

    async def hocr(self, key: str) -> str | None: ...


class PageImages(Protocol):
    """The cleaned image of a page (``clean.jpg`` in the derivatives area), for people."""

    async def image(self, key: str, width: int | None = None) -> bytes | None: ...


class PageOriginals(Protocol):
    """The original scan of a page (the originals area) in a form a browser shows, for the
    page viewer's comparison with the cleaned image."""

    async def preview(
        self, key: str, media_type: str | None, work: Path, width: int | None = None
    ) -> tuple[Path, str] | None:
        """(a file under ``work``, its media type), or None when the original is not stored;
        written to disk, never held whole in memory, and ``work`` is the caller's to remove.
        With ``width``, a JPEG no wider than that (a preview for a slow connection)."""
        ...
