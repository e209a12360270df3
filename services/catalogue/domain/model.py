"""The hồ sơ (``ArchivalFile``) aggregate: its văn bản, its pages and its place in the programme.

Every step of domain notes §3 is a method that checks its gate, moves the state, records the
transition (who, from which client system, when, why) and the events it causes; the unit of
work writes those events to the outbox in the same transaction. Nothing outside this class
changes a hồ sơ's state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.catalogue.domain.codes import AccessMode, RiskRecoveryStatus, SelectionCriterion
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.description import (
    DocumentDescription,
    FileDescription,
    MissingElement,
    languages_text,
    missing_document_elements,
    missing_file_elements,
)
from services.catalogue.domain.errors import (
    CountsMissing,
    DescriptionIncomplete,
    DescriptionLocked,
    DocumentNotFound,
    IllegalTransition,
    InvalidField,
    InvalidSelection,
    UnexpectedPage,
    VerificationFailed,
)
from services.catalogue.domain.extraction.documents import DocumentSuggestion
from services.catalogue.domain.findings import Finding, Severity, Waiver
from services.catalogue.domain.identifiers import FileCodeParts, doc_code, doc_id
from services.catalogue.domain.suggestions import (
    Correction,
    SuggestionRun,
    confirmed_document,
    corrections,
)
from shared.events import (
    AcceptanceRecord,
    AcceptedPage,
    DescribedDocument,
    DescribedFile,
    Event,
    FileAccepted,
    FileStateChanged,
    PageQualityReport,
    PageReadRequested,
)


class FileState(StrEnum):
    """The states of a hồ sơ in the programme (domain notes §3)."""

    INVENTORIED = "inventoried"
    SELECTED = "selected"
    APPROVED = "approved"
    DIGITIZING = "digitizing"
    DIGITIZED = "digitized"
    DESCRIBED = "described"
    VERIFIED = "verified"
    ACCEPTED = "accepted"
    PACKAGED = "packaged"
    HANDED_OVER = "handed_over"
    RESCAN_REQUESTED = "rescan_requested"


ALLOWED: Mapping[FileState, frozenset[FileState]] = {
    FileState.INVENTORIED: frozenset({FileState.SELECTED}),
    FileState.SELECTED: frozenset({FileState.APPROVED}),
    FileState.APPROVED: frozenset({FileState.DIGITIZING}),
    FileState.DIGITIZING: frozenset({FileState.DIGITIZED}),
    FileState.DIGITIZED: frozenset({FileState.DESCRIBED, FileState.RESCAN_REQUESTED}),
    FileState.DESCRIBED: frozenset({FileState.VERIFIED, FileState.RESCAN_REQUESTED}),
    FileState.VERIFIED: frozenset({FileState.ACCEPTED, FileState.RESCAN_REQUESTED}),
    FileState.ACCEPTED: frozenset({FileState.PACKAGED}),
    FileState.PACKAGED: frozenset({FileState.HANDED_OVER}),
    # pages re-scanned after handover: the hồ sơ goes round again to a replacement package
    FileState.HANDED_OVER: frozenset({FileState.RESCAN_REQUESTED}),
    FileState.RESCAN_REQUESTED: frozenset({FileState.DIGITIZING}),
}
"""Every legal step; anything else is refused with the current state and these."""

BEFORE_SCANNING = frozenset({FileState.INVENTORIED, FileState.SELECTED, FileState.APPROVED})
SCANNING = frozenset({FileState.DIGITIZING, FileState.RESCAN_REQUESTED})
LOCKED = frozenset(
    {FileState.VERIFIED, FileState.ACCEPTED, FileState.PACKAGED, FileState.HANDED_OVER}
)
"""After kiểm tra signed off, the description is evidence of what was accepted."""


@dataclass(frozen=True)
class Actor:
    """Who acts: the person named in the request, and the client system that sent it (or the
    service itself, for steps the pipeline takes)."""

    client: str
    person: str | None = None

    def __str__(self) -> str:
        return f"{self.person} ({self.client})" if self.person else self.client


SYSTEM = Actor("sohoa-catalogue")


@dataclass(frozen=True)
class Transition:
    """One step of a hồ sơ's history."""

    from_state: FileState | None
    to_state: FileState
    actor: Actor
    reason: str
    at: datetime


@dataclass(frozen=True)
class Criterion:
    """A selection criterion (§3) and the evidence that it holds for this hồ sơ."""

    code: SelectionCriterion
    evidence: str

    def __post_init__(self) -> None:
        if not self.evidence.strip():
            raise InvalidSelection(f"tiêu chí {int(self.code)} cần có căn cứ (evidence)")


@dataclass(frozen=True)
class ApprovalRef:
    """The approving decision (quyết định phê duyệt danh mục) that put the hồ sơ on the list."""

    decision_id: UUID
    number: str
    date: PartialDate
    signer: str


