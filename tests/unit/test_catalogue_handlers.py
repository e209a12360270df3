"""The catalogue's handlers against in-memory fakes: every command's outcome, what reaches the
outbox, all-or-nothing batches, idempotent events and imports."""

from __future__ import annotations

import uuid

import pytest

from services.catalogue import handlers
from services.catalogue.domain.checks import CheckPolicy
from services.catalogue.domain.codes import Maintenance, SelectionCriterion
from services.catalogue.domain.commands import (
    AcceptFiles,
    AnnounceStates,
    ApproveSelection,
    ConfirmArrangement,
    ConfirmDocument,
    ImportInventory,
    ReadPages,
    RegisterFile,
    SelectFile,
    VerifyFile,
)
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.errors import (
    DecisionConflict,
    FileExists,
    FileNotFound,
    SelectionRefused,
    VerificationFailed,
)
from services.catalogue.domain.inventory import InventoryEntry, InventoryReading, RowRefusal
from services.catalogue.domain.model import ArchivalFile, Criterion, FileState
from services.catalogue.messagebus import MessageBus
from services.catalogue.suggester import suggest_file
from shared.events import (
    FileAccepted,
    FileStateChanged,
    PackageReady,
    PackageReceipt,
    RejectedItem,
)
from tests.support.catalogue import (
    APPROVER,
    ARCHIVIST,
    AT,
    FILE_CODE,
    REVIEWER,
    description,
    digitized,
    document,
    in_state,
    ingested,
    processed,
    registered,
    verified,
)
from tests.support.pages import CASES
from tests.unit.fakes import FakeUnitOfWork

pytestmark = pytest.mark.unit
OTHER = "H49.64.33.2001.161"


def _register(uow: FakeUnitOfWork, code: str = FILE_CODE, pages: int = 2) -> None:
    handlers.register_file(RegisterFile(code, description(pages), ARCHIVIST), uow)


def test_registering_twice_the_same_is_a_no_op_and_differently_a_conflict() -> None:
    uow = FakeUnitOfWork()
    _, created = handlers.register_file(RegisterFile(FILE_CODE, description(2), ARCHIVIST), uow)
    _, again = handlers.register_file(RegisterFile(FILE_CODE, description(2), ARCHIVIST), uow)
    assert (created, again) == (True, False)
    assert uow.commits == 1
    with pytest.raises(FileExists):
        handlers.register_file(RegisterFile(FILE_CODE, description(3), ARCHIVIST), uow)
    assert [type(e) for e in uow.outbox] == [FileStateChanged]


def _select(uow: FakeUnitOfWork, code: str) -> None:
    criteria = (Criterion(SelectionCriterion.PERMANENT_RETENTION, "vĩnh viễn"),)
    handlers.select_file(SelectFile(code, criteria, ARCHIVIST), uow)


def _decision(*codes: str, number: str = "103/QĐ-UBND") -> ApproveSelection:
    return ApproveSelection(number, PartialDate(2026, 3, 5), "Lê Văn Hân", codes, APPROVER)


def test_a_decision_approves_every_listed_file_or_none() -> None:
    uow = FakeUnitOfWork()
    for code in (FILE_CODE, OTHER):
        _register(uow, code)
    _select(uow, FILE_CODE)  # OTHER is not selected
    with pytest.raises(SelectionRefused) as refused:
        handlers.approve_selection(_decision(FILE_CODE, OTHER), uow)
    assert refused.value.extra["problems"] == [{"file_code": OTHER, "state": "inventoried"}]
    assert uow.store[FILE_CODE].state is FileState.SELECTED
    assert uow.decisions.items == []
    _select(uow, OTHER)
    decision, created = handlers.approve_selection(_decision(FILE_CODE, OTHER), uow)
    assert created
    assert {uow.store[c].state for c in (FILE_CODE, OTHER)} == {FileState.APPROVED}
    again, created = handlers.approve_selection(_decision(OTHER, FILE_CODE), uow)
    assert (again.decision_id, created) == (decision.decision_id, False)
    with pytest.raises(DecisionConflict):
        handlers.approve_selection(_decision(FILE_CODE), uow)


