"""The SQL unit of work and repositories: aggregates and records mapped to and from rows.

One transaction per unit of work. A hồ sơ is held for the transaction when it is read: ``SELECT
… FOR UPDATE`` on PostgreSQL, and on SQLite the write lock taken at the start (``BEGIN
IMMEDIATE``), so two replicas or two threads never both decide on the same hồ sơ from the same
reading. A unique key taken meanwhile, a deadlock or a serialization failure becomes
:class:`ConcurrentUpdate`, and the message bus runs the handler again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from services.catalogue.adapters.orm import (
    AcceptanceRow,
    CorrectionRow,
    DecisionRow,
    DocumentRow,
    FileRow,
    FondsRow,
    PageRow,
    TransitionRow,
    VerificationRow,
)
from services.catalogue.adapters.search import SqlSearchIndex
from services.catalogue.domain.codes import (
    AccessMode,
    CodeList,
    ConfidenceLevel,
    DocumentType,
    Language,
    Maintenance,
    PhysicalFormat,
    RiskRecoveryStatus,
    SelectionCriterion,
)
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.description import (
    DocumentDescription,
    FileDescription,
    languages_text,
)
from services.catalogue.domain.extraction.documents import DocumentSuggestion
from services.catalogue.domain.extraction.layout import Box
from services.catalogue.domain.extraction.reader import Suggestion
from services.catalogue.domain.findings import Finding, Severity, Waiver
from services.catalogue.domain.fonds import Fonds, FondsStatus
from services.catalogue.domain.identifiers import FileCodeParts
from services.catalogue.domain.model import (
    AcceptanceRef,
    Actor,
    ApprovalRef,
    ArchivalFile,
    ArchiveAnswer,
    Arrangement,
    Criterion,
    Document,
    FileState,
    PackageFailure,
    PackageRef,
    Page,
    Reading,
    RescanItem,
    VerificationRecord,
)
from services.catalogue.domain.records import Acceptance, SelectionDecision, VerificationRun
from services.catalogue.domain.suggestions import SuggestionRun
from services.catalogue.ports import (
    AcceptanceRepository,
    DecisionRepository,
    FileRepository,
    FondsRepository,
    UnitOfWork,
    VerificationRepository,
)
from shared.db import Timestamp, as_utc, utcnow
from shared.errors import ConcurrentUpdate, TransientError
from shared.events import Event, PageQualityReport, PageReadRequested
from shared.outbox import OutboxMessage, add_to_outbox

SOURCE = "sohoa-catalogue"
_RACES = {"40001", "40P01"}  # PostgreSQL serialization_failure, deadlock_detected


class DatabaseUnavailable(TransientError):
    code = "database.unavailable"
    title = "Cơ sở dữ liệu tạm thời không sẵn sàng"


@contextmanager
def translated_errors() -> Iterator[None]:
    """Database errors as the callers can act on them: run again, or wait and retry."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise ConcurrentUpdate(str(exc.orig)[:300]) from exc
    except sa_exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) in _RACES:
            raise ConcurrentUpdate(str(exc.orig)[:300]) from exc
        raise DatabaseUnavailable(type(exc.orig).__name__) from exc


# --- small conversions ------------------------------------------------------------------


C = TypeVar("C", bound=CodeList)


def _code(kind: type[C], value: str | None) -> C | None:
    return kind.of(value) if value else None


def _value(member: CodeList | None) -> str | None:
    return member.value if member is not None else None


def _languages(value: str | None) -> tuple[Language, ...]:
    return tuple(Language.of(code) for code in value.split(",")) if value else ()


def _date(value: str | None) -> PartialDate | None:
    return PartialDate.stored(value) if value else None


def _iso(value: PartialDate | None) -> str | None:
    return value.iso() if value is not None else None


def _actor(client: str, person: str | None) -> Actor:
    return Actor(client=client, person=person)


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        check=data["check"],
        severity=Severity(data["severity"]),
        detail=data["detail"],
        page=data.get("page"),
        document=data.get("document"),
        element=data.get("field"),
        rescan=bool(data.get("rescan")),
    )