@dataclass(frozen=True)
class Arrangement:
    """Chỉnh lý hoàn chỉnh, confirmed by a named person."""

    confirmed_by: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class RescanItem:
    """A page sent back for quét lại, and why; ``page_id`` is the scan being replaced."""

    sequence: int
    reason: str
    page_id: UUID | None = None


@dataclass(frozen=True)
class Reading:
    """What OCR made of a page: the keys of its five derivatives and its quality report."""

    text_key: str
    hocr_key: str
    engine: str
    read_at: datetime
    confidence: float | None = None
    alto_key: str | None = None
    pdf_key: str | None = None
    image_key: str | None = None
    quality: PageQualityReport | None = None

    def made(self) -> list[str]:
        """The names of the derivatives OCR stored, in the order they are always listed."""
        keys = (self.text_key, self.hocr_key, self.alto_key, self.pdf_key, self.image_key)
        return [n for n, k in zip(("text", "hocr", "alto", "pdf", "image"), keys, strict=True) if k]


@dataclass(frozen=True)
class PackageFailure:
    """Why handover could not build this hồ sơ's package, as it said (package-failed): shown
    on the hồ sơ until a package comes; its acceptance waits in the dead letters meanwhile."""

    reason_code: str
    detail: str
    at: datetime


@dataclass
class Page:
    """A page (trang): known from ingest (the stored original) and from OCR, in either order."""

    page_id: UUID
    sequence: int
    object_key: str | None = None
    sha256: str | None = None
    media_type: str | None = None
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    received_at: datetime | None = None
    reading: Reading | None = None
    failure_code: str | None = None
    failure_detail: str | None = None
    replaced_by: UUID | None = None
    version: int = 1  # ingest's version of the page number: one more for every re-scan

    @property
    def stored(self) -> bool:
        return self.object_key is not None

    @property
    def read(self) -> bool:
        return self.reading is not None


@dataclass
class Document:
    """A văn bản of the hồ sơ, numbered by its ordinal (số thứ tự)."""

    ordinal: int
    description: DocumentDescription


@dataclass(frozen=True)
class VerificationRecord:
    """A kiểm tra that was signed off: its findings, the waivers and who signed."""

    verification_id: UUID
    findings: tuple[Finding, ...]
    waivers: tuple[Waiver, ...]
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class AcceptanceRef:
    """The nghiệm thu record a hồ sơ was accepted by (the record itself lives on its own)."""

    acceptance_id: UUID
    minutes_number: str | None
    role: str | None
    actor: Actor
    at: datetime
    file_codes: tuple[str, ...]


@dataclass(frozen=True)
class PackageRef:
    package_id: UUID
    object_key: str
    sha256: str


MAX_EARLY_ANSWERS = 4  # one per package; an old package's repeated receipt must not push out
MAX_RETURNED_PACKAGES = 8  # the archive refusing one hồ sơ's package more often is unheard of


@dataclass(frozen=True)
class ArchiveAnswer:
    """The national archive's receipt (biên nhận) for one package: accepted, or rejected
    with its reasons. Kept when it arrives before the package's own announcement, which
    travels on another topic and may be read later (a catalogue catching up after a
    restart reads both at once, in no fixed order)."""

    package_id: UUID
    receipt_id: str
    accepted: bool
    reasons: tuple[str, ...]
    by: Actor
    at: datetime


