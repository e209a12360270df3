"""The catalogue's use cases: one function ``fn(command_or_event, uow)`` per step.

Each loads what it needs through the unit of work, asks the aggregate, and commits; the events
the aggregate recorded leave through the outbox in the same transaction. Event handlers are
safe to run twice (the aggregate says when nothing changed). No SQL, no HTTP here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.catalogue.domain.checks import CheckPolicy, inspect
from services.catalogue.domain.commands import (
    AcceptFiles,
    AnnounceStates,
    AnnounceUnpackaged,
    ApproveSelection,
    AskForUnreadPages,
    ConfirmArrangement,
    ConfirmDescription,
    ConfirmDocument,
    ImportInventory,
    InspectFile,
    MergeDocuments,
    PutFonds,
    ReadPages,
    RecordSuggestions,
    RegisterFile,
    RemoveDocument,
    RequestRescan,
    SelectFile,
    SetDocument,
    SplitDocument,
    UpdateFile,
    VerifyFile,
)
from services.catalogue.domain.description import FileDescription
from services.catalogue.domain.errors import (
    DecisionConflict,
    FileExists,
    FileNotFound,
    InvalidField,
    SelectionRefused,
    VerificationFailed,
)
from services.catalogue.domain.findings import Finding
from services.catalogue.domain.fonds import Fonds
from services.catalogue.domain.identifiers import FileCodeParts
from services.catalogue.domain.inventory import InventoryEntry, RowRefusal
from services.catalogue.domain.model import (
    LOCKED,
    SYSTEM,
    Actor,
    ArchivalFile,
    ArchiveAnswer,
    FileState,
    PackageFailure,
    PackageRef,
    Page,
    Reading,
)
from services.catalogue.domain.records import Acceptance, SelectionDecision, VerificationRun
from services.catalogue.ports import UnitOfWork
from shared.errors import InvalidFileCode
from shared.events import (
    FileAccepted,
    PackageFailed,
    PackageReady,
    PackageReceipt,
    PageFailed,
    PageIngested,
    PageProcessed,
    PageReadRequested,
)

HANDOVER = Actor("sohoa-handover")
ARCHIVE = Actor("national-archive")


def _file(uow: UnitOfWork, file_code: str) -> ArchivalFile:
    file = uow.files.get(file_code)
    if file is None:
        raise FileNotFound(f"không có hồ sơ {file_code}")
    return file


def _ensure_fonds(uow: UnitOfWork, code: str | None) -> bool:
    """Make sure a phông an inventory names exists; True when it had to be created."""
    if code is None or uow.fonds.get(code) is not None:
        return False
    uow.fonds.put(Fonds.placeholder(code))
    return True


# --- hồ sơ and phông ------------------------------------------------------------------------


def register_file(cmd: RegisterFile, uow: UnitOfWork) -> tuple[ArchivalFile, bool]:
    """Register a hồ sơ (inventoried). Registering it again identically is a no-op."""
    with uow:
        existing = uow.files.get(cmd.file_code)
        if existing is not None:
            if not existing.same_registration(cmd.description):
                raise FileExists(f"hồ sơ {cmd.file_code} đã đăng ký với tiêu đề/số trang khác")
            return existing, False
        _ensure_fonds(uow, cmd.fonds_code)
        file = ArchivalFile.register(
            cmd.file_code,
            cmd.description,
            by=cmd.by,
            at=uow.now(),
            parts=cmd.parts,
            fonds_code=cmd.fonds_code,
            group=cmd.group,
            inventory_number=cmd.inventory_number,
            extension=cmd.extension,
        )
        uow.files.add(file)
        uow.commit()
        return file, True


def update_file(cmd: UpdateFile, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.update_description(cmd.changes, by=cmd.by, at=uow.now())
        if cmd.fonds_code is not None or cmd.group is not None:
            _ensure_fonds(uow, cmd.fonds_code)
            file.set_fonds(cmd.fonds_code or file.fonds_code, cmd.group or file.group)
        uow.commit()
        return file


def put_fonds(cmd: PutFonds, uow: UnitOfWork) -> tuple[Fonds, bool]:
    """Record a phông's data; True when it is new."""
    with uow:
        known = uow.fonds.get(cmd.fonds.code)
        if known == cmd.fonds:
            return known, False
        uow.fonds.put(cmd.fonds)
        uow.commit()
        return cmd.fonds, known is None