def _waiver_json(waiver: Waiver) -> dict[str, str]:
    return {"check": waiver.check, "reason": waiver.reason}


def _answer_json(answer: ArchiveAnswer) -> dict[str, Any]:
    return {
        "package_id": str(answer.package_id),
        "receipt_id": answer.receipt_id,
        "accepted": answer.accepted,
        "reasons": list(answer.reasons),
        "client": answer.by.client,
        "person": answer.by.person,
        "at": answer.at.isoformat(),
    }


def _package_failure(data: dict[str, Any] | None) -> PackageFailure | None:
    if not data:
        return None
    return PackageFailure(
        data["reason_code"], data["detail"], as_utc(datetime.fromisoformat(data["at"]))
    )


def _answered_by(data: dict[str, Any]) -> tuple[str, str | None]:
    """Who answered: flat ``client``/``person`` keys, as every actor here is kept, or the
    nested ``by`` object answers were first kept with (catalogue_0007, before 0a4e866)."""
    by = data.get("by") or data
    return by["client"], by.get("person")


def _answer(data: dict[str, Any]) -> ArchiveAnswer:
    return ArchiveAnswer(
        UUID(data["package_id"]),
        data["receipt_id"],
        data["accepted"],
        tuple(data["reasons"]),
        _actor(*_answered_by(data)),
        as_utc(datetime.fromisoformat(data["at"])),
    )


def _suggestions_json(run: SuggestionRun) -> dict[str, Any]:
    return {
        "at": run.at.isoformat(),
        "documents": [
            {
                "ordinal": d.ordinal,
                "first_page": d.first_page,
                "last_page": d.last_page,
                "fields": {name: s.as_json() for name, s in d.fields.items()},
            }
            for d in run.documents
        ],
    }


def _suggestions(data: dict[str, Any]) -> SuggestionRun:
    return SuggestionRun(
        tuple(
            DocumentSuggestion(
                d["ordinal"],
                d["first_page"],
                d["last_page"],
                {
                    name: Suggestion(
                        s["value"],
                        s["confidence"],
                        s["page"],
                        tuple(Box(*b) for b in s["boxes"]),
                        s.get("note"),
                    )
                    for name, s in d["fields"].items()
                },
            )
            for d in data["documents"]
        ),
        as_utc(datetime.fromisoformat(data["at"])),
    )


# --- hồ sơ --------------------------------------------------------------------------------


def _description(row: FileRow) -> FileDescription:
    return FileDescription(
        title=row.title,
        number_of_page=row.number_of_page,
        maintenance=_code(Maintenance, row.maintenance),
        mode=_code(AccessMode, row.mode),
        languages=_languages(row.language),
        start_date=_date(row.start_date),
        end_date=_date(row.end_date),
        keyword=row.keyword,
        total_doc=row.total_doc,
        number_of_paper=row.number_of_paper,
        format=_code(PhysicalFormat, row.format),
        infor_sign=row.infor_sign,
        confidence_level=_code(ConfidenceLevel, row.confidence_level),
        paper_file_code=row.paper_file_code,
        risk_recovery=row.risk_recovery,
        risk_recovery_status=_code(RiskRecoveryStatus, row.risk_recovery_status),
        description=row.description,
    )


def _write_description(row: FileRow, d: FileDescription) -> None:
    row.title, row.number_of_page = d.title, d.number_of_page
    row.maintenance, row.mode = _value(d.maintenance), _value(d.mode)
    row.language = languages_text(d.languages)
    row.start_date, row.end_date = _iso(d.start_date), _iso(d.end_date)
    row.keyword, row.total_doc, row.number_of_paper = d.keyword, d.total_doc, d.number_of_paper
    row.format, row.infor_sign = _value(d.format), d.infor_sign
    row.confidence_level = _value(d.confidence_level)
    row.paper_file_code, row.risk_recovery = d.paper_file_code, d.risk_recovery
    row.risk_recovery_status, row.description = _value(d.risk_recovery_status), d.description