@dataclass
class ArchivalFile:
    """A hồ sơ: the unit of selection, digitization, description, acceptance and handover."""

    file_code: str
    description: FileDescription
    state: FileState = FileState.INVENTORIED
    version: int = 0
    parts: FileCodeParts | None = None
    fonds_code: str | None = None
    group: str | None = None
    inventory_number: str | None = None
    extension: dict[str, str] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    approval: ApprovalRef | None = None
    arrangement: Arrangement | None = None
    rescan: tuple[RescanItem, ...] = ()
    documents: dict[int, Document] = field(default_factory=dict)
    pages: dict[UUID, Page] = field(default_factory=dict)
    verification: VerificationRecord | None = None
    acceptance: AcceptanceRef | None = None
    package: PackageRef | None = None
    early_answers: tuple[ArchiveAnswer, ...] = ()
    returned_packages: tuple[UUID, ...] = ()  # refused by the archive: their news is stale
    package_failure: PackageFailure | None = None
    suggestions: SuggestionRun | None = None
    new_transitions: list[Transition] = field(default_factory=list)
    new_corrections: list[Correction] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    # --- registration (mục lục) --------------------------------------------------------

    @classmethod
    def register(
        cls,
        file_code: str,
        description: FileDescription,
        *,
        by: Actor,
        at: datetime,
        parts: FileCodeParts | None = None,
        fonds_code: str | None = None,
        group: str | None = None,
        inventory_number: str | None = None,
        extension: Mapping[str, str] | None = None,
        reason: str = "đăng ký từ mục lục hồ sơ",
    ) -> ArchivalFile:
        """A hồ sơ as an inventory row lists it; its code composed from ``parts`` if given."""
        if parts is not None and parts.compose() != file_code:
            raise InvalidField(
                f"mã hồ sơ {file_code} không khớp với {parts.compose()} ghép từ các thành phần",
                field="fileCode",
            )
        file = cls(
            file_code=file_code,
            description=description,
            parts=parts,
            fonds_code=fonds_code,
            group=group,
            inventory_number=inventory_number,
            extension=dict(extension or {}),
        )
        file._record(None, FileState.INVENTORIED, by, at, reason)
        return file

    def same_registration(self, description: FileDescription) -> bool:
        """Whether registering again with ``description`` repeats what is recorded."""
        return (self.description.title, self.description.number_of_page) == (
            description.title,
            description.number_of_page,
        )

    def update_description(self, changes: Mapping[str, object], *, by: Actor, at: datetime) -> None:
        """Change hồ sơ-level elements (biên mục); refused once kiểm tra has signed off."""
        self._unlocked()
        recount = changes.get("number_of_page", self.description.number_of_page)
        if recount != self.description.number_of_page and self.state not in BEFORE_SCANNING:
            raise IllegalTransition(
                "số trang khai báo chỉ sửa được trước khi số hóa",
                state=self.state.value,
                allowed=sorted(ALLOWED[self.state]),
            )
        self.description = self.description.changed(changes)
        if "number_of_page" in changes or "number_of_paper" in changes:
            self._announce(by, at, "sửa số tờ, số trang", from_state=self.state)

    def set_fonds(self, fonds_code: str | None, group: str | None) -> None:
        self._unlocked()
        self.fonds_code, self.group = fonds_code, group

    # --- selection, approval, arrangement ------------------------------------------------

    def select(self, criteria: Iterable[Criterion], *, by: Actor, at: datetime) -> None:
        """Lựa chọn: record the criteria that make this hồ sơ part of the programme. In
        ``selected`` the criteria may still be amended; after approval they are fixed."""
        chosen = tuple(sorted(criteria, key=lambda c: c.code))
        if not chosen:
            raise InvalidSelection("cần ít nhất một tiêu chí lựa chọn")
        if len({c.code for c in chosen}) != len(chosen):
            raise InvalidSelection("mỗi tiêu chí chỉ ghi một lần")
        if self.state is FileState.SELECTED:
            self.criteria = chosen
            return
        self._check(FileState.SELECTED)
        self.criteria = chosen
        codes = ", ".join(str(int(c.code)) for c in chosen)
        self._move(FileState.SELECTED, by, at, f"tiêu chí lựa chọn {codes}")

    def approve(self, approval: ApprovalRef, *, by: Actor, at: datetime) -> bool:
        """Phê duyệt: the hồ sơ is on an approved list. False when this decision already did."""
        if self.approval is not None and self.approval.decision_id == approval.decision_id:
            return False
        self._check(FileState.APPROVED)
        self.approval = approval
        self._move(
            FileState.APPROVED, by, at, f"Quyết định số {approval.number} ngày {approval.date}"
        )
        return True

    def confirm_arrangement(
        self,
        confirmed_by: str,
        *,
        by: Actor,
        at: datetime,
        number_of_paper: int | None = None,
        number_of_page: int | None = None,
    ) -> None:
        """Chỉnh lý hoàn chỉnh: the hồ sơ is fully arranged and its tờ/trang counted, so it may
        be digitized once approved. Only before digitizing starts."""
        if self.state not in BEFORE_SCANNING:
            raise IllegalTransition(
                f"hồ sơ {self.file_code} đang '{self.state}': chỉnh lý xác nhận trước khi số hóa",
                state=self.state.value,
                allowed=sorted(ALLOWED[self.state]),
            )
        counts = {
            k: v
            for k, v in (("number_of_paper", number_of_paper), ("number_of_page", number_of_page))
            if v is not None
        }
        description = self.description.changed(counts) if counts else self.description
        if description.number_of_paper is None:
            raise CountsMissing(f"hồ sơ {self.file_code}: khai báo số tờ (numberOfPaper)")
        self.description = description
        self.arrangement = Arrangement(confirmed_by, by, at)
        reason = f"chỉnh lý hoàn chỉnh, xác nhận bởi {confirmed_by}"
        self._announce(by, at, reason, from_state=self.state)

    @property
    def open_for_scanning(self) -> bool:
        """Whether page scans may be taken: approved and arranged, or being (re-)scanned."""
        if self.state is FileState.APPROVED:
            return self.arrangement is not None
        return self.state in SCANNING

    # --- pages ------------------------------------------------------------------------

    def receive_page(self, page: Page, *, at: datetime) -> bool:
        """A page scan was stored (page-ingested). The first one starts digitizing; a page at a
        number sent back for re-scan replaces the old one. False when already known."""
        known = self.pages.get(page.page_id)
        if known is not None and known.stored:
            return False
        if not self.open_for_scanning:
            raise UnexpectedPage(
                f"hồ sơ {self.file_code} đang '{self.state}', chưa mở để số hóa "
                f"(cần được duyệt và chỉnh lý hoàn chỉnh)"
            )
        previous = self.current_page(page.sequence)
        if previous is not None and previous.page_id != page.page_id:
            if page.sequence not in {item.sequence for item in self.rescan}:
                raise UnexpectedPage(
                    f"trang {page.sequence} của hồ sơ {self.file_code} đã có ảnh, "
                    "và không được yêu cầu quét lại"
                )
            previous.replaced_by = page.page_id
        if known is not None:  # OCR told us about it first
            page.reading, page.failure_code, page.failure_detail = (
                known.reading,
                known.failure_code,
                known.failure_detail,
            )
        page.received_at = page.received_at or at
        self.pages[page.page_id] = page
        if self.state is FileState.APPROVED:
            self._move(FileState.DIGITIZING, SYSTEM, at, "nhận ảnh quét trang đầu tiên")
        elif self.state is FileState.RESCAN_REQUESTED:
            self._move(FileState.DIGITIZING, SYSTEM, at, f"nhận ảnh quét lại trang {page.sequence}")
        self._digitized_if_complete(at)
        return True

    def record_reading(
        self, page_id: UUID, sequence: int, reading: Reading, *, at: datetime
    ) -> bool:
        """OCR read a page (page-processed). False when this reading is already recorded."""
        if self.state in LOCKED:
            return False  # what was accepted stays as it was accepted: a redelivery
        page = self.pages.get(page_id)
        if page is None:  # before page-ingested: remember it, the original comes later
            page = self.pages[page_id] = Page(page_id=page_id, sequence=sequence)
        known = page.reading
        if known is not None and dataclasses.replace(reading, read_at=known.read_at) == known:
            return False
        page.reading = reading
        page.failure_code = page.failure_detail = None  # a re-read succeeded
        self._digitized_if_complete(at)
        return True

    def record_page_failure(self, page_id: UUID, sequence: int, code: str, detail: str) -> bool:
        """OCR could not read a page (page-failed): kept so an archivist can have it re-scanned."""
        page = self.pages.get(page_id)
        if page is None:
            page = self.pages[page_id] = Page(page_id=page_id, sequence=sequence)
        if page.reading is not None or (page.failure_code, page.failure_detail) == (code, detail):
            return False  # a later successful read wins over an older failure
        page.failure_code, page.failure_detail = code, detail[:2000]
        return True

    def ask_for_unread_pages(self, *, stored_before: datetime, asked: Set[str]) -> int:
        """Current pages stored before ``stored_before``, neither read nor failed, and not in
        ``asked`` (page ids asked for lately) are asked for again (page-read-requested).
        Returns how many."""
        count = 0
        for page in self.current_pages():
            waiting = page.reading is None and page.failure_code is None
            old = page.received_at is not None and page.received_at <= stored_before
            if not (waiting and old) or page.sha256 is None or str(page.page_id) in asked:
                continue
            self.events.append(
                PageReadRequested(
                    file_code=self.file_code,
                    page_id=page.page_id,
                    sequence=page.sequence,
                    object_key=str(page.object_key),
                    sha256=page.sha256,
                    version=page.version,
                )
            )
            count += 1
        return count

    def current_page(self, sequence: int) -> Page | None:
        """The page at ``sequence`` that counts: stored and not replaced by a re-scan."""
        for page in self.pages.values():
            if page.sequence == sequence and page.stored and page.replaced_by is None:
                return page
        return None

    def current_pages(self) -> list[Page]:
        """The pages that count, in order."""
        pages = [p for p in self.pages.values() if p.stored and p.replaced_by is None]
        return sorted(pages, key=lambda p: p.sequence)

    def _digitized_if_complete(self, at: datetime) -> None:
        """Digitized once every declared page (số lượng trang) is stored and read."""
        if self.state is not FileState.DIGITIZING:
            return
        declared = self.description.number_of_page
        current = {p.sequence: p for p in self.current_pages()}
        if not all(n in current and current[n].read for n in range(1, declared + 1)):
            return
        if any(
            current[i.sequence].page_id == i.page_id for i in self.rescan if i.sequence in current
        ):
            return  # a page sent back is not yet replaced
        self.rescan = ()
        self._move(FileState.DIGITIZED, SYSTEM, at, f"{declared} trang đã lưu và nhận dạng")

    def request_rescan(self, items: Iterable[RescanItem], *, by: Actor, at: datetime) -> None:
        """Send pages back for quét lại (a kiểm tra finding, or a reviewer's eye)."""
        wanted = sorted(items, key=lambda i: i.sequence)
        if not wanted:
            raise InvalidField("chọn ít nhất một trang cần quét lại", field="pages")
        self._check(FileState.RESCAN_REQUESTED)
        chosen: list[RescanItem] = []
        for item in wanted:
            page = self.current_page(item.sequence)
            if page is None:
                raise InvalidField(f"hồ sơ không có trang {item.sequence}", field="pages")
            if not item.reason.strip():
                raise InvalidField(f"trang {item.sequence}: cần nêu lý do quét lại", field="pages")
            chosen.append(RescanItem(item.sequence, item.reason.strip(), page.page_id))
        self.rescan = tuple(chosen)
        self.verification = None
        pages = ", ".join(str(i.sequence) for i in chosen)
        reason = f"yêu cầu quét lại trang {pages}"
        if self.state is FileState.HANDED_OVER:
            # the copy delivered stays delivered; the new one is checked and accepted again,
            # and handover sends it as a package that replaces the one the archive holds
            self.acceptance = None
            reason += " sau khi đã bàn giao (gói mới sẽ thay thế gói đã giao)"
        self._move(FileState.RESCAN_REQUESTED, by, at, reason)

    # --- biên mục of văn bản ---------------------------------------------------------------

    def set_document(self, ordinal: int, document: DocumentDescription) -> bool:
        """Describe văn bản ``ordinal``; False when it already reads exactly so."""
        self._unlocked()
        if not 1 <= ordinal <= self.description.number_of_page:
            raise InvalidField(  # every văn bản holds a page: never more of them than pages
                f"số thứ tự văn bản từ 1 đến {self.description.number_of_page} (số trang)",
                field="ordinal",
            )
        if document.last_page > self.description.number_of_page:
            raise InvalidField(
                f"văn bản {ordinal}: trang {document.last_page} vượt số trang của hồ sơ "
                f"({self.description.number_of_page})",
                field="last_page",
            )
        known = self.documents.get(ordinal)
        if known is not None and known.description == document:
            return False
        self.documents[ordinal] = Document(ordinal, document)
        return True

    def suggest(self, documents: Sequence[DocumentSuggestion], *, at: datetime) -> bool:
        """Keep what biên mục tự động read (replacing an earlier run); not once locked."""
        if self.state in LOCKED:
            return False
        self.suggestions = SuggestionRun(tuple(documents), at)
        return True

    def confirm_document(
        self,
        ordinal: int,
        values: Mapping[str, str | None],
        *,
        first_page: int | None = None,
        last_page: int | None = None,
    ) -> list[Correction]:
        """A person confirms (or corrects) the suggestion for văn bản ``ordinal``: the confirmed
        values become its description, and each is kept beside what was suggested."""
        self._unlocked()
        suggestion = (
            next((d for d in self.suggestions.documents if d.ordinal == ordinal), None)
            if self.suggestions
            else None
        )
        document, confirmed = confirmed_document(suggestion, values, first_page, last_page)
        self.set_document(ordinal, document)
        found = corrections(ordinal, suggestion, confirmed)
        self.new_corrections.extend(found)
        return found

    def remove_document(self, ordinal: int) -> None:
        self._unlocked()
        if self.documents.pop(ordinal, None) is None:
            raise DocumentNotFound(f"hồ sơ {self.file_code} không có văn bản {ordinal}")

    def split_document(self, ordinal: int, at_page: int) -> int:
        """Văn bản ``ordinal`` becomes two, the second starting at ``at_page`` (a page of the
        first, not its first page). The second is numbered next and those after move up one,
        so the numbers still follow the pages; it is another văn bản, so it takes nothing of
        the first's description and is described on its own. Returns its ordinal."""
        self._unlocked()
        first = self._document(ordinal).description
        if not first.first_page < at_page <= first.last_page:
            raise InvalidField(
                f"tách văn bản {ordinal} (trang {first.first_page}–{first.last_page}) tại một "
                f"trang sau trang đầu của nó, không phải trang {at_page}",
                field="at_page",
            )
        if max(self.documents) >= self.description.number_of_page:
            raise InvalidField("hồ sơ đã có nhiều văn bản bằng số trang", field="ordinal")
        kept = dataclasses.replace(first, last_page=at_page - 1, number_of_page=None)
        second = DocumentDescription(first_page=at_page, last_page=first.last_page)
        self._renumber(after=ordinal, by=1)
        self.documents[ordinal] = Document(ordinal, kept)
        self.documents[ordinal + 1] = Document(ordinal + 1, second)
        return ordinal + 1

    def merge_documents(self, ordinal: int) -> None:
        """Văn bản ``ordinal`` and the next become one: it keeps its own description and runs
        on to the next one's last page; those after move down one."""
        self._unlocked()
        first = self._document(ordinal).description
        following = self._document(ordinal + 1).description
        merged = dataclasses.replace(
            first, last_page=max(first.last_page, following.last_page), number_of_page=None
        )
        del self.documents[ordinal + 1]
        self._renumber(after=ordinal + 1, by=-1)
        self.documents[ordinal] = Document(ordinal, merged)

    def _document(self, ordinal: int) -> Document:
        found = self.documents.get(ordinal)
        if found is None:
            raise DocumentNotFound(f"hồ sơ {self.file_code} không có văn bản {ordinal}")
        return found

    def _renumber(self, *, after: int, by: int) -> None:
        """Ordinals above ``after`` move by ``by``; those up to it stay."""
        self.documents = {
            (o + by if o > after else o): Document(o + by if o > after else o, d.description)
            for o, d in self.documents.items()
        }

    def effective_documents(self) -> list[tuple[int, DocumentDescription]]:
        """Each văn bản with what it takes from the hồ sơ, in order."""
        return [
            (ordinal, self.documents[ordinal].description.with_defaults(self.description))
            for ordinal in sorted(self.documents)
        ]

    def missing_elements(self) -> list[MissingElement]:
        """What biên mục still lacks for the ``described`` step."""
        missing = missing_file_elements(self.description)
        if not self.documents:
            missing.append(MissingElement("documents", "Văn bản trong hồ sơ"))
        for ordinal, document in self.effective_documents():
            missing.extend(missing_document_elements(ordinal, document))
        return missing

    def confirm_description(self, *, by: Actor, at: datetime) -> None:
        """Biên mục done: every required element of §4 is there (→ described)."""
        self._check(FileState.DESCRIBED)
        missing = self.missing_elements()
        if missing:
            names = ", ".join(
                m.element if m.document is None else f"{m.element} (văn bản {m.document})"
                for m in missing
            )
            raise DescriptionIncomplete(
                f"hồ sơ {self.file_code} còn thiếu: {names}",
                missing=[m.as_json() for m in missing],
            )
        self._move(FileState.DESCRIBED, by, at, "biên mục hoàn thành")

    # --- kiểm tra, nghiệm thu, handover ---------------------------------------------------

    def sign_off_verification(
        self,
        verification_id: UUID,
        findings: Iterable[Finding],
        waivers: Iterable[Waiver],
        *,
        by: Actor,
        at: datetime,
    ) -> VerificationRecord:
        """Kiểm tra signed off (→ verified), unless a blocking finding is left unwaived."""
        self._check(FileState.VERIFIED)
        found = tuple(findings)
        given = {w.check: w for w in waivers}
        used = tuple(w for check, w in given.items() if any(f.check == check for f in found))
        blocking = [f for f in found if f.severity is Severity.ERROR and f.check not in given]
        if blocking:
            raise VerificationFailed(
                f"hồ sơ {self.file_code}: {len(blocking)} lỗi chưa được miễn trừ",
                findings=[f.as_json(waived=f.check in given) for f in found],
            )
        record = VerificationRecord(verification_id, found, used, by, at)
        self.verification = record
        waived = f", miễn trừ: {', '.join(w.check for w in used)}" if used else ""
        self._move(FileState.VERIFIED, by, at, f"kiểm tra đạt ({len(found)} ghi nhận{waived})")
        return record

    def accept(self, acceptance: AcceptanceRef) -> bool:
        """Nghiệm thu (→ accepted), publishing the whole description handover needs. False when
        already accepted: a second acceptance of the same hồ sơ changes nothing."""
        if self.acceptance is not None:
            return False
        self._check(FileState.ACCEPTED)
        self.acceptance = acceptance
        number = f" số {acceptance.minutes_number}" if acceptance.minutes_number else ""
        reason = f"biên bản nghiệm thu{number}"
        self._move(FileState.ACCEPTED, acceptance.actor, acceptance.at, reason)
        self.events.append(self._accepted_event(acceptance))
        return True

    def mark_packaged(self, package: PackageRef, *, by: Actor, at: datetime) -> bool:
        """The handover package is built and validated (package-ready). An answer from the
        archive that came first for this very package is applied at once; those held for
        other packages are let go (they answered packages this hồ sơ no longer waits for)."""
        if self.package is not None and self.package.package_id == package.package_id:
            return False
        if package.package_id in self.returned_packages:
            return False  # a re-sent announcement of a package the archive has refused
        self._check(FileState.PACKAGED)
        self.package = package
        self.package_failure = None
        self._move(FileState.PACKAGED, by, at, f"gói {package.package_id}")
        early, self.early_answers = self.early_answers, ()
        for answer in early:
            if answer.package_id == package.package_id:
                self.answer(answer)
        return True

    def package_failed(self, failure: PackageFailure) -> bool:
        """Handover could not build the package: kept on the accepted hồ sơ (the newest
        reason), so it never sits silently unpackaged. False for news about a hồ sơ no longer
        waiting for a package (a late repeat after the package came, or after it went back)."""
        if self.state is not FileState.ACCEPTED or self.package_failure == failure:
            return False
        self.package_failure = failure
        return True

    def answer(self, answer: ArchiveAnswer) -> bool:
        """The archive's receipt: for the package held, hand over or return; arriving while
        the hồ sơ is accepted and its package not yet announced, keep it for that package.
        Anything else (an old package's receipt, a repeat) changes nothing."""
        if answer.package_id in self.returned_packages:
            return False
        if self.package is not None and self.package.package_id == answer.package_id:
            if answer.accepted:
                return self.mark_handed_over(answer.receipt_id, by=answer.by, at=answer.at)
            return self.return_from_handover(
                answer.receipt_id, answer.reasons, by=answer.by, at=answer.at
            )
        if self.state is FileState.ACCEPTED and answer not in self.early_answers:
            others = tuple(a for a in self.early_answers if a.package_id != answer.package_id)
            self.early_answers = (*others[-(MAX_EARLY_ANSWERS - 1) :], answer)
            return True
        return False

    def mark_handed_over(self, receipt_id: str, *, by: Actor, at: datetime) -> bool:
        """The national archive's receipt accepted the package."""
        if self.state is FileState.HANDED_OVER:
            return False
        self._check(FileState.HANDED_OVER)
        self.description = self.description.changed(
            {"risk_recovery_status": RiskRecoveryStatus.DONE}
        )
        self._move(FileState.HANDED_OVER, by, at, f"biên nhận {receipt_id}")
        return True

    def return_from_handover(
        self, receipt_id: str, reasons: Iterable[str], *, by: Actor, at: datetime
    ) -> bool:
        """The national archive refused the package: back to the archivists (→ described) with
        its reasons, to be corrected, checked and accepted again. False when the hồ sơ is not
        waiting for a receipt (a repeated rejection changes nothing)."""
        if self.state is not FileState.PACKAGED or self.package is None:
            return False
        self.acceptance = None
        self.verification = None
        kept = self.returned_packages[-(MAX_RETURNED_PACKAGES - 1) :]
        self.returned_packages = (*kept, self.package.package_id)
        self.package = None
        why = "; ".join(reasons) or "không nêu lý do"
        # The one step back outside ALLOWED: only a receipt takes it, never a request.
        self._record(
            self.state, FileState.DESCRIBED, by, at, f"biên nhận {receipt_id}: từ chối — {why}"
        )
        return True

    def search_text(self) -> str:
        """What finds this hồ sơ by its own description: title, keyword, note, and each văn
        bản's số and ký hiệu, trích yếu and issuer."""
        d = self.description
        parts = [self.file_code, d.title, d.keyword or "", d.description or ""]
        for document in (doc.description for _, doc in sorted(self.documents.items())):
            number = "/".join(p for p in (document.code_number, document.code_notation) if p)
            parts.extend([number, document.subject or "", document.organ_name or ""])
        return "\n".join(p for p in parts if p)

    def announce_state(self, *, by: Actor, at: datetime, reason: str) -> None:
        """Publish the current state as it is (for consumers that never heard of this hồ sơ)."""
        self._announce(by, at, reason, from_state=self.state)

    @property
    def public(self) -> bool:
        """Open to partner systems: chế độ sử dụng ``01``. A hồ sơ whose regime is not recorded
        yet counts as restricted, so a missing element never opens a record."""
        return self.description.mode is AccessMode.PUBLIC

    # --- snapshots and events ---------------------------------------------------------------

    def described_file(self) -> DescribedFile:
        d = self.description
        return DescribedFile(
            file_code=self.file_code,
            fonds_code=self.fonds_code,
            title=d.title,
            maintenance=d.maintenance.value if d.maintenance else None,
            mode=d.mode.value if d.mode else None,
            language=languages_text(d.languages),
            start_date=d.start_date.tt05() if d.start_date else None,
            end_date=d.end_date.tt05() if d.end_date else None,
            keyword=d.keyword,
            total_doc=d.total_doc,
            number_of_paper=d.number_of_paper,
            number_of_page=d.number_of_page,
            format=d.format.value if d.format else None,
            infor_sign=d.infor_sign,
            confidence_level=d.confidence_level.value if d.confidence_level else None,
            paper_file_code=d.paper_file_code,
            risk_recovery=d.risk_recovery,
            risk_recovery_status=d.risk_recovery_status.value if d.risk_recovery_status else None,
            description=d.description,
        )

    def described_documents(self) -> tuple[DescribedDocument, ...]:
        return tuple(
            DescribedDocument(
                ordinal=ordinal,
                doc_id=doc_id(self.file_code, ordinal),
                doc_code=doc_code(self.file_code, ordinal),
                first_page=d.first_page,
                last_page=d.last_page,
                maintenance=d.maintenance.value if d.maintenance else None,
                type_name=d.type_name.code if d.type_name else None,
                code_number=d.code_number,
                code_notation=d.code_notation,
                issued_date=d.issued_date.tt05() if d.issued_date else None,
                organ_name=d.organ_name,
                subject=d.subject,
                language=languages_text(d.languages),
                number_of_page=d.number_of_page,
                infor_sign=d.infor_sign,
                keyword=d.keyword,
                mode=d.mode.value if d.mode else None,
                confidence_level=d.confidence_level.value if d.confidence_level else None,
                autograph=d.autograph,
                format=d.format.value if d.format else None,
                risk_recovery=d.risk_recovery,
                risk_recovery_status=d.risk_recovery_status.value
                if d.risk_recovery_status
                else None,
                description=d.description,
                extension=dict(d.extension),
            )
            for ordinal, d in self.effective_documents()
        )

    def document_of(self, sequence: int) -> int | None:
        for ordinal, document in sorted(self.documents.items()):
            if document.description.first_page <= sequence <= document.description.last_page:
                return ordinal
        return None

    def _accepted_event(self, acceptance: AcceptanceRef) -> FileAccepted:
        pages = tuple(
            AcceptedPage(
                page_id=p.page_id,
                sequence=p.sequence,
                object_key=p.object_key or "",
                sha256=p.sha256 or "",
                media_type=p.media_type or "",
                text_key=p.reading.text_key,
                hocr_key=p.reading.hocr_key,
                alto_key=p.reading.alto_key,
                pdf_key=p.reading.pdf_key,
                image_key=p.reading.image_key,
                confidence=p.reading.confidence,
                quality=p.reading.quality,
                document=self.document_of(p.sequence),
            )
            for p in self.current_pages()
            if p.reading is not None
        )
        described = self.described_file()
        metadata = {
            name: str(value)
            for name, value in described.model_dump(exclude={"file_code"}).items()
            if value is not None
        }
        return FileAccepted(
            file_code=self.file_code,
            title=self.description.title,
            accepted_by=str(acceptance.actor),
            accepted_at=acceptance.at,
            pages=pages,
            metadata=metadata,
            file=described,
            documents=self.described_documents(),
            acceptance=AcceptanceRecord(
                acceptance_id=acceptance.acceptance_id,
                minutes_number=acceptance.minutes_number,
                person=acceptance.actor.person,
                role=acceptance.role,
                client=acceptance.actor.client,
                at=acceptance.at,
                file_codes=acceptance.file_codes,
            ),
            selection_criteria=tuple(int(c.code) for c in self.criteria),
            selection_decision=self.approval.number if self.approval else None,
            verified_by=str(self.verification.actor) if self.verification else None,
            verified_at=self.verification.at if self.verification else None,
        )

    def pull_events(self) -> list[Event]:
        """The events recorded since the last pull, for the outbox."""
        events, self.events = self.events, []
        return events

    def pull_transitions(self) -> list[Transition]:
        transitions, self.new_transitions = self.new_transitions, []
        return transitions

    def pull_corrections(self) -> list[Correction]:
        found, self.new_corrections = self.new_corrections, []
        return found

    # --- the one way a state changes ------------------------------------------------------

    def _check(self, target: FileState) -> None:
        if target not in ALLOWED[self.state]:
            allowed = sorted(ALLOWED[self.state])
            raise IllegalTransition(
                f"hồ sơ {self.file_code} đang '{self.state}', không thể chuyển sang '{target}'"
                f" (được phép: {', '.join(allowed) or 'không có'})",
                state=self.state.value,
                target=target.value,
                allowed=allowed,
            )

    def _unlocked(self) -> None:
        if self.state in LOCKED:
            raise DescriptionLocked(
                f"hồ sơ {self.file_code} đang '{self.state}': biên mục đã khóa",
                state=self.state.value,
            )

    def _move(self, target: FileState, by: Actor, at: datetime, reason: str) -> None:
        self._check(target)
        self._record(self.state, target, by, at, reason)

    def _record(
        self, source: FileState | None, target: FileState, by: Actor, at: datetime, reason: str
    ) -> None:
        self.state = target
        self.new_transitions.append(Transition(source, target, by, reason, at))
        self._announce(by, at, reason, from_state=source)

    def _announce(
        self, by: Actor, at: datetime, reason: str, *, from_state: FileState | None
    ) -> None:
        """Publish file-state-changed: after a transition, or when the scanning gate changed
        in place (``from_state`` is then the current state)."""
        self.version += 1
        self.events.append(
            FileStateChanged(
                file_code=self.file_code,
                from_state=from_state.value if from_state else "",
                to_state=self.state.value,
                version=self.version,
                person=by.person,
                client=by.client,
                reason=reason,
                at=at,
                arranged=self.arrangement is not None,
                open_for_scanning=self.open_for_scanning,
                number_of_page=self.description.number_of_page,
                rescan_sequences=tuple(i.sequence for i in self.rescan),
                public=self.public,
            )
        )


def replace_description(document: DocumentDescription, **changes: object) -> DocumentDescription:
    """A văn bản description with ``changes`` applied (and checked again)."""
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]  # post-init checks
