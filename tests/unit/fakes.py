"""In-memory fakes of the catalogue's ports, for handler tests without a database.

A fake unit of work keeps what was committed and the events it staged in ``outbox``; leaving
it without a commit restores the hồ sơ as they were, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Self
from uuid import UUID

from services.catalogue.domain.fonds import Fonds
from services.catalogue.domain.model import ArchivalFile, FileState, Transition
from services.catalogue.domain.records import Acceptance, SelectionDecision, VerificationRun
from services.catalogue.domain.suggestions import Correction
from services.catalogue.ports import FileRepository, UnitOfWork
from shared.events import Event


class FakeFiles(FileRepository):
    def __init__(
        self,
        store: dict[str, ArchivalFile],
        history: list[Transition],
        corrections: list[Correction],
    ) -> None:
        super().__init__()
        self._store = store
        self._history = history
        self.corrections = corrections

    def _get(self, file_code: str) -> ArchivalFile | None:
        return self._store.get(file_code)

    def _add(self, file: ArchivalFile) -> None:
        self._store[file.file_code] = file

    def save(self, file: ArchivalFile) -> None:
        self._history.extend(file.pull_transitions())
        self.corrections.extend(file.pull_corrections())

    def unannounced(self) -> list[str]:
        return sorted(code for code, file in self._store.items() if file.version == 0)

    def with_unread_pages(
        self, stored_before: datetime, asked_lately: Sequence[datetime], *, limit: int
    ) -> list[str]:
        def waiting(file: ArchivalFile) -> bool:
            return any(
                p.reading is None
                and p.failure_code is None
                and p.received_at is not None
                and p.received_at <= stored_before
                for p in file.current_pages()
            )

        return sorted(code for code, file in self._store.items() if waiting(file))[:limit]

    def awaiting_package(self) -> list[str]:
        return sorted(
            code
            for code, file in self._store.items()
            if file.state is FileState.ACCEPTED and file.package_failure is None
        )


@dataclass
class StagedRow:
    """An outbox row as the sweeps see it: sent by a relay at once, unless sent again."""

    event: Event
    created_at: datetime
    sent_at: datetime | None


class FakeAnnouncements:
    def __init__(self) -> None:
        self.rows: list[StagedRow] = []
        self.sent_again: list[Event] = []

    def asked_lately(self, topic: str, cutoffs: Sequence[datetime]) -> set[str]:
        staged: dict[str, list[datetime]] = {}
        for r in self.rows:
            if topic == r.event.TOPIC:
                staged.setdefault(r.event.partition_key(), []).append(r.created_at)
        return {
            key
            for key, times in staged.items()
            if max(times) > cutoffs[min(len(times), len(cutoffs)) - 1]
        }

    def send_again(self, topic: str, keys: Sequence[str], sent_before: datetime) -> list[str]:
        again = []
        for key in keys:
            rows = [
                r for r in self.rows if (r.event.TOPIC, r.event.partition_key()) == (topic, key)
            ]
            if rows and rows[-1].sent_at is not None and rows[-1].sent_at < sent_before:
                rows[-1].sent_at = None
                self.sent_again.append(rows[-1].event)
                again.append(key)
        return again


class FakeFonds:
    def __init__(self) -> None:
        self.items: dict[str, Fonds] = {}

    def get(self, code: str) -> Fonds | None:
        return self.items.get(code)

    def put(self, fonds: Fonds) -> None:
        self.items[fonds.code] = fonds

    def all(self) -> list[Fonds]:
        return [self.items[code] for code in sorted(self.items)]


class FakeDecisions:
    def __init__(self) -> None:
        self.items: list[SelectionDecision] = []

    def find(self, number: str, signed: date) -> SelectionDecision | None:
        return next(
            (d for d in self.items if (d.number, d.date.earliest()) == (number, signed)), None
        )

    def add(self, decision: SelectionDecision) -> None:
        self.items.append(decision)


class FakeAcceptances:
    def __init__(self) -> None:
        self.items: dict[UUID, Acceptance] = {}

    def add(self, acceptance: Acceptance) -> None:
        self.items[acceptance.acceptance_id] = acceptance

    def get(self, acceptance_id: UUID) -> Acceptance | None:
        return self.items.get(acceptance_id)


class FakeVerifications:
    def __init__(self) -> None:
        self.items: list[VerificationRun] = []

    def add(self, run: VerificationRun) -> None:
        self.items.append(run)

    def of_file(self, file_code: str) -> list[VerificationRun]:
        return [r for r in self.items if r.file_code == file_code]


class FakeTexts:
    def __init__(self) -> None:
        self.items: dict[UUID, str] = {}
        self.files: dict[UUID, str] = {}
        self.descriptions: dict[str, str] = {}

    def put_file(self, file_code: str, text: str) -> None:
        self.descriptions[file_code] = text

    def put(self, page_id: UUID, file_code: str, sequence: int, text: str) -> None:
        self.items[page_id] = text
        self.files[page_id] = file_code

    def of_file(self, file_code: str) -> dict[UUID, str]:
        return {k: v for k, v in self.items.items() if self.files.get(k) == file_code}


class FakeUnitOfWork(UnitOfWork):
    """The catalogue's unit of work over dictionaries; the clock ticks a second per call."""

    fonds: FakeFonds
    decisions: FakeDecisions
    acceptances: FakeAcceptances
    verifications: FakeVerifications
    texts: FakeTexts
    announcements: FakeAnnouncements

    def __init__(self) -> None:
        self.store: dict[str, ArchivalFile] = {}
        self.history: list[Transition] = []
        self.corrections: list[Correction] = []
        self.outbox: list[Event] = []
        self.commits = 0
        self.fonds = FakeFonds()
        self.decisions = FakeDecisions()
        self.acceptances = FakeAcceptances()
        self.verifications = FakeVerifications()
        self.texts = FakeTexts()
        self.announcements = FakeAnnouncements()
        self._clock = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        self._snapshot: tuple[object, ...] = ()

    def _state(self) -> tuple[object, ...]:
        """Everything a transaction may change: hồ sơ, history, records, texts."""
        return (
            self.store,
            self.history,
            self.corrections,
            self.fonds.items,
            self.decisions.items,
            self.acceptances.items,
            self.verifications.items,
            self.texts.items,
            self.announcements.rows,
        )

    def __enter__(self) -> Self:
        self.files = FakeFiles(self.store, self.history, self.corrections)
        self._snapshot = copy.deepcopy(self._state())
        self._pending: list[Event] = []
        return super().__enter__()

    def now(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def wait(self, span: timedelta) -> None:
        """Let ``span`` pass, as between two rounds of a sweep."""
        self._clock += span

    def _stage(self, events: Sequence[Event]) -> None:
        self._pending.extend(events)

    def _commit(self) -> None:
        self.outbox.extend(self._pending)
        at = self._clock
        self.announcements.rows += [StagedRow(e, at, at) for e in self._pending]
        self._pending = []
        self._snapshot = copy.deepcopy(self._state())
        self.commits += 1

    def rollback(self) -> None:
        """Put back every container as it was at the start or the last commit."""
        for live, saved in zip(self._state(), copy.deepcopy(self._snapshot), strict=True):
            if isinstance(live, dict) and isinstance(saved, dict):
                live.clear()
                live.update(saved)
            elif isinstance(live, list) and isinstance(saved, list):
                live[:] = saved

    def events(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.outbox if isinstance(e, kind)]