def _document(row: DocumentRow) -> Document:
    return Document(
        row.ordinal,
        DocumentDescription(
            first_page=row.first_page,
            last_page=row.last_page,
            type_name=DocumentType.of(row.type_name) if row.type_name else None,
            code_number=row.code_number,
            code_notation=row.code_notation,
            issued_date=_date(row.issued_date),
            organ_name=row.organ_name,
            subject=row.subject,
            languages=_languages(row.language),
            number_of_page=row.number_of_page,
            maintenance=_code(Maintenance, row.maintenance),
            mode=_code(AccessMode, row.mode),
            infor_sign=row.infor_sign,
            keyword=row.keyword,
            confidence_level=_code(ConfidenceLevel, row.confidence_level),
            autograph=row.autograph,
            format=_code(PhysicalFormat, row.format),
            risk_recovery=row.risk_recovery,
            risk_recovery_status=_code(RiskRecoveryStatus, row.risk_recovery_status),
            process=row.process,
            description=row.description,
            extension=dict(row.extension or {}),
        ),
    )


def _write_document(row: DocumentRow, d: DocumentDescription) -> None:
    row.first_page, row.last_page = d.first_page, d.last_page
    row.type_name = d.type_name.code if d.type_name else None
    row.code_number, row.code_notation = d.code_number, d.code_notation
    row.issued_date, row.organ_name, row.subject = _iso(d.issued_date), d.organ_name, d.subject
    row.language, row.number_of_page = languages_text(d.languages), d.number_of_page
    row.maintenance, row.mode = _value(d.maintenance), _value(d.mode)
    row.infor_sign, row.keyword = d.infor_sign, d.keyword
    row.confidence_level, row.autograph = _value(d.confidence_level), d.autograph
    row.format, row.risk_recovery = _value(d.format), d.risk_recovery
    row.risk_recovery_status, row.process = _value(d.risk_recovery_status), d.process
    row.description, row.extension = d.description, dict(d.extension)


def _page(row: PageRow) -> Page:
    reading = None
    if row.text_key is not None and row.hocr_key is not None:
        reading = Reading(
            text_key=row.text_key,
            hocr_key=row.hocr_key,
            engine=row.engine or "",
            read_at=as_utc(row.processed_at) if row.processed_at else utcnow(),
            confidence=row.confidence,
            alto_key=row.alto_key,
            pdf_key=row.pdf_key,
            image_key=row.image_key,
            quality=PageQualityReport.model_validate(row.quality) if row.quality else None,
        )
    return Page(
        page_id=UUID(row.page_id),
        sequence=row.sequence,
        object_key=row.object_key,
        sha256=row.sha256,
        media_type=row.media_type,
        width=row.width,
        height=row.height,
        dpi=row.dpi,
        received_at=as_utc(row.received_at) if row.received_at else None,
        reading=reading,
        failure_code=row.failure_code,
        failure_detail=row.failure_detail,
        replaced_by=UUID(row.replaced_by) if row.replaced_by else None,
        version=row.version,
    )


def _write_page(row: PageRow, page: Page) -> None:
    row.sequence, row.object_key, row.sha256 = page.sequence, page.object_key, page.sha256
    row.media_type, row.width, row.height = page.media_type, page.width, page.height
    row.dpi, row.received_at = page.dpi, page.received_at
    row.failure_code, row.failure_detail = page.failure_code, page.failure_detail
    row.replaced_by = str(page.replaced_by) if page.replaced_by else None
    row.version = page.version
    r = page.reading
    row.text_key, row.hocr_key = (r.text_key, r.hocr_key) if r else (None, None)
    row.alto_key, row.pdf_key = (r.alto_key, r.pdf_key) if r else (None, None)
    row.image_key, row.confidence = (r.image_key, r.confidence) if r else (None, None)
    row.engine, row.processed_at = (r.engine, r.read_at) if r else (None, None)
    row.quality = r.quality.model_dump(mode="json") if r and r.quality else None