def test_unknown_files_in_a_decision_are_named() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(SelectionRefused) as refused:
        handlers.approve_selection(_decision("H49.64.33.2001.999"), uow)
    problems = refused.value.extra["problems"]
    assert isinstance(problems, list)
    assert problems[0]["code"] == "catalogue.file-not-found"


def _approved_and_arranged(uow: FakeUnitOfWork, code: str = FILE_CODE, pages: int = 2) -> None:
    _register(uow, code, pages)
    _select(uow, code)
    handlers.confirm_arrangement(ConfirmArrangement(code, "Phạm Thị Chỉnh", ARCHIVIST), uow)
    handlers.approve_selection(_decision(code, number=f"QĐ-{code}"), uow)


def test_page_events_walk_the_file_to_digitized_and_redeliveries_change_nothing() -> None:
    uow = FakeUnitOfWork()
    _approved_and_arranged(uow)
    pages = [ingested(FILE_CODE, n) for n in (1, 2)]
    for event in pages:
        handlers.on_page_ingested(event, uow)
        handlers.on_page_processed(processed(event), uow)
    commits = uow.commits
    for event in pages:  # at-least-once delivery
        handlers.on_page_ingested(event, uow)
        handlers.on_page_processed(processed(event), uow)
    assert uow.commits == commits
    assert uow.store[FILE_CODE].state is FileState.DIGITIZED
    assert set(uow.texts.items) == {e.page_id for e in pages}
    states = [e.to_state for e in uow.events(FileStateChanged) if isinstance(e, FileStateChanged)]
    assert states[-2:] == ["digitizing", "digitized"]


def test_a_page_of_an_unknown_file_is_refused_for_the_dead_letters() -> None:
    with pytest.raises(FileNotFound):
        handlers.on_page_ingested(ingested("H49.64.33.2001.999", 1), FakeUnitOfWork())


def test_a_failed_verification_is_kept_and_changes_no_state() -> None:
    uow = FakeUnitOfWork()
    file = digitized(pages=3)
    uow.store[FILE_CODE] = file
    file.set_document(1, document(1, 2))  # page 3 belongs to no văn bản
    file.confirm_description(by=ARCHIVIST, at=uow.now())
    with pytest.raises(VerificationFailed):
        handlers.verify_file(VerifyFile(FILE_CODE, (), REVIEWER), uow, CheckPolicy())
    (run,) = uow.verifications.items
    assert not run.passed
    assert {f.check for f in run.findings} == {"document-pages"}
    assert uow.store[FILE_CODE].state is FileState.DESCRIBED


def test_acceptance_of_a_batch_is_all_or_nothing_and_once() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = verified(file_code=FILE_CODE)
    uow.store[OTHER] = digitized(file_code=OTHER)
    command = AcceptFiles((FILE_CODE, OTHER), APPROVER, "02/BB-NT", "Giám đốc Sở")
    with pytest.raises(SelectionRefused):
        handlers.accept_files(command, uow)
    assert uow.store[FILE_CODE].state is FileState.VERIFIED
    assert uow.events(FileAccepted) == []
    single = AcceptFiles((FILE_CODE,), APPROVER)
    first = handlers.accept_files(single, uow)
    second = handlers.accept_files(single, uow)
    assert first.acceptance_id == second.acceptance_id
    assert len(uow.events(FileAccepted)) == 1


def _entry(row: int, number: str, title: str = "Hồ sơ nhập từ mục lục") -> InventoryEntry:
    return InventoryEntry(
        row=row, fonds_code="64", file_code=None, agency_code="H49.64.33", year=2001,
        file_number=number, title=title, maintenance=Maintenance.PERMANENT, mode=None,
        languages=(), start_date=PartialDate(2001, 1), end_date=PartialDate(2001, 12),
        keyword=None, total_doc=None, number_of_paper=12, number_of_page=None, format=None,
        infor_sign=None, paper_file_code=None, description=None, group="I. Tổng hợp",
        inventory_number=None, box="3",
    )  # fmt: skip


