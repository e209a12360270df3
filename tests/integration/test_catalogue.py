"""The catalogue's SQL adapters on SQLite and PostgreSQL: a hồ sơ through the programme reads
back as it was written, with its events in the outbox; inventory imports from a messy workbook
and a TCVN3 CSV; the migration from the old schema keeps the data; concurrent steps on one
hồ sơ decide once; reports; search."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.catalogue import handlers
from services.catalogue.adapters.orm import FileRow
from services.catalogue.adapters.repository import SqlUnitOfWork
from services.catalogue.adapters.sheets import read_sheet
from services.catalogue.adapters.views import SqlCatalogueViews
from services.catalogue.api.out import file_out
from services.catalogue.app import MIGRATIONS
from services.catalogue.domain.checks import CheckPolicy
from services.catalogue.domain.codes import SelectionCriterion
from services.catalogue.domain.commands import (
    AcceptFiles,
    AnnounceUnpackaged,
    ApproveSelection,
    AskForUnreadPages,
    ConfirmArrangement,
    ConfirmDescription,
    ConfirmDocument,
    ImportInventory,
    MergeDocuments,
    RecordSuggestions,
    RegisterFile,
    SelectFile,
    SetDocument,
    SplitDocument,
    VerifyFile,
)
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.extraction.documents import suggest_documents
from services.catalogue.domain.extraction.layout import PageText
from services.catalogue.domain.identifiers import FileCodeParts
from services.catalogue.domain.inventory import read_inventory
from services.catalogue.domain.model import Criterion, FileState, PackageFailure
from services.catalogue.domain.queries import FileFilter, SearchQuery
from services.catalogue.domain.reports import (
    ProgrammePlan,
    annual_report,
    annual_sheets,
    progress_report,
    progress_sheets,
)
from services.catalogue.domain.search import parse_query
from services.catalogue.messagebus import MessageBus
from services.catalogue.ports import UnitOfWork
from shared.db import make_engine, migrate, utcnow
from shared.events import (
    FileAccepted,
    PackageFailed,
    PackageReady,
    PackageReceipt,
    PageFailed,
    PageIngested,
    PageReadRequested,
)
from shared.outbox import OutboxMessage
from shared.xlsx import write_xlsx
from tests.support.catalogue import (
    APPROVER,
    ARCHIVIST,
    FILE_CODE,
    REVIEWER,
    description,
    document,
    ingested,
    processed,
)
from tests.support.inventories import write_messy_inventory, write_tcvn3_csv
from tests.support.pages import CASES

pytestmark = pytest.mark.integration
POLICY = CheckPolicy()


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS)
    return engine


def _run(engine: Engine, handler: Callable[[Any, UnitOfWork], Any], message: Any) -> Any:
    return handler(message, SqlUnitOfWork(engine))


def _outbox(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(sa.column("id"))).all()
        return [(row.topic, json.loads(row.body)) for row in rows]


def _to_verified(engine: Engine, code: str = FILE_CODE, pages: int = 2) -> None:
    parts = FileCodeParts("H49.64.33", 2001, code.rsplit(".", 1)[-1])
    _run(engine, handlers.register_file, RegisterFile(code, description(pages), ARCHIVIST, parts))
    criteria = (Criterion(SelectionCriterion.PERMANENT_RETENTION, "vĩnh viễn"),)
    _run(engine, handlers.select_file, SelectFile(code, criteria, ARCHIVIST))
    _run(
        engine, handlers.confirm_arrangement, ConfirmArrangement(code, "Phạm Thị Chỉnh", ARCHIVIST)
    )
    decision = ApproveSelection(
        f"QĐ-{code}", PartialDate(2026, 3, 5), "Lê Văn Hân", (code,), APPROVER
    )
    _run(engine, handlers.approve_selection, decision)
    for sequence in range(1, pages + 1):
        page = ingested(code, sequence)
        _run(engine, handlers.on_page_processed, processed(page))  # OCR's event first
        _run(engine, handlers.on_page_ingested, page)
    _run(engine, handlers.set_document, SetDocument(code, 1, document(1, pages), ARCHIVIST))
    _run(engine, handlers.confirm_description, ConfirmDescription(code, ARCHIVIST))
    _run(engine, lambda c, u: handlers.verify_file(c, u, POLICY), VerifyFile(code, (), REVIEWER))


def test_a_file_through_the_programme_reads_back_as_written(engine: Engine) -> None:
    _to_verified(engine)
    _run(engine, handlers.accept_files, AcceptFiles((FILE_CODE,), APPROVER, "01/BB-NT", "GĐ"))
    with SqlUnitOfWork(engine) as uow:
        file = uow.files.get(FILE_CODE)
        assert file is not None
        assert file.state is FileState.ACCEPTED
        assert file.description == description(2)
        assert file.parts == FileCodeParts("H49.64.33", 2001, "160")
        assert file.documents[1].description == document(1, 2)
        assert [p.sequence for p in file.current_pages()] == [1, 2]
        assert all(
            p.reading and p.reading.quality and p.reading.alto_key for p in file.pages.values()
        )
        assert file.approval is not None
        assert file.approval.number == f"QĐ-{FILE_CODE}"
        assert file.arrangement is not None
        assert file.arrangement.actor == ARCHIVIST
        assert file.verification is not None
        assert file.verification.actor == REVIEWER
        assert file.acceptance is not None
        assert file.acceptance.minutes_number == "01/BB-NT"
    history = SqlCatalogueViews(engine).history(FILE_CODE)
    assert [t.to_state.value for t in history] == [
        "inventoried", "selected", "approved", "digitizing", "digitized", "described", "verified",
        "accepted",
    ]  # fmt: skip
    assert history[-1].actor == APPROVER
    shown = file_out(file, history)
    assert [p["derivatives"] for p in shown["pages"]] == [
        ["text", "hocr", "alto", "pdf", "image"]
    ] * 2
    dumped = json.dumps(shown, default=str)
    assert "page.txt" not in dumped  # never a storage name
    assert "clean.png" not in dumped
    topics = [topic for topic, _ in _outbox(engine)]
    assert topics.count("sohoa.catalogue.file-accepted.v1") == 1
    changed = [body for topic, body in _outbox(engine) if topic.endswith("file-state-changed.v1")]
    assert [b["version"] for b in changed] == list(range(1, len(changed) + 1))
    accepted = next(b for t, b in _outbox(engine) if t.endswith("file-accepted.v1"))
    assert accepted["documents"][0]["doc_code"] == f"{FILE_CODE}.0000001"
    assert {p["sequence"] for p in accepted["pages"]} == {1, 2}


def test_a_receipt_read_before_its_package_is_kept_until_the_package_is(engine: Engine) -> None:
    _to_verified(engine)
    _run(engine, handlers.accept_files, AcceptFiles((FILE_CODE,), APPROVER, "01/BB-NT", "GĐ"))
    package_id = uuid.uuid4()
    receipt = PackageReceipt(
        file_code=FILE_CODE, package_id=package_id, receipt_id="BN-9", accepted=True,
        sha256="1" * 64, receiver="lưu trữ quốc gia", at=datetime(2026, 12, 3, 9, tzinfo=UTC),
    )  # fmt: skip
    _run(engine, handlers.on_package_receipt, receipt)
    with SqlUnitOfWork(engine) as uow:
        held = uow.files.get(FILE_CODE)
        assert held is not None
        assert held.state is FileState.ACCEPTED
        assert [(a.package_id, a.receipt_id, a.at) for a in held.early_answers] == [
            (package_id, "BN-9", receipt.at)
        ]
        assert held.early_answers[0].by == handlers.ARCHIVE  # read back as it was kept
    with Session(engine) as session:  # as catalogue_0007's first rows kept it: "by" nested
        row = session.get(FileRow, FILE_CODE)
        assert row is not None
        nested = {k: v for k, v in row.early_answers[0].items() if k not in ("client", "person")}
        row.early_answers = [{**nested, "by": {"client": "national-archive", "person": None}}]
        session.add(row)
        session.commit()
    with SqlUnitOfWork(engine) as uow:
        again = uow.files.get(FILE_CODE)
        assert again is not None
        assert again.early_answers[0].by == handlers.ARCHIVE
    ready = PackageReady(
        file_code=FILE_CODE, package_id=package_id, object_key="goi.zip", sha256="1" * 64,
        size=1, payload_oxum="1.1", download_url="https://lưu-trữ.test/g", expires_at=receipt.at,
        contents={"pdf": 1},
    )  # fmt: skip
    _run(engine, handlers.on_package_ready, ready)
    with SqlUnitOfWork(engine) as uow:
        done = uow.files.get(FILE_CODE)
        assert done is not None
        assert done.state is FileState.HANDED_OVER
        assert done.early_answers == ()
    assert SqlCatalogueViews(engine).history(FILE_CODE)[-1].reason == "biên nhận BN-9"


def test_a_refused_package_is_remembered_so_its_re_sent_announcement_is_ignored(
    engine: Engine,
) -> None:
    _to_verified(engine)
    _run(engine, handlers.accept_files, AcceptFiles((FILE_CODE,), APPROVER, "01/BB-NT", "GĐ"))
    package_id = uuid.uuid4()
    ready = PackageReady(
        file_code=FILE_CODE, package_id=package_id, object_key="goi.zip", sha256="1" * 64,
        size=1, payload_oxum="1.1", download_url="https://lưu-trữ.test/g",
        expires_at=datetime(2026, 12, 3, 9, tzinfo=UTC), contents={"pdf": 1},
    )  # fmt: skip
    _run(engine, handlers.on_package_ready, ready)
    refusal = PackageReceipt(
        file_code=FILE_CODE, package_id=package_id, receipt_id="BN-10", accepted=False,
        sha256="1" * 64, receiver="lưu trữ quốc gia", at=datetime(2026, 12, 3, 10, tzinfo=UTC),
    )  # fmt: skip
    _run(engine, handlers.on_package_receipt, refusal)
    _run(engine, handlers.on_package_ready, ready)  # re-sent by a re-drive: no fault
    with SqlUnitOfWork(engine) as uow:
        file = uow.files.get(FILE_CODE)
        assert file is not None
        assert (file.state, file.package) == (FileState.DESCRIBED, None)
        assert file.returned_packages == (package_id,)


def test_a_failed_package_is_kept_on_the_hồ_sơ_and_its_acceptance_not_swept(
    engine: Engine,
) -> None:
    _to_verified(engine)
    _run(engine, handlers.accept_files, AcceptFiles((FILE_CODE,), APPROVER, "01/BB-NT", "GĐ"))
    with SqlUnitOfWork(engine) as uow:
        assert uow.files.awaiting_package() == [FILE_CODE]
    at = datetime(2026, 12, 4, 3, tzinfo=UTC)
    failed = PackageFailed(
        file_code=FILE_CODE, reason_code="handover.fixity-mismatch", detail="0002.png", at=at
    )
    _run(engine, handlers.on_package_failed, failed)
    with SqlUnitOfWork(engine) as uow:
        file = uow.files.get(FILE_CODE)
        assert file is not None
        assert file.package_failure == PackageFailure("handover.fixity-mismatch", "0002.png", at)
        assert uow.files.awaiting_package() == []
    shown = file_out(file, [])
    assert shown["package_failure"]["reason_code"] == "handover.fixity-mismatch"


def test_suggestions_and_their_confirmations_are_kept(engine: Engine) -> None:
    _run(engine, handlers.register_file, RegisterFile(FILE_CODE, description(1), ARCHIVIST))
    page = PageText.from_text(1, CASES[0].text)
    documents = tuple(suggest_documents([page]))
    _run(engine, handlers.record_suggestions, RecordSuggestions(FILE_CODE, documents))
    with SqlUnitOfWork(engine) as uow:
        file = uow.files.get(FILE_CODE)
        assert file is not None
        assert file.suggestions is not None
        assert file.suggestions.documents == documents
    values = {"subject": "Triển khai bảo hiểm tài liệu lưu trữ", "typeName": "Kế hoạch"}
    command = ConfirmDocument(FILE_CODE, 1, values, ARCHIVIST, first_page=1, last_page=1)
    _run(engine, handlers.confirm_document, command)
    accuracy = SqlCatalogueViews(engine).suggestion_accuracy()
    assert accuracy["subject"] == (1, 0)  # corrected: the suggestion was wrong
    assert accuracy["typeName"] == (1, 1)  # "Kế hoạch" is code 10, as suggested
    assert accuracy["codeNumber"] == (1, 1)


def test_split_and_merged_văn_bản_are_stored_renumbered(engine: Engine) -> None:
    _run(engine, handlers.register_file, RegisterFile(FILE_CODE, description(6), ARCHIVIST))
    for ordinal, (first, last) in enumerate(((1, 4), (5, 6)), start=1):
        command = SetDocument(FILE_CODE, ordinal, document(first, last), ARCHIVIST)
        _run(engine, handlers.set_document, command)
    _run(engine, handlers.split_document, SplitDocument(FILE_CODE, 1, 3, ARCHIVIST))

    def stored() -> list[tuple[int, int, int, str | None]]:
        with SqlUnitOfWork(engine) as uow:
            file = uow.files.get(FILE_CODE)
            assert file is not None
            return [
                (o, d.description.first_page, d.description.last_page, d.description.subject)
                for o, d in sorted(file.documents.items())
            ]

    subject = document(1, 4).subject
    assert stored() == [(1, 1, 2, subject), (2, 3, 4, None), (3, 5, 6, subject)]
    _run(engine, handlers.merge_documents, MergeDocuments(FILE_CODE, 2, ARCHIVIST))
    assert stored() == [(1, 1, 2, subject), (2, 3, 6, None)]


def test_the_outbox_holds_nothing_of_a_refused_step(engine: Engine) -> None:
    _run(engine, handlers.register_file, RegisterFile(FILE_CODE, description(2), ARCHIVIST))
    before = _outbox(engine)
    with pytest.raises(Exception, match="không thể chuyển"):
        _run(engine, handlers.confirm_description, ConfirmDescription(FILE_CODE, ARCHIVIST))
    assert _outbox(engine) == before


@pytest.mark.parametrize("builder", [write_messy_inventory, write_tcvn3_csv])
def test_inventory_import_reports_every_cell_and_a_re_import_changes_nothing(
    engine: Engine, tmp_path: Path, builder: Callable[[Path], Any]
) -> None:
    suffix = ".xlsx" if builder is write_messy_inventory else ".csv"
    expected = builder(tmp_path / f"inventory{suffix}")
    reading = read_inventory(read_sheet(tmp_path / f"inventory{suffix}"))

    def imported(read: Any, dry_run: bool) -> handlers.ImportReport:
        command = ImportInventory(read, ARCHIVIST, dry_run, agency_code="H49.64.33")
        report: handlers.ImportReport = _run(engine, handlers.import_inventory, command)
        return report

    dry = imported(reading, dry_run=True)
    assert (dry.rows, dry.accepted) == (expected.rows, len(expected.entries))
    assert [(r.row, r.column, r.cell, r.code) for r in dry.refused] == [
        (r.row, r.column, r.cell, r.code) for r in expected.refusals
    ]
    assert not dry.written
    refused = imported(reading, dry_run=False)  # all or nothing: a refused row stops the rest
    assert not refused.written
    assert SqlCatalogueViews(engine).files(FileFilter(), after=None, limit=100) == []

    corrected = dataclasses.replace(reading, refused=(), rows=len(reading.entries))
    first = imported(corrected, dry_run=False)
    assert first.written
    assert len(first.created) == len(expected.entries)
    listed = SqlCatalogueViews(engine).files(FileFilter(), after=None, limit=100)
    by_title = {f.title: f for f in listed}
    for entry in expected.entries:
        row = by_title[entry.title]
        assert (row.fonds_code, row.maintenance) == (entry.fonds_code, entry.maintenance)
        assert (row.start_date, row.end_date) == (entry.start_date, entry.end_date)
        assert row.number_of_paper == entry.number_of_paper
        assert row.group == entry.group
    outbox = len(_outbox(engine))
    again = imported(corrected, dry_run=False)
    assert (again.created, again.updated) == ([], [])
    assert sorted(again.unchanged) == sorted(first.created)
    assert len(_outbox(engine)) == outbox
    assert SqlCatalogueViews(engine).files(FileFilter(), after=None, limit=100) == listed


def _migrate_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_the_migration_to_tt05_keeps_existing_data(database_url: str) -> None:
    engine = make_engine(database_url)
    _migrate_to(engine, "catalogue_0002")
    at = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO catalogue_file (file_code, title, number_of_page, state, "
                "file_metadata, accepted_by, accepted_at, created_at) VALUES "
                "(:code, :title, 2, 'accepted', :metadata, 'vpubnd', :at, :at)"
            ),
            {
                "code": FILE_CODE,
                "title": "Hồ sơ cũ",
                "metadata": json.dumps(
                    {
                        "maintenance": "01",
                        "language": "01",
                        "startDate": "05/01/2001",
                        "totalDoc": "3",
                        "phong": "Văn phòng UBND",
                        "mode": "Mật lắm",
                    }
                ),
                "at": at,
            },
        )
        connection.execute(
            sa.text(
                "INSERT INTO catalogue_page (page_id, file_code, sequence, object_key, sha256, "
                "text, folded_text, text_key, hocr_key) VALUES "
                "(:id, :code, 1, 'k', :sha, 'Lưu trữ', ' luu tru ', 't', 'h')"
            ),
            {"id": str(uuid.uuid4()), "code": FILE_CODE, "sha": "a" * 64},
        )
        connection.execute(
            sa.text(
                "INSERT INTO catalogue_transition (file_code, from_state, to_state, actor, reason, "
                "at) VALUES (:code, '', 'inventoried', 'vpubnd', 'đăng ký', :at)"
            ),
            {"code": FILE_CODE, "at": at},
        )
    migrate(engine, MIGRATIONS)
    with SqlUnitOfWork(engine) as uow:
        file = uow.files.get(FILE_CODE)
        assert file is not None
        assert file.state is FileState.ACCEPTED
        assert file.description.maintenance is not None
        assert file.description.maintenance.value == "01"
        assert file.description.start_date == PartialDate(2001, 1, 5)
        assert file.description.total_doc == 3
        assert file.extension == {"phong": "Văn phòng UBND", "mode": "Mật lắm"}
        assert file.acceptance is not None
        assert file.acceptance.actor.client == "vpubnd"
        assert file.version == 0  # it announces its state at the next start
    views = SqlCatalogueViews(engine)
    assert views.history(FILE_CODE)[0].actor.client == "vpubnd"
    hits = views.search(SearchQuery(parse_query("luu tru"))).hits
    assert [(h.kind, h.file_code) for h in hits] == [("page", FILE_CODE)]


def test_concurrent_last_pages_and_acceptances_decide_once(engine: Engine) -> None:
    """Two threads stand for two replicas: each takes the hồ sơ's row lock (PostgreSQL) or the
    write lock (SQLite), so the last two pages are both counted and one acceptance wins."""
    code, pages = FILE_CODE, 4
    _run(engine, handlers.register_file, RegisterFile(code, description(pages), ARCHIVIST))
    _run(
        engine,
        handlers.select_file,
        SelectFile(code, (Criterion(SelectionCriterion(1), "vv"),), ARCHIVIST),
    )
    _run(
        engine, handlers.confirm_arrangement, ConfirmArrangement(code, "Phạm Thị Chỉnh", ARCHIVIST)
    )
    decision = ApproveSelection("QĐ-9", PartialDate(2026, 3, 5), "Lê Văn Hân", (code,), APPROVER)
    _run(engine, handlers.approve_selection, decision)
    events = [ingested(code, n) for n in range(1, pages + 1)]
    for event in events:
        _run(engine, handlers.on_page_ingested, event)
    for event in events[:-2]:
        _run(engine, handlers.on_page_processed, processed(event))
    bus = MessageBus(lambda _c: SqlUnitOfWork(engine), lambda: None)
    _together([partial(_process, bus, event) for event in events[-2:]])
    with SqlUnitOfWork(engine) as uow:
        file = uow.files.get(code)
        assert file is not None
        assert file.state is FileState.DIGITIZED
    _run(engine, handlers.set_document, SetDocument(code, 1, document(1, pages), ARCHIVIST))
    _run(engine, handlers.confirm_description, ConfirmDescription(code, ARCHIVIST))
    _run(engine, lambda c, u: handlers.verify_file(c, u, POLICY), VerifyFile(code, (), REVIEWER))
    accept = AcceptFiles((code,), APPROVER)
    _together([lambda: _await(bus.run(handlers.accept_files, accept)) for _ in range(2)])
    topics = [topic for topic, _ in _outbox(engine)]
    assert topics.count("sohoa.catalogue.file-accepted.v1") == 1
    with Session(engine) as session:
        count = session.execute(sa.text("SELECT count(*) FROM catalogue_acceptance")).scalar()
    assert count == 1


def _await(awaitable: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(awaitable)


def _process(bus: MessageBus, event: PageIngested) -> None:
    _await(bus.run(handlers.on_page_processed, processed(event)))


def _together(work: list[Callable[[], Any]]) -> None:
    """Start every call at the same moment; re-raise the first failure."""
    barrier = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as exc:  # noqa: BLE001  # handed to the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_annual_report_counts_the_year_and_opens_with_its_chart(
    engine: Engine, tmp_path: Path
) -> None:
    _to_verified(engine, "H49.64.33.2001.160")
    _run(engine, handlers.accept_files, AcceptFiles(("H49.64.33.2001.160",), APPROVER, "02/BB"))
    _run(
        engine,
        handlers.register_file,
        RegisterFile("H49.64.33.2001.161", description(1), ARCHIVIST),
    )
    year = date.today().year
    report = annual_report(
        SqlCatalogueViews(engine).plan_counts(year),
        ProgrammePlan(),
        organization="Trung tâm Lưu trữ lịch sử tỉnh",
        generated_at=datetime.now(UTC),
    )
    reached = report["totals"]["reached_by_end_of_year"]
    assert (reached["inventoried"], reached["approved"], reached["accepted"]) == (2, 1, 1)
    assert report["totals"]["pages_in_year"] == 2
    path = tmp_path / "annual.xlsx"
    write_xlsx(path, annual_sheets(report))
    workbook = openpyxl.load_workbook(path)
    summary = workbook[f"Tổng hợp {year}"]
    labels = {row[0].value: (row[1].value, row[2].value) for row in summary.iter_rows(min_row=3)}
    assert labels["Đã nghiệm thu"] == (1, 1)
    assert labels["Đã lập mục lục"] == (2, 2)
    assert labels["Số trang đã số hóa"] == (2, 2)
    assert summary._charts, "the summary sheet has its chart"  # type: ignore[attr-defined]  # openpyxl keeps charts in a private list
    assert "Theo phông" in workbook.sheetnames
    assert "Trang theo tháng" in workbook.sheetnames


def test_progress_counts_files_and_pages_by_state_fonds_year_and_day(engine: Engine) -> None:
    _to_verified(engine, "H49.64.33.2001.160")
    command = RegisterFile("H49.64.33.2001.161", description(1), ARCHIVIST, fonds_code="64")
    _run(engine, handlers.register_file, command)
    counts = SqlCatalogueViews(engine).progress(date.today())
    assert counts.files_by_state == {"verified": 1, "inventoried": 1}
    assert counts.pages_by_state == {"verified": 2}
    assert counts.files_by_fonds == {"": {"verified": 1}, "64": {"inventoried": 1}}
    assert counts.files_by_year == {2001: {"verified": 1, "inventoried": 1}}
    ((day, pages),) = counts.pages_per_day
    assert pages == 2
    assert abs((day - date.today()).days) <= 1  # Vietnam's day, not the machine's
    assert counts.ocr.waiting == 0
    assert counts.ocr.failed_by_code == {}


def test_progress_counts_the_pages_waiting_for_ocr_and_those_it_could_not_read(
    engine: Engine, tmp_path: Path
) -> None:
    code = "H49.64.33.2001.OCR"
    _to_verified(engine, "H49.64.33.2001.160")  # read pages: in neither count
    parts = FileCodeParts("H49.64.33", 2001, "OCR")
    _run(engine, handlers.register_file, RegisterFile(code, description(3), ARCHIVIST, parts))
    criteria = (Criterion(SelectionCriterion.PERMANENT_RETENTION, "vĩnh viễn"),)
    _run(engine, handlers.select_file, SelectFile(code, criteria, ARCHIVIST))
    _run(engine, handlers.confirm_arrangement, ConfirmArrangement(code, "Phạm Chỉnh", ARCHIVIST))
    decision = ApproveSelection("QĐ-OCR", PartialDate(2026, 3, 5), "Lê Văn Hân", (code,), APPROVER)
    _run(engine, handlers.approve_selection, decision)
    an_hour_ago = utcnow() - timedelta(hours=1)
    first = ingested(code, 1)
    handlers.on_page_ingested(first, SqlUnitOfWork(engine, clock=lambda: an_hour_ago))
    _run(engine, handlers.on_page_ingested, ingested(code, 2))
    bad = ingested(code, 3)
    _run(engine, handlers.on_page_ingested, bad)
    failed = PageFailed(
        file_code=code,
        page_id=bad.page_id,
        sequence=3,
        reason_code="ocr.unreadable-image",
        detail="không đọc được ảnh",
    )
    _run(engine, handlers.on_page_failed, failed)

    ocr = SqlCatalogueViews(engine).progress(date.today()).ocr
    assert ocr.waiting == 2
    assert ocr.oldest_waiting_since is not None
    assert abs((ocr.oldest_waiting_since - an_hour_ago).total_seconds()) < 1
    assert ocr.failed_by_code == {"ocr.unreadable-image": 1}
    report = progress_report(
        SqlCatalogueViews(engine).progress(date.today()), ProgrammePlan(), date.today()
    )
    assert report["ocr"]["waiting"] == 2
    assert report["ocr"]["failed"] == 1
    path = tmp_path / "tien-do.xlsx"
    write_xlsx(path, progress_sheets(report))
    sheet = openpyxl.load_workbook(path)["Nhận dạng"]
    rows = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=3)}
    assert rows == {"Chờ nhận dạng (OCR)": 2, "Không nhận dạng được: ocr.unreadable-image": 1}


_accepted_rows = select(OutboxMessage).where(OutboxMessage.topic == FileAccepted.TOPIC)


def test_sweeps_ask_for_lost_pages_and_send_a_lost_acceptance_again_as_it_was(
    engine: Engine,
) -> None:
    code, pages = "H49.64.33.2001.SWEEP", 2
    _to_verified(engine, code, pages)
    an_hour_ago = utcnow() - timedelta(hours=1)
    other = "H49.64.33.2001.LOST"
    parts = FileCodeParts("H49.64.33", 2001, "LOST")
    _run(engine, handlers.register_file, RegisterFile(other, description(1), ARCHIVIST, parts))
    criteria = (Criterion(SelectionCriterion.PERMANENT_RETENTION, "vĩnh viễn"),)
    _run(engine, handlers.select_file, SelectFile(other, criteria, ARCHIVIST))
    arranged = ConfirmArrangement(other, "Phạm Thị Chỉnh", ARCHIVIST)
    _run(engine, handlers.confirm_arrangement, arranged)
    decision = ApproveSelection(
        "QĐ-LOST", PartialDate(2026, 3, 5), "Lê Văn Hân", (other,), APPROVER
    )
    _run(engine, handlers.approve_selection, decision)
    lost = ingested(other, 1)
    handlers.on_page_ingested(lost, SqlUnitOfWork(engine, clock=lambda: an_hour_ago))
    unread = AskForUnreadPages(after=timedelta(minutes=30))

    assert _run(engine, handlers.ask_for_unread_pages, unread) == 1
    assert _run(engine, handlers.ask_for_unread_pages, unread) == 0  # asked lately
    asked = [body for topic, body in _outbox(engine) if topic == PageReadRequested.TOPIC]
    assert [(b["page_id"], b["sha256"]) for b in asked] == [(str(lost.page_id), lost.sha256)]

    def minutes_on(minutes: int) -> int:  # a sweep that many minutes after the first asks
        later = utcnow() + timedelta(minutes=minutes)
        return int(
            handlers.ask_for_unread_pages(unread, SqlUnitOfWork(engine, clock=lambda: later))
        )

    assert minutes_on(31) == 1  # asked once, a period ago: asked again
    assert minutes_on(45) == 0  # asked twice: it waits two periods now
    assert minutes_on(61) == 1

    _run(engine, handlers.accept_files, AcceptFiles((code,), APPROVER))
    with Session(engine) as session:  # the relay sent it an hour ago; nothing came back
        (row,) = session.exec(
            select(OutboxMessage).where(OutboxMessage.topic == FileAccepted.TOPIC)
        )
        event_id, row.sent_at = row.event_id, an_hour_ago
        session.add(row)
        session.commit()
    unpackaged = AnnounceUnpackaged(after=timedelta(minutes=30))
    assert _run(engine, handlers.announce_unpackaged, unpackaged) == [code]
    assert _run(engine, handlers.announce_unpackaged, unpackaged) == []  # waiting to go
    with Session(engine) as session:
        (row,) = session.exec(
            select(OutboxMessage).where(OutboxMessage.topic == FileAccepted.TOPIC)
        )
    assert (row.event_id, row.sent_at) == (event_id, None)  # the same event, to be sent again