class SqlFileRepository(FileRepository):
    def __init__(self, session: Session, *, lock: bool) -> None:
        super().__init__()
        self._session = session
        self._lock = lock
        self._rows: dict[str, tuple[FileRow, dict[int, DocumentRow], dict[str, PageRow]]] = {}

    def _get(self, file_code: str) -> ArchivalFile | None:
        query = select(FileRow).where(FileRow.file_code == file_code)
        if self._lock:
            query = query.with_for_update()
        with translated_errors():
            row = self._session.exec(query).first()
            if row is None:
                return None
            documents = {
                d.ordinal: d
                for d in self._session.exec(
                    select(DocumentRow).where(DocumentRow.file_code == file_code)
                )
            }
            pages = {
                p.page_id: p
                for p in self._session.exec(select(PageRow).where(PageRow.file_code == file_code))
            }
            file = self._aggregate(row, documents, pages)
        self._rows[file_code] = (row, documents, pages)
        return file

    def _aggregate(
        self, row: FileRow, documents: dict[int, DocumentRow], pages: dict[str, PageRow]
    ) -> ArchivalFile:
        parts = None
        if row.agency_code and row.file_year is not None and row.file_number:
            parts = FileCodeParts(row.agency_code, row.file_year, row.file_number)
        return ArchivalFile(
            file_code=row.file_code,
            description=_description(row),
            state=FileState(row.state),
            version=row.version,
            parts=parts,
            fonds_code=row.fonds_code,
            group=row.group_name,
            inventory_number=row.inventory_number,
            extension=dict(row.extension or {}),
            criteria=tuple(
                Criterion(SelectionCriterion(c["code"]), c["evidence"]) for c in row.criteria
            ),
            approval=self._approval(row.approval),
            arrangement=self._arrangement(row.arrangement),
            rescan=tuple(
                RescanItem(r["sequence"], r["reason"], UUID(r["page_id"]) if r["page_id"] else None)
                for r in row.rescan
            ),
            documents={n: _document(d) for n, d in documents.items()},
            pages={UUID(p.page_id): _page(p) for p in pages.values()},
            verification=self._verification(row.verification_id),
            acceptance=self._acceptance(row.acceptance_id),
            package=PackageRef(
                UUID(row.package_id), row.package_key or "", row.package_sha256 or ""
            )
            if row.package_id
            else None,
            early_answers=tuple(_answer(a) for a in row.early_answers or ()),
            returned_packages=tuple(UUID(p) for p in row.returned_packages or ()),
            package_failure=_package_failure(row.package_failure),
            suggestions=_suggestions(row.suggestions) if row.suggestions else None,
        )

    @staticmethod
    def _approval(data: dict[str, Any] | None) -> ApprovalRef | None:
        if not data:
            return None
        return ApprovalRef(
            UUID(data["decision_id"]),
            data["number"],
            PartialDate.stored(data["date"]),
            data["signer"],
        )

    @staticmethod
    def _arrangement(data: dict[str, Any] | None) -> Arrangement | None:
        if not data:
            return None
        actor = _actor(data["client"], data.get("person"))
        return Arrangement(data["confirmed_by"], actor, datetime.fromisoformat(data["at"]))

    def _verification(self, verification_id: str | None) -> VerificationRecord | None:
        row = self._session.get(VerificationRow, verification_id) if verification_id else None
        if row is None:
            return None
        return VerificationRecord(
            UUID(row.verification_id),
            tuple(_finding(f) for f in row.findings),
            tuple(Waiver(w["check"], w["reason"]) for w in row.waivers),
            _actor(row.client, row.person),
            as_utc(row.at),
        )

    def _acceptance(self, acceptance_id: str | None) -> AcceptanceRef | None:
        row = self._session.get(AcceptanceRow, acceptance_id) if acceptance_id else None
        if row is None:
            return None
        return _acceptance_record(row).ref()

    def _add(self, file: ArchivalFile) -> None:
        self._rows[file.file_code] = (
            FileRow(file_code=file.file_code, title="", number_of_page=1, state=file.state),
            {},
            {},
        )

    def save(self, file: ArchivalFile) -> None:
        row, documents, pages = self._rows[file.file_code]
        self._write_file(row, file)
        self._session.add(row)
        for ordinal, document in file.documents.items():
            document_row = documents.get(ordinal) or DocumentRow(
                file_code=file.file_code, ordinal=ordinal, first_page=1, last_page=1
            )
            _write_document(document_row, document.description)
            documents[ordinal] = document_row
            self._session.add(document_row)
        for ordinal in set(documents) - set(file.documents):
            self._session.delete(documents.pop(ordinal))
        for page in file.pages.values():
            key = str(page.page_id)
            page_row = pages.get(key) or PageRow(
                page_id=key, file_code=file.file_code, sequence=page.sequence
            )
            _write_page(page_row, page)
            pages[key] = page_row
            self._session.add(page_row)
        for c in file.pull_corrections():
            self._session.add(
                CorrectionRow(
                    file_code=file.file_code,
                    ordinal=c.ordinal,
                    field=c.field,
                    suggested=c.suggested,
                    confirmed=c.confirmed,
                    confidence=c.confidence,
                )
            )
        for t in file.pull_transitions():
            self._session.add(
                TransitionRow(
                    file_code=file.file_code,
                    from_state=t.from_state.value if t.from_state else "",
                    to_state=t.to_state.value,
                    client=t.actor.client,
                    person=t.actor.person,
                    reason=t.reason[:1000],
                    at=t.at,
                )
            )

    @staticmethod
    def _write_file(row: FileRow, file: ArchivalFile) -> None:
        _write_description(row, file.description)
        row.state, row.version = file.state.value, file.version
        if file.parts is not None:
            row.agency_code = file.parts.agency_code
            row.file_year, row.file_number = file.parts.year, file.parts.file_number
        row.fonds_code, row.group_name = file.fonds_code, file.group
        row.inventory_number, row.extension = file.inventory_number, dict(file.extension)
        row.criteria = [{"code": int(c.code), "evidence": c.evidence} for c in file.criteria]
        a = file.approval
        row.approval = (
            {
                "decision_id": str(a.decision_id),
                "number": a.number,
                "date": a.date.iso(),
                "signer": a.signer,
            }
            if a
            else None
        )
        g = file.arrangement
        row.arrangement = (
            {
                "confirmed_by": g.confirmed_by,
                "client": g.actor.client,
                "person": g.actor.person,
                "at": g.at.isoformat(),
            }
            if g
            else None
        )
        row.rescan = [
            {
                "sequence": i.sequence,
                "reason": i.reason,
                "page_id": str(i.page_id) if i.page_id else None,
            }
            for i in file.rescan
        ]
        v = file.verification
        row.verification_id = str(v.verification_id) if v else None
        c = file.acceptance
        row.acceptance_id = str(c.acceptance_id) if c else None
        row.accepted_by, row.accepted_at = (str(c.actor), c.at) if c else (None, None)
        p = file.package
        row.package_id = str(p.package_id) if p else None
        row.package_key, row.package_sha256 = (p.object_key, p.sha256) if p else (None, None)
        row.early_answers = [_answer_json(a) for a in file.early_answers]
        row.returned_packages = [str(p) for p in file.returned_packages]
        f = file.package_failure
        row.package_failure = (
            {"reason_code": f.reason_code, "detail": f.detail, "at": f.at.isoformat()}
            if f
            else None
        )
        row.suggestions = _suggestions_json(file.suggestions) if file.suggestions else None

    def unannounced(self) -> list[str]:
        query = (
            select(FileRow.file_code).where(FileRow.version == 0).order_by(col(FileRow.file_code))
        )
        return list(self._session.exec(query))

    def with_unread_pages(
        self, stored_before: datetime, asked_lately: Sequence[datetime], *, limit: int
    ) -> list[str]:
        asked = asked_lately_query(PageReadRequested.TOPIC, asked_lately)
        query = (
            select(PageRow.file_code)
            .where(
                col(PageRow.object_key).is_not(None),
                col(PageRow.text_key).is_(None),
                col(PageRow.failure_code).is_(None),
                col(PageRow.replaced_by).is_(None),
                col(PageRow.received_at) <= stored_before,
                col(PageRow.page_id).not_in(asked),
            )
            .distinct()
            .order_by(col(PageRow.file_code))
            .limit(limit)
        )
        return list(self._session.exec(query))

    def awaiting_package(self) -> list[str]:
        query = select(FileRow.file_code).where(
            FileRow.state == FileState.ACCEPTED.value, col(FileRow.package_failure).is_(None)
        )
        return list(self._session.exec(query.order_by(col(FileRow.file_code))))