def _reading(*entries: InventoryEntry, refused: tuple[RowRefusal, ...] = ()) -> InventoryReading:
    rows = len(entries) + len({r.row for r in refused})
    columns = {"file_number": "Hồ sơ số"}
    return InventoryReading(rows, entries, refused, (), columns, header_row=4)


def test_import_dry_run_writes_nothing_and_a_real_run_is_idempotent() -> None:
    uow = FakeUnitOfWork()
    reading = _reading(_entry(6, "160"), _entry(7, "161"))
    dry = handlers.import_inventory(ImportInventory(reading, ARCHIVIST, dry_run=True), uow)
    assert (dry.rows, dry.accepted, dry.created, dry.written) == (2, 2, [FILE_CODE, OTHER], False)
    assert uow.store == {}
    assert uow.fonds.items == {}
    real = handlers.import_inventory(ImportInventory(reading, ARCHIVIST, dry_run=False), uow)
    assert real.written
    assert real.fonds_created == ["64"]
    assert uow.store[FILE_CODE].group == "I. Tổng hợp"
    assert uow.store[FILE_CODE].extension == {"box": "3"}
    parts = uow.store[FILE_CODE].parts
    assert parts is not None
    assert (parts.agency_code, parts.year, parts.file_number) == ("H49.64.33", 2001, "160")
    commits, events = uow.commits, len(uow.outbox)
    again = handlers.import_inventory(ImportInventory(reading, ARCHIVIST, dry_run=False), uow)
    assert again.unchanged == [FILE_CODE, OTHER]
    assert again.created == []
    assert len(uow.outbox) == events
    assert uow.commits == commits + 1


def test_an_import_with_a_refused_row_writes_no_row() -> None:
    uow = FakeUnitOfWork()
    bad = RowRefusal(8, "Thời gian", "F8", "import.invalid-date", "31/02/2001")
    report = handlers.import_inventory(
        ImportInventory(_reading(_entry(6, "160"), refused=(bad,)), ARCHIVIST, dry_run=False), uow
    )
    assert (report.rows, report.accepted, report.written) == (2, 1, False)
    assert report.refused == [bad]
    assert uow.store == {}


def test_a_changed_row_updates_an_inventoried_file_and_is_refused_for_one_in_progress() -> None:
    uow = FakeUnitOfWork()
    handlers.import_inventory(ImportInventory(_reading(_entry(6, "160")), ARCHIVIST, False), uow)
    renamed = _reading(_entry(6, "160", "Hồ sơ đã sửa tiêu đề"))
    report = handlers.import_inventory(ImportInventory(renamed, ARCHIVIST, False), uow)
    assert report.updated == [FILE_CODE]
    assert uow.store[FILE_CODE].description.title == "Hồ sơ đã sửa tiêu đề"
    _select(uow, FILE_CODE)
    again = handlers.import_inventory(
        ImportInventory(_reading(_entry(6, "160", "Lại sửa")), ARCHIVIST, False), uow
    )
    (refusal,) = again.refused
    assert (refusal.row, refusal.code) == (6, "import.file-in-progress")


def test_a_row_whose_code_cannot_be_composed_is_refused_naming_the_column() -> None:
    entry = _entry(6, "16 0")  # a space cannot stand in a mã hồ sơ
    report = handlers.import_inventory(
        ImportInventory(_reading(entry), ARCHIVIST, dry_run=True), FakeUnitOfWork()
    )
    (refusal,) = report.refused
    assert (refusal.column, refusal.code) == ("Hồ sơ số", "import.invalid-file-code")


def test_files_from_before_the_workflow_announce_their_state_once() -> None:
    uow = FakeUnitOfWork()
    legacy = registered()
    legacy.pull_events()
    legacy.version = 0
    uow.store[FILE_CODE] = legacy
    assert handlers.announce_states(AnnounceStates(), uow) == 1
    assert handlers.announce_states(AnnounceStates(), uow) == 0
    (event,) = uow.outbox
    assert isinstance(event, FileStateChanged)
    assert event.to_state == "inventoried"


