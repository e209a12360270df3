"""What people and partner systems ask of the catalogue, as plain data: one command per step of
the programme. The API builds them; the handlers carry them out against the aggregates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.description import DocumentDescription, FileDescription
from services.catalogue.domain.extraction.documents import DocumentSuggestion
from services.catalogue.domain.findings import Waiver
from services.catalogue.domain.fonds import Fonds
from services.catalogue.domain.identifiers import FileCodeParts
from services.catalogue.domain.inventory import InventoryReading
from services.catalogue.domain.model import Actor, Criterion, RescanItem


@dataclass(frozen=True)
class RegisterFile:
    """Đăng ký hồ sơ from a mục lục row; the code is given, or composed from ``parts``."""

    file_code: str
    description: FileDescription
    by: Actor
    parts: FileCodeParts | None = None
    fonds_code: str | None = None
    group: str | None = None
    inventory_number: str | None = None
    extension: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateFile:
    """Biên mục of hồ sơ-level elements: ``changes`` by attribute name."""

    file_code: str
    changes: Mapping[str, object]
    by: Actor
    fonds_code: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class PutFonds:
    fonds: Fonds
    by: Actor


@dataclass(frozen=True)
class SelectFile:
    file_code: str
    criteria: tuple[Criterion, ...]
    by: Actor


@dataclass(frozen=True)
class ApproveSelection:
    """The approving decision of a selection list: number, date, signer, hồ sơ."""

    number: str
    date: PartialDate
    signer: str
    file_codes: tuple[str, ...]
    by: Actor


@dataclass(frozen=True)
class ConfirmArrangement:
    """Chỉnh lý hoàn chỉnh, with the tờ/trang counts it established."""

    file_code: str
    confirmed_by: str
    by: Actor
    number_of_paper: int | None = None
    number_of_page: int | None = None


@dataclass(frozen=True)
class SetDocument:
    file_code: str
    ordinal: int
    description: DocumentDescription
    by: Actor


@dataclass(frozen=True)
class RemoveDocument:
    file_code: str
    ordinal: int
    by: Actor


@dataclass(frozen=True)
class SplitDocument:
    file_code: str
    ordinal: int
    at_page: int
    by: Actor


@dataclass(frozen=True)
class MergeDocuments:
    """Văn bản ``ordinal`` and the one after it."""

    file_code: str
    ordinal: int
    by: Actor


@dataclass(frozen=True)
class ConfirmDescription:
    file_code: str
    by: Actor


@dataclass(frozen=True)
class InspectFile:
    """Run kiểm tra without signing it off (what would a sign-off find?)."""

    file_code: str


@dataclass(frozen=True)
class VerifyFile:
    file_code: str
    waivers: tuple[Waiver, ...]
    by: Actor


@dataclass(frozen=True)
class RequestRescan:
    file_code: str
    items: tuple[RescanItem, ...]
    by: Actor


@dataclass(frozen=True)
class AcceptFiles:
    """Nghiệm thu of a batch of hồ sơ under one biên bản."""

    file_codes: tuple[str, ...]
    by: Actor
    minutes_number: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class ImportInventory:
    """Bring a mục lục (read and checked row by row) into the catalogue, all or nothing."""

    reading: InventoryReading
    by: Actor
    dry_run: bool
    agency_code: str | None = None  # the mã định danh cơ quan codes start with, if not per row


@dataclass(frozen=True)
class AskForUnreadPages:
    """Sweep: pages stored ``after`` ago and still neither read nor failed are asked for again
    (their page-ingested or page-processed was lost); at most ``files`` hồ sơ a round. A page
    asked for and still unread waits twice as long before each next ask, up to ``2**doublings``
    times ``after``: a page OCR cannot answer (its worker down for a day) is not asked every
    period, and a lost one is asked again soon."""

    after: timedelta
    files: int = 100
    doublings: int = 5

    def asked_lately(self, now: datetime) -> tuple[datetime, ...]:
        """For a page asked ``n`` times so far, entry ``n - 1`` (the last for more): asked
        after it, the page is not asked again yet."""
        return tuple(now - self.after * 2**n for n in range(self.doublings + 1))


@dataclass(frozen=True)
class AnnounceUnpackaged:
    """Sweep: hồ sơ accepted (nghiệm thu) whose package has not come back ``after`` their
    file-accepted was sent have it sent again."""

    after: timedelta


@dataclass(frozen=True)
class AnnounceStates:
    """Publish the state of every hồ sơ that never announced one (data from before the
    programme's workflow), so ingest's view of what may be scanned is complete."""


@dataclass(frozen=True)
class ReadPages:
    """What biên mục tự động reads of a hồ sơ: its current pages with their text and hOCR key."""

    file_code: str


@dataclass(frozen=True)
class RecordSuggestions:
    file_code: str
    documents: tuple[DocumentSuggestion, ...]


@dataclass(frozen=True)
class ConfirmDocument:
    """A person confirms or corrects the suggested description of văn bản ``ordinal``; fields
    not sent keep their suggestion."""

    file_code: str
    ordinal: int
    values: Mapping[str, str | None]
    by: Actor
    first_page: int | None = None
    last_page: int | None = None