# --- selection, approval, arrangement -------------------------------------------------------


def select_file(cmd: SelectFile, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.select(cmd.criteria, by=cmd.by, at=uow.now())
        uow.commit()
        return file


def approve_selection(cmd: ApproveSelection, uow: UnitOfWork) -> tuple[SelectionDecision, bool]:
    """Record the approving decision and approve every hồ sơ on its list, or none of them."""
    with uow:
        now = uow.now()
        decision = SelectionDecision(
            uuid.uuid4(), cmd.number, cmd.date, cmd.signer, cmd.file_codes, cmd.by, now
        )
        known = uow.decisions.find(cmd.number, cmd.date.earliest())
        if known is not None:
            if known.same_as(decision):
                return known, False
            raise DecisionConflict(
                f"quyết định số {cmd.number} ngày {cmd.date} đã được ghi với danh sách khác"
            )
        files, problems = [], []
        for code in sorted(
            cmd.file_codes
        ):  # one locking order: concurrent decisions never deadlock
            file = uow.files.get(code)
            if file is None:
                problems.append({"file_code": code, "code": FileNotFound.code})
            elif file.state is not FileState.SELECTED:
                problems.append({"file_code": code, "state": file.state.value})
            else:
                files.append(file)
        if problems:
            raise SelectionRefused(
                f"{len(problems)} hồ sơ trong danh sách chưa ở trạng thái 'selected'",
                problems=problems,
            )
        uow.decisions.add(decision)
        for file in files:
            file.approve(decision.approval(), by=cmd.by, at=now)
        uow.commit()
        return decision, True


def confirm_arrangement(cmd: ConfirmArrangement, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.confirm_arrangement(
            cmd.confirmed_by,
            by=cmd.by,
            at=uow.now(),
            number_of_paper=cmd.number_of_paper,
            number_of_page=cmd.number_of_page,
        )
        uow.commit()
        return file


# --- pages (events from ingest and OCR) -----------------------------------------------------


def on_page_ingested(event: PageIngested, uow: UnitOfWork) -> None:
    """A page scan was stored: the hồ sơ starts (or continues) digitizing."""
    with uow:
        file = _file(uow, event.file_code)
        page = Page(
            page_id=event.page_id,
            sequence=event.sequence,
            object_key=event.object_key,
            sha256=event.sha256,
            media_type=event.media_type,
            width=event.width,
            height=event.height,
            dpi=event.dpi,
            version=event.version,
        )
        if file.receive_page(page, at=uow.now()):
            uow.commit()


def on_page_processed(event: PageProcessed, uow: UnitOfWork) -> None:
    """OCR read a page: its derivatives, quality report and text are recorded."""
    with uow:
        file = _file(uow, event.file_code)
        reading = Reading(
            text_key=event.text_key,
            hocr_key=event.hocr_key,
            engine=event.engine,
            read_at=uow.now(),
            confidence=event.confidence,
            alto_key=event.alto_key,
            pdf_key=event.pdf_key,
            image_key=event.image_key,
            quality=event.quality,
        )
        if file.record_reading(event.page_id, event.sequence, reading, at=uow.now()):
            uow.texts.put(event.page_id, event.file_code, event.sequence, event.text)
            uow.commit()


def on_page_failed(event: PageFailed, uow: UnitOfWork) -> None:
    """Keep why a page could not be read, so an archivist can have it re-scanned (quét lại)."""
    with uow:
        file = _file(uow, event.file_code)
        if file.record_page_failure(event.page_id, event.sequence, event.reason_code, event.detail):
            uow.commit()


def on_package_ready(event: PackageReady, uow: UnitOfWork) -> None:
    with uow:
        file = _file(uow, event.file_code)
        package = PackageRef(event.package_id, event.object_key, event.sha256)
        if file.mark_packaged(package, by=HANDOVER, at=uow.now()):
            uow.commit()


def on_package_failed(event: PackageFailed, uow: UnitOfWork) -> None:
    with uow:
        file = _file(uow, event.file_code)
        if file.package_failed(PackageFailure(event.reason_code, event.detail, event.at)):
            uow.commit()


def on_package_receipt(event: PackageReceipt, uow: UnitOfWork) -> None:
    """The national archive answered: accepted → handed_over; rejected → back to the
    archivists with its reasons. Only a receipt for the package it holds counts, or for the
    package it waits for, whose announcement may still be on its way."""
    reasons = tuple(f"{r.path}: {r.reason}" if r.path else r.reason for r in event.reasons)
    answer = ArchiveAnswer(
        event.package_id, event.receipt_id, event.accepted, reasons, ARCHIVE, event.at
    )
    with uow:
        file = _file(uow, event.file_code)
        if file.answer(answer):
            uow.commit()


def request_rescan(cmd: RequestRescan, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.request_rescan(cmd.items, by=cmd.by, at=uow.now())
        uow.commit()
        return file


# --- biên mục, kiểm tra, nghiệm thu ---------------------------------------------------------


def set_document(cmd: SetDocument, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        if file.set_document(cmd.ordinal, cmd.description):
            uow.commit()
        return file


def remove_document(cmd: RemoveDocument, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.remove_document(cmd.ordinal)
        uow.commit()
        return file


def split_document(cmd: SplitDocument, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.split_document(cmd.ordinal, cmd.at_page)
        uow.commit()
        return file


def merge_documents(cmd: MergeDocuments, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.merge_documents(cmd.ordinal)
        uow.commit()
        return file


def confirm_description(cmd: ConfirmDescription, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        file.confirm_description(by=cmd.by, at=uow.now())
        uow.commit()
        return file


def inspect_file(cmd: InspectFile, uow: UnitOfWork, policy: CheckPolicy) -> list[Finding]:
    with uow:
        return inspect(_file(uow, cmd.file_code), policy)


def verify_file(cmd: VerifyFile, uow: UnitOfWork, policy: CheckPolicy) -> VerificationRun:
    """Run kiểm tra and sign it off. A run that fails is kept too: it is evidence of the check."""
    with uow:
        file = _file(uow, cmd.file_code)
        findings = inspect(file, policy)
        run_id, now = uuid.uuid4(), uow.now()
        try:
            file.sign_off_verification(run_id, findings, cmd.waivers, by=cmd.by, at=now)
        except VerificationFailed:
            run = VerificationRun(run_id, file.file_code, False, tuple(findings), (), cmd.by, now)
            uow.verifications.add(run)
            uow.commit()
            raise
        record = file.verification
        waivers = record.waivers if record is not None else ()
        run = VerificationRun(run_id, file.file_code, True, tuple(findings), waivers, cmd.by, now)
        uow.verifications.add(run)
        uow.commit()
        return run


def accept_files(cmd: AcceptFiles, uow: UnitOfWork) -> Acceptance:
    """Nghiệm thu of a batch: every hồ sơ verified, or none is accepted. A hồ sơ accepted
    already (a retried request, a concurrent one) is not accepted twice."""
    with uow:
        acceptance = Acceptance(
            uuid.uuid4(), cmd.minutes_number, cmd.role, cmd.file_codes, cmd.by, uow.now()
        )
        files, problems, earlier = [], [], []
        for code in sorted(set(cmd.file_codes)):
            file = uow.files.get(code)
            if file is None:
                problems.append({"file_code": code, "code": FileNotFound.code})
            elif file.acceptance is not None:
                earlier.append(file.acceptance)
                if cmd.minutes_number not in (None, file.acceptance.minutes_number):
                    problems.append({"file_code": code, "state": file.state.value})
            elif file.state is not FileState.VERIFIED:
                problems.append({"file_code": code, "state": file.state.value})
            else:
                files.append(file)
        if problems and len(cmd.file_codes) == 1:
            _file(uow, cmd.file_codes[0]).accept(acceptance.ref())  # its own refusal: the state
        if problems:
            raise SelectionRefused(
                f"{len(problems)} hồ sơ chưa qua kiểm tra (verified) hoặc đã nghiệm thu khác",
                problems=problems,
            )
        if not files:  # all accepted before: the same decision, recorded once
            ref = earlier[0]
            known = uow.acceptances.get(ref.acceptance_id)
            return known or Acceptance(
                ref.acceptance_id, ref.minutes_number, ref.role, ref.file_codes, ref.actor, ref.at
            )
        uow.acceptances.add(acceptance)
        for file in files:
            file.accept(acceptance.ref())
        uow.commit()
        return acceptance


# --- inventory import -----------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an inventory import did, or would do (dry run): the response of the import API."""

    rows: int
    accepted: int
    refused: list[RowRefusal]
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    fonds_created: list[str] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.refused


def _code_of(
    entry: InventoryEntry, uow: UnitOfWork, agency: str | None
) -> tuple[str, FileCodeParts | None]:
    """The row's mã hồ sơ: as printed, or composed from agency, year and hồ sơ số."""
    if entry.file_code is not None:
        return entry.file_code, None
    fonds = uow.fonds.get(entry.fonds_code) if entry.fonds_code else None
    agency_code = entry.agency_code or agency or (fonds.agency_code if fonds else None)
    agency_code = agency_code or entry.fonds_code
    if agency_code is None or entry.year is None or entry.file_number is None:
        raise InvalidFileCode("không ghép được mã hồ sơ: thiếu mã cơ quan, năm hoặc số hồ sơ")
    parts = FileCodeParts(agency_code, entry.year, entry.file_number)
    return parts.compose(), parts


def _description_of(entry: InventoryEntry) -> FileDescription:
    return FileDescription(
        title=entry.title,
        number_of_page=entry.number_of_page or 1,
        maintenance=entry.maintenance,
        mode=entry.mode,
        languages=entry.languages,
        start_date=entry.start_date,
        end_date=entry.end_date,
        keyword=entry.keyword,
        total_doc=entry.total_doc,
        number_of_paper=entry.number_of_paper,
        format=entry.format,
        infor_sign=entry.infor_sign,
        paper_file_code=entry.paper_file_code,
        description=entry.description,
    )


def _refusal(entry: InventoryEntry, column: str, code: str, detail: str) -> RowRefusal:
    return RowRefusal(row=entry.row, column=column, cell="", code=code, detail=detail)


def import_inventory(cmd: ImportInventory, uow: UnitOfWork) -> ImportReport:
    """Bring a mục lục into the catalogue. A dry run reports and writes nothing; a real run
    writes every row or, if any row is refused, none. Importing the same sheet again changes
    nothing; a row that differs updates a hồ sơ still ``inventoried`` and is refused for one
    further on (its record is the programme's now)."""
    reading = cmd.reading
    report = ImportReport(reading.rows, 0, list(reading.refused), cmd.dry_run)
    with uow:
        now = uow.now()
        for entry in reading.entries:
            try:
                code, parts = _code_of(entry, uow, cmd.agency_code)
                description = _description_of(entry)
            except InvalidFileCode as exc:
                column = reading.columns.get("file_code") or reading.columns.get("file_number", "")
                report.refused.append(_refusal(entry, column, "import.invalid-file-code", str(exc)))
                continue
            except InvalidField as exc:
                report.refused.append(_refusal(entry, "", "import.invalid-value", str(exc)))
                continue
            if _ensure_fonds(uow, entry.fonds_code):
                report.fonds_created.append(entry.fonds_code or "")
            extension = {"box": entry.box} if entry.box else {}
            existing = uow.files.get(code)
            if existing is None:
                uow.files.add(
                    ArchivalFile.register(
                        code,
                        description,
                        by=cmd.by,
                        at=now,
                        parts=parts,
                        fonds_code=entry.fonds_code,
                        group=entry.group,
                        inventory_number=entry.inventory_number,
                        extension=extension,
                        reason=f"nhập từ mục lục hồ sơ, dòng {entry.row}",
                    )
                )
                report.created.append(code)
            elif _same_row(existing, description, entry, extension):
                report.unchanged.append(code)
            elif existing.state is FileState.INVENTORIED:
                _update_from_row(existing, description, entry, extension, cmd.by, now)
                report.updated.append(code)
            else:
                report.refused.append(
                    _refusal(
                        entry,
                        "",
                        "import.file-in-progress",
                        f"hồ sơ {code} đã ở trạng thái '{existing.state}': sửa qua biên mục",
                    )
                )
        report.accepted = len(reading.entries) - (len(report.refused) - len(reading.refused))
        report.refused.sort(key=lambda r: (r.row, r.cell))
        if report.written:
            uow.commit()
    return report


def _same_row(
    file: ArchivalFile,
    description: FileDescription,
    entry: InventoryEntry,
    extension: dict[str, str],
) -> bool:
    return (
        file.description == description
        and file.fonds_code == entry.fonds_code
        and file.group == entry.group
        and file.inventory_number == entry.inventory_number
        and file.extension == extension
    )


def _update_from_row(
    file: ArchivalFile,
    description: FileDescription,
    entry: InventoryEntry,
    extension: dict[str, str],
    by: Actor,
    at: datetime,
) -> None:
    changes = {name: getattr(description, name) for name in _DESCRIPTION_FIELDS}
    file.update_description(changes, by=by, at=at)
    file.set_fonds(entry.fonds_code, entry.group)
    file.inventory_number = entry.inventory_number
    file.extension = extension


_DESCRIPTION_FIELDS: Sequence[str] = tuple(FileDescription.__dataclass_fields__)


def announce_states(_cmd: AnnounceStates, uow: UnitOfWork) -> int:
    """How many hồ sơ announced their state for the first time."""
    with uow:
        codes = uow.files.unannounced()
        for code in codes:
            _file(uow, code).announce_state(by=SYSTEM, at=uow.now(), reason="công bố trạng thái")
        if codes:
            uow.commit()
        return len(codes)


# --- reconciliation sweeps (safe on every replica: what they send twice is handled once) ----


def ask_for_unread_pages(cmd: AskForUnreadPages, uow: UnitOfWork) -> int:
    """Pages stored but still unread after a while are asked for again: their page-ingested
    or page-processed was lost. OCR answers a page it has read from its stored result."""
    with uow:
        stored_before = uow.now() - cmd.after
        lately = cmd.asked_lately(uow.now())
        asked = uow.announcements.asked_lately(PageReadRequested.TOPIC, lately)
        count = 0
        for code in uow.files.with_unread_pages(stored_before, lately, limit=cmd.files):
            file = _file(uow, code)
            count += file.ask_for_unread_pages(stored_before=stored_before, asked=asked)
        if count:
            uow.commit()
        return count


def announce_unpackaged(cmd: AnnounceUnpackaged, uow: UnitOfWork) -> list[str]:
    """Accepted hồ sơ whose package has not come back have their file-accepted sent again,
    as it was: handover builds one package per acceptance (its ``ce_id``), and one that built
    it already announces it again by its own outbox and re-delivery."""
    with uow:
        accepted = uow.files.awaiting_package()  # one whose package failed waits for people
        sent_before = uow.now() - cmd.after
        again = uow.announcements.send_again(FileAccepted.TOPIC, accepted, sent_before)
        if again:
            uow.commit()
        return again


# --- biên mục tự động ---------------------------------------------------------------------


@dataclass(frozen=True)
class PageToRead:
    """A current page as the extractor reads it: its text, and where its hOCR is."""

    page_id: UUID
    sequence: int
    text: str
    hocr_key: str | None


def pages_to_read(cmd: ReadPages, uow: UnitOfWork) -> list[PageToRead] | None:
    """The hồ sơ's current pages that OCR read; None once its description is locked."""
    with uow:
        file = _file(uow, cmd.file_code)
        if file.state in LOCKED:
            return None
        texts = uow.texts.of_file(cmd.file_code)
        return [
            PageToRead(p.page_id, p.sequence, texts.get(p.page_id, ""), p.reading.hocr_key)
            for p in file.current_pages()
            if p.reading is not None
        ]


def record_suggestions(cmd: RecordSuggestions, uow: UnitOfWork) -> ArchivalFile:
    with uow:
        file = _file(uow, cmd.file_code)
        if file.suggest(cmd.documents, at=uow.now()):
            uow.commit()
        return file


def confirm_document(cmd: ConfirmDocument, uow: UnitOfWork) -> ArchivalFile:
    """Biên mục from a suggestion: the confirmed values become the văn bản's description."""
    with uow:
        file = _file(uow, cmd.file_code)
        file.confirm_document(
            cmd.ordinal, cmd.values, first_page=cmd.first_page, last_page=cmd.last_page
        )
        uow.commit()
        return file