class _NoHocr:
    """A derivatives store without hOCR: the extractor reads the text."""

    async def hocr(self, key: str) -> str | None:
        return None


async def test_suggestions_are_made_from_the_page_text_and_confirmed_into_the_record() -> None:
    uow = FakeUnitOfWork()
    _approved_and_arranged(uow, pages=2)
    by_name = {case.name: case for case in CASES}
    for sequence, name in ((1, "ke-hoach-ubnd-tinh"), (2, "trang-ky-kt-chu-tich")):
        event = ingested(FILE_CODE, sequence)
        handlers.on_page_ingested(event, uow)
        handlers.on_page_processed(processed(event, by_name[name].text), uow)
    bus = MessageBus(lambda _c: uow, lambda: None)
    documents = await suggest_file(FILE_CODE, bus, _NoHocr())
    assert documents is not None
    (document,) = documents
    assert (document.first_page, document.last_page) == (1, 2)
    stored = uow.store[FILE_CODE].suggestions
    assert stored is not None
    assert stored.documents == tuple(documents)

    corrected = "Triển khai Quyết định số 71/QĐ-TTg về bảo hiểm tài liệu lưu trữ"
    command = ConfirmDocument(FILE_CODE, 1, {"subject": corrected}, ARCHIVIST)
    file = handlers.confirm_document(command, uow)
    description = file.documents[1].description
    assert (description.code_number, description.code_notation) == ("115", "KH-UBND")
    assert description.subject == corrected
    assert description.extension["signerName"] == "Lê Văn Hân"
    assert description.type_name is not None
    assert description.type_name.code == "10"
    verdicts = {c.field: c.correct for c in uow.corrections}
    assert verdicts["subject"] is False  # the person's value is the record, and the ground truth
    assert verdicts["codeNumber"] is True
    assert verdicts["signerName"] is True


def test_a_locked_file_is_not_read_again() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = verified()
    assert handlers.pages_to_read(ReadPages(FILE_CODE), uow) is None


def _receipt(file: ArchivalFile, accepted: bool, receipt_id: str = "BN-1") -> PackageReceipt:
    assert file.package is not None
    reasons = () if accepted else (RejectedItem(path="METS.xml", reason="SHA-256 sai"),)
    return PackageReceipt(
        file_code=file.file_code, package_id=file.package.package_id, receipt_id=receipt_id,
        accepted=accepted, sha256="0" * 64, reasons=reasons, receiver="test", at=AT,
    )  # fmt: skip


def test_an_accepted_receipt_hands_the_file_over_once() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = file = in_state(FileState.PACKAGED)
    handlers.on_package_receipt(_receipt(file, accepted=True), uow)
    assert uow.store[FILE_CODE].state is FileState.HANDED_OVER
    changes = len(uow.events(FileStateChanged))
    handlers.on_package_receipt(_receipt(file, accepted=True), uow)  # duplicate receipt
    assert len(uow.events(FileStateChanged)) == changes
    assert uow.store[FILE_CODE].state is FileState.HANDED_OVER


def test_a_rejection_returns_the_file_to_the_archivists_with_the_reasons() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = file = in_state(FileState.PACKAGED)
    receipt = _receipt(file, accepted=False)
    handlers.on_package_receipt(receipt, uow)
    returned = uow.store[FILE_CODE]
    assert returned.state is FileState.DESCRIBED
    assert returned.package is None
    assert returned.acceptance is None
    (change,) = _changes_by_receipt(uow, "BN-1")
    assert (change.from_state, change.to_state) == ("packaged", "described")
    assert "METS.xml: SHA-256 sai" in change.reason
    handlers.on_package_receipt(receipt, uow)  # a repeated rejection changes nothing
    assert len(_changes_by_receipt(uow, "BN-1")) == 1


def _changes_by_receipt(uow: FakeUnitOfWork, receipt_id: str) -> list[FileStateChanged]:
    changes = [e for e in uow.events(FileStateChanged) if isinstance(e, FileStateChanged)]
    return [e for e in changes if receipt_id in e.reason]