class SqlAnnouncements:
    """The outbox table read and re-armed by the sweeps."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def asked_lately(self, topic: str, cutoffs: Sequence[datetime]) -> set[str]:
        return set(self._session.exec(asked_lately_query(topic, cutoffs)))

    def send_again(self, topic: str, keys: Sequence[str], sent_before: datetime) -> list[str]:
        again: list[str] = []
        for key in keys:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.topic == topic, OutboxMessage.key == key)
                .order_by(col(OutboxMessage.id).desc())
                .limit(1)
            )
            row = self._session.exec(query).first()
            if row is None or row.sent_at is None or as_utc(row.sent_at) >= sent_before:
                continue  # never staged, still waiting to go, or sent lately
            row.sent_at = None  # the relay sends it again, with its own ce_id
            self._session.add(row)
            again.append(key)
        return again


def asked_lately_query(topic: str, cutoffs: Sequence[datetime]) -> SelectOfScalar[str]:
    """Keys of ``topic`` whose newest staged event is later than the cutoff for their number
    of events (a CASE over the count: portable to SQLite and PostgreSQL)."""
    staged = func.count()
    when = [(staged == n, sa.literal(cut, Timestamp)) for n, cut in enumerate(cutoffs[:-1], 1)]
    threshold = sa.case(*when, else_=sa.literal(cutoffs[-1], Timestamp))
    return (
        select(OutboxMessage.key)
        .where(OutboxMessage.topic == topic)
        .group_by(col(OutboxMessage.key))
        .having(func.max(OutboxMessage.created_at) > threshold)
    )


# --- records ------------------------------------------------------------------------------


def _fonds(row: FondsRow) -> Fonds:
    return Fonds(
        code=row.code,
        name=row.name,
        status=FondsStatus(row.status),
        agency_code=row.agency_code,
        history=row.history,
        time_range=row.time_range,
        total_docs=row.total_docs,
        classification=row.classification,
        languages=_languages(row.languages),
        backup_regime=row.backup_regime,
        note=row.note,
    )


class SqlFondsRepository(FondsRepository):
    def __init__(self, session: Session) -> None:
        self._session = session
        self._pending: dict[str, Fonds] = {}

    def get(self, code: str) -> Fonds | None:
        if code in self._pending:
            return self._pending[code]
        row = self._session.get(FondsRow, code)
        return _fonds(row) if row is not None else None

    def put(self, fonds: Fonds) -> None:
        row = self._session.get(FondsRow, fonds.code) or FondsRow(
            code=fonds.code, name=fonds.name, status=fonds.status
        )
        row.name, row.status, row.agency_code = fonds.name, fonds.status.value, fonds.agency_code
        row.history, row.time_range, row.total_docs = (
            fonds.history,
            fonds.time_range,
            fonds.total_docs,
        )
        row.classification, row.languages = fonds.classification, languages_text(fonds.languages)
        row.backup_regime, row.note, row.updated_at = fonds.backup_regime, fonds.note, utcnow()
        self._session.add(row)
        self._pending[fonds.code] = fonds

    def all(self) -> list[Fonds]:
        rows = self._session.exec(select(FondsRow).order_by(col(FondsRow.code)))
        known = {row.code: _fonds(row) for row in rows}
        return [known[code] for code in sorted({**known, **self._pending})]


def _decision(row: DecisionRow) -> SelectionDecision:
    return SelectionDecision(
        UUID(row.decision_id),
        row.number,
        PartialDate.stored(row.signed_on),
        row.signer,
        tuple(row.file_codes),
        _actor(row.client, row.person),
        as_utc(row.at),
    )


class SqlDecisionRepository(DecisionRepository):
    def __init__(self, session: Session) -> None:
        self._session = session

    def find(self, number: str, signed: date) -> SelectionDecision | None:
        query = select(DecisionRow).where(
            DecisionRow.number == number, DecisionRow.signed_on == signed.isoformat()
        )
        row = self._session.exec(query).first()
        return _decision(row) if row is not None else None

    def add(self, decision: SelectionDecision) -> None:
        self._session.add(
            DecisionRow(
                decision_id=str(decision.decision_id),
                number=decision.number,
                signed_on=decision.date.iso(),
                signer=decision.signer,
                file_codes=list(decision.file_codes),
                client=decision.actor.client,
                person=decision.actor.person,
                at=decision.at,
            )
        )


def _acceptance_record(row: AcceptanceRow) -> Acceptance:
    return Acceptance(
        UUID(row.acceptance_id),
        row.minutes_number,
        row.role,
        tuple(row.file_codes),
        _actor(row.client, row.person),
        as_utc(row.at),
    )


class SqlAcceptanceRepository(AcceptanceRepository):
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, acceptance: Acceptance) -> None:
        self._session.add(
            AcceptanceRow(
                acceptance_id=str(acceptance.acceptance_id),
                minutes_number=acceptance.minutes_number,
                role=acceptance.role,
                file_codes=list(acceptance.file_codes),
                client=acceptance.actor.client,
                person=acceptance.actor.person,
                at=acceptance.at,
            )
        )

    def get(self, acceptance_id: UUID) -> Acceptance | None:
        row = self._session.get(AcceptanceRow, str(acceptance_id))
        return _acceptance_record(row) if row is not None else None


class SqlVerificationRepository(VerificationRepository):
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, run: VerificationRun) -> None:
        self._session.add(
            VerificationRow(
                verification_id=str(run.verification_id),
                file_code=run.file_code,
                passed=run.passed,
                findings=[
                    f.as_json(waived=f.check in {w.check for w in run.waivers})
                    for f in run.findings
                ],
                waivers=[_waiver_json(w) for w in run.waivers],
                client=run.actor.client,
                person=run.actor.person,
                at=run.at,
            )
        )

    def of_file(self, file_code: str) -> list[VerificationRun]:
        query = (
            select(VerificationRow)
            .where(VerificationRow.file_code == file_code)
            .order_by(col(VerificationRow.at))
        )
        return [
            VerificationRun(
                UUID(row.verification_id),
                row.file_code,
                row.passed,
                tuple(_finding(f) for f in row.findings),
                tuple(Waiver(w["check"], w["reason"]) for w in row.waivers),
                _actor(row.client, row.person),
                as_utc(row.at),
            )
            for row in self._session.exec(query)
        ]


# --- the unit of work ---------------------------------------------------------------------


class SqlUnitOfWork(UnitOfWork):
    """A transaction on the catalogue's database; events go to its outbox table."""

    def __init__(
        self,
        engine: Engine,
        *,
        correlation_id: str = "",
        clock: Callable[[], datetime] = utcnow,
        lock: bool = True,
    ) -> None:
        self._engine = engine
        self._correlation_id = correlation_id or None
        self._clock = clock
        self._lock = lock

    def __enter__(self) -> Self:
        self.session = Session(self._engine, expire_on_commit=False, autoflush=False)
        if self._lock and self._engine.dialect.name == "sqlite":
            with translated_errors():  # the write lock now, not at the first write
                self.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        postgres_lock = self._lock and self._engine.dialect.name == "postgresql"
        self.files = SqlFileRepository(self.session, lock=postgres_lock)
        self.fonds = SqlFondsRepository(self.session)
        self.decisions = SqlDecisionRepository(self.session)
        self.acceptances = SqlAcceptanceRepository(self.session)
        self.verifications = SqlVerificationRepository(self.session)
        self.texts = SqlSearchIndex(self.session)
        self.announcements = SqlAnnouncements(self.session)
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, traceback)
        self.session.close()

    def now(self) -> datetime:
        return self._clock()

    def _stage(self, events: Sequence[Event]) -> None:
        for event in events:
            add_to_outbox(self.session, event, source=SOURCE, correlation_id=self._correlation_id)

    def _commit(self) -> None:
        with translated_errors():
            self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