def _package_ready(file_code: str, package_id: uuid.UUID) -> PackageReady:
    return PackageReady(
        file_code=file_code, package_id=package_id, object_key=f"{file_code}/goi.zip",
        sha256="1" * 64, size=1, payload_oxum="1.1", download_url="https://lưu-trữ.test/g",
        expires_at=AT, contents={"pdf": 1}, replaces_package_id=None,
    )  # fmt: skip


def _early_receipt(package_id: uuid.UUID, accepted: bool, receipt_id: str) -> PackageReceipt:
    reasons = () if accepted else (RejectedItem(path="METS.xml", reason="SHA-256 sai"),)
    return PackageReceipt(
        file_code=FILE_CODE, package_id=package_id, receipt_id=receipt_id, accepted=accepted,
        sha256="1" * 64, reasons=reasons, receiver="test", at=AT,
    )  # fmt: skip


@pytest.mark.parametrize(("accepted", "lands_in"), [(True, "handed_over"), (False, "described")])
def test_a_receipt_read_before_its_package_is_applied_when_the_package_is(
    accepted: bool, lands_in: str
) -> None:
    """After a restart the catalogue reads package-ready and the receipt (two topics) in no
    fixed order: a receipt first must neither be lost nor leave the hồ sơ packaged for ever."""
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = in_state(FileState.ACCEPTED)
    package_id = uuid.uuid4()
    handlers.on_package_receipt(_early_receipt(package_id, accepted, "BN-7"), uow)
    assert uow.store[FILE_CODE].state is FileState.ACCEPTED  # held, nothing moved yet
    handlers.on_package_ready(_package_ready(FILE_CODE, package_id), uow)
    file = uow.store[FILE_CODE]
    assert file.state.value == lands_in
    assert file.early_answers == ()
    changes = [e for e in uow.events(FileStateChanged) if isinstance(e, FileStateChanged)]
    moves = [(c.from_state, c.to_state) for c in changes]
    assert moves[-2:] == [("accepted", "packaged"), ("packaged", lands_in)]


def test_an_old_packages_late_receipt_neither_answers_the_new_package_nor_hides_its_own() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = in_state(FileState.ACCEPTED)
    old, new = uuid.uuid4(), uuid.uuid4()
    handlers.on_package_receipt(_early_receipt(new, True, "BN-new"), uow)
    handlers.on_package_receipt(_early_receipt(old, False, "BN-old"), uow)  # a late repeat
    handlers.on_package_ready(_package_ready(FILE_CODE, new), uow)
    file = uow.store[FILE_CODE]
    assert file.state is FileState.HANDED_OVER
    assert _changes_by_receipt(uow, "BN-old") == []
    assert file.early_answers == ()


def test_a_refused_packages_re_sent_announcement_is_stale_not_a_dead_letter() -> None:
    """A re-drive after the broker lost its log sends package-ready again, also for a package
    the archive has since refused: the hồ sơ is back with the archivists (or accepted again,
    waiting for its next package) and must take neither the old package nor a fault."""
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = file = in_state(FileState.PACKAGED)
    assert file.package is not None
    refused = file.package.package_id
    handlers.on_package_receipt(_receipt(file, accepted=False), uow)
    assert uow.store[FILE_CODE].returned_packages == (refused,)
    handlers.on_package_ready(_package_ready(FILE_CODE, refused), uow)  # raises if not stale
    assert uow.store[FILE_CODE].state is FileState.DESCRIBED

    again = in_state(FileState.ACCEPTED)
    again.returned_packages = (refused,)
    uow.store[FILE_CODE] = again
    handlers.on_package_ready(_package_ready(FILE_CODE, refused), uow)
    handlers.on_package_receipt(_early_receipt(refused, False, "BN-1"), uow)  # its repeat
    held = uow.store[FILE_CODE]
    assert (held.state, held.package, held.early_answers) == (FileState.ACCEPTED, None, ())
    new = uuid.uuid4()
    handlers.on_package_ready(_package_ready(FILE_CODE, new), uow)
    packaged = uow.store[FILE_CODE]
    assert packaged.state is FileState.PACKAGED
    assert packaged.package is not None
    assert packaged.package.package_id == new
