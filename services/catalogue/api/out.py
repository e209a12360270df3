"""What the catalogue API answers: a hồ sơ with its TT 05 elements by their schema names, its
văn bản, pages, workflow records and history; list rows; findings. Built from the aggregate and
the read side; never a table row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.catalogue.domain.description import languages_text
from services.catalogue.domain.findings import Finding
from services.catalogue.domain.fonds import Fonds
from services.catalogue.domain.model import ALLOWED, ArchivalFile, Page, Transition
from services.catalogue.domain.queries import FileSummary
from services.catalogue.domain.records import Acceptance, SelectionDecision, VerificationRun


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class TransitionOut(_Out):
    from_state: str
    to_state: str
    person: str | None
    client: str
    actor: str = Field(description="person (client system), as one line")
    reason: str
    at: datetime


class PageOut(_Out):
    page_id: str
    sequence: int
    sha256: str | None
    stored: bool
    has_text: bool
    current: bool = Field(description="false once a re-scan replaced it")
    version: int = Field(default=1, description="1, then one more for every re-scan")
    confidence: float | None
    document: int | None = Field(description="ordinal of the văn bản it belongs to")
    derivatives: list[str] = Field(
        description="what OCR made of it (text, hocr, alto, pdf, image): shown through "
        "page-image and page-words and handed over in the package, never by storage name"
    )
    quality: dict[str, Any] | None
    failure_code: str | None = Field(default=None, description="why the page was not read")
    failure_detail: str | None = None


class DocumentOut(_Out):
    ordinal: int
    doc_id: str = Field(alias="docId")
    doc_code: str = Field(alias="docCode")
    first_page: int
    last_page: int
    type_name: str | None = Field(alias="typeName")
    type_label: str | None = Field(alias="typeLabel")
    code_number: str | None = Field(alias="codeNumber")
    code_notation: str | None = Field(alias="codeNotation")
    issued_date: str | None = Field(alias="issuedDate")
    organ_name: str | None = Field(alias="organName")
    subject: str | None
    language: str | None
    number_of_page: int | None = Field(alias="numberOfPage")
    maintenance: str | None
    mode: str | None
    infor_sign: str | None = Field(alias="inforSign")
    keyword: str | None
    confidence_level: str | None = Field(alias="confidenceLevel")
    autograph: str | None
    format: str | None
    risk_recovery: bool | None = Field(alias="riskRecovery")
    risk_recovery_status: str | None = Field(alias="riskRecoveryStatus")
    process: bool | None
    description: str | None
    extension: dict[str, str] = Field(description="signerName, signerTitle, signingAuthority…")


class FindingOut(_Out):
    check: str
    severity: str
    detail: str
    page: int | None
    document: int | None
    field: str | None
    rescan: bool
    waived: bool = False


class FileOut(_Out):
    """A hồ sơ. ``file_code``, ``title``, ``number_of_page``, ``pages_*``, ``accepted_*``,
    ``package_*`` and ``metadata`` are as before; the TT 05 elements follow by schema name."""

    file_code: str
    title: str
    state: str
    number_of_page: int
    pages_stored: int
    pages_read: int
    accepted_by: str | None
    accepted_at: datetime | None
    package_sha256: str | None
    package_failure: dict[str, Any] | None = Field(
        default=None,
        description="why handover could not build the package: reason_code, detail, at",
    )
    metadata: dict[str, str] = Field(description="the TT 05 elements as text, and the extension")
    file_code_tt05: str = Field(alias="fileCode")
    maintenance: str | None
    mode: str | None
    language: str | None
    start_date: str | None = Field(alias="startDate")
    end_date: str | None = Field(alias="endDate")
    keyword: str | None
    total_doc: int | None = Field(alias="totalDoc")
    number_of_paper: int | None = Field(alias="numberOfPaper")
    number_of_page_tt05: int = Field(alias="numberOfPage")
    format: str | None
    infor_sign: str | None = Field(alias="inforSign")
    confidence_level: str | None = Field(alias="confidenceLevel")
    paper_file_code: str | None = Field(alias="paperFileCode")
    risk_recovery: bool | None = Field(alias="riskRecovery")
    risk_recovery_status: str | None = Field(alias="riskRecoveryStatus")
    description: str | None
    fonds_code: str | None = Field(alias="fondsCode")
    group: str | None
    inventory_number: str | None = Field(alias="inventoryNumber")
    agency_code: str | None = Field(alias="agencyCode")
    year: int | None
    file_number: str | None = Field(alias="fileNumber")
    extension: dict[str, str]
    version: int
    open_for_scanning: bool
    allowed: list[str] = Field(description="the states this hồ sơ may move to next")
    criteria: list[dict[str, Any]]
    approval: dict[str, Any] | None
    arrangement: dict[str, Any] | None
    rescan: list[dict[str, Any]]
    verification: dict[str, Any] | None
    acceptance: dict[str, Any] | None
    documents: list[DocumentOut]
    pages: list[PageOut]
    history: list[TransitionOut]


def transition_out(t: Transition) -> TransitionOut:
    return TransitionOut(
        from_state=t.from_state.value if t.from_state else "",
        to_state=t.to_state.value,
        person=t.actor.person,
        client=t.actor.client,
        actor=str(t.actor),
        reason=t.reason,
        at=t.at,
    )


def page_out(file: ArchivalFile, page: Page) -> PageOut:
    r = page.reading
    return PageOut(
        page_id=str(page.page_id),
        sequence=page.sequence,
        sha256=page.sha256,
        stored=page.stored,
        has_text=r is not None,
        current=page.stored and page.replaced_by is None,
        version=page.version,
        confidence=r.confidence if r else None,
        document=file.document_of(page.sequence),
        derivatives=r.made() if r else [],
        quality=r.quality.model_dump(mode="json") if r and r.quality else None,
        failure_code=page.failure_code,
        failure_detail=page.failure_detail,
    )


def finding_out(finding: Finding, *, waived: bool = False) -> FindingOut:
    return FindingOut.model_validate(finding.as_json(waived=waived))


def _type_label(file: ArchivalFile, ordinal: int) -> str | None:
    kind = file.documents[ordinal].description.type_name
    return kind.label if kind is not None else None


def file_out(file: ArchivalFile, history: list[Transition]) -> dict[str, Any]:
    described = file.described_file()
    current = [p for p in file.current_pages()]
    pages = sorted(file.pages.values(), key=lambda p: (p.sequence, p.received_at is None))
    documents = [
        DocumentOut(
            ordinal=d.ordinal,
            doc_id=d.doc_id,
            doc_code=d.doc_code,
            first_page=d.first_page,
            last_page=d.last_page,
            type_name=d.type_name,
            type_label=_type_label(file, d.ordinal),
            code_number=d.code_number,
            code_notation=d.code_notation,
            issued_date=d.issued_date,
            organ_name=d.organ_name,
            subject=d.subject,
            language=d.language,
            number_of_page=d.number_of_page,
            maintenance=d.maintenance,
            mode=d.mode,
            infor_sign=d.infor_sign,
            keyword=d.keyword,
            confidence_level=d.confidence_level,
            autograph=d.autograph,
            format=d.format,
            risk_recovery=d.risk_recovery,
            risk_recovery_status=d.risk_recovery_status,
            process=file.documents[d.ordinal].description.process,
            description=d.description,
            extension=d.extension,
        )
        for d in file.described_documents()
    ]
    metadata = {
        key: str(value)
        for key, value in described.model_dump(exclude={"file_code", "title"}).items()
        if value is not None
    } | file.extension
    verification = file.verification
    acceptance = file.acceptance
    out = FileOut(
        file_code=file.file_code,
        title=file.description.title,
        state=file.state.value,
        number_of_page=file.description.number_of_page,
        pages_stored=len(current),
        pages_read=sum(p.read for p in current),
        accepted_by=str(acceptance.actor) if acceptance else None,
        accepted_at=acceptance.at if acceptance else None,
        package_sha256=file.package.sha256 if file.package else None,
        package_failure=(
            {
                "reason_code": file.package_failure.reason_code,
                "detail": file.package_failure.detail,
                "at": file.package_failure.at,
            }
            if file.package_failure
            else None
        ),
        metadata=metadata,
        file_code_tt05=file.file_code,
        maintenance=described.maintenance,
        mode=described.mode,
        language=described.language,
        start_date=described.start_date,
        end_date=described.end_date,
        keyword=described.keyword,
        total_doc=described.total_doc,
        number_of_paper=described.number_of_paper,
        number_of_page_tt05=described.number_of_page,
        format=described.format,
        infor_sign=described.infor_sign,
        confidence_level=described.confidence_level,
        paper_file_code=described.paper_file_code,
        risk_recovery=described.risk_recovery,
        risk_recovery_status=described.risk_recovery_status,
        description=described.description,
        fonds_code=file.fonds_code,
        group=file.group,
        inventory_number=file.inventory_number,
        agency_code=file.parts.agency_code if file.parts else None,
        year=file.parts.year if file.parts else None,
        file_number=file.parts.file_number if file.parts else None,
        extension=file.extension,
        version=file.version,
        open_for_scanning=file.open_for_scanning,
        allowed=sorted(ALLOWED[file.state]),
        criteria=[
            {"code": int(c.code), "label": c.code.label, "evidence": c.evidence}
            for c in file.criteria
        ],
        approval={
            "decision_id": str(file.approval.decision_id),
            "number": file.approval.number,
            "date": file.approval.date.tt05(),
            "signer": file.approval.signer,
        }
        if file.approval
        else None,
        arrangement={
            "confirmed_by": file.arrangement.confirmed_by,
            "actor": str(file.arrangement.actor),
            "at": file.arrangement.at.isoformat(),
        }
        if file.arrangement
        else None,
        rescan=[{"sequence": i.sequence, "reason": i.reason} for i in file.rescan],
        verification={
            "verification_id": str(verification.verification_id),
            "actor": str(verification.actor),
            "at": verification.at.isoformat(),
            "findings": len(verification.findings),
            "waivers": [{"check": w.check, "reason": w.reason} for w in verification.waivers],
        }
        if verification
        else None,
        acceptance={
            "acceptance_id": str(acceptance.acceptance_id),
            "minutes_number": acceptance.minutes_number,
            "role": acceptance.role,
            "actor": str(acceptance.actor),
            "at": acceptance.at.isoformat(),
            "file_codes": list(acceptance.file_codes),
        }
        if acceptance
        else None,
        documents=documents,
        pages=[page_out(file, p) for p in pages],
        history=[transition_out(t) for t in history],
    )
    return out.model_dump(mode="json", by_alias=True)


class FileRowOut(_Out):
    """One hồ sơ in a list."""

    file_code: str
    title: str
    state: str
    fonds_code: str | None = Field(alias="fondsCode")
    group: str | None
    maintenance: str | None
    mode: str | None
    language: str | None
    start_date: str | None = Field(alias="startDate")
    end_date: str | None = Field(alias="endDate")
    total_doc: int | None = Field(alias="totalDoc")
    number_of_paper: int | None = Field(alias="numberOfPaper")
    number_of_page: int = Field(alias="numberOfPage")
    pages_stored: int
    pages_read: int
    documents: int
    criteria: list[int]
    decision: str | None


def row_out(summary: FileSummary) -> FileRowOut:
    return FileRowOut.model_validate(summary, from_attributes=True)


class FileListOut(_Out):
    items: list[FileRowOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


def decision_out(decision: SelectionDecision) -> dict[str, Any]:
    return {
        "decision_id": str(decision.decision_id),
        "number": decision.number,
        "date": decision.date.earliest().isoformat(),
        "signer": decision.signer,
        "file_codes": list(decision.file_codes),
        "recorded_by": str(decision.actor),
        "recorded_at": decision.at.isoformat(),
    }


def acceptance_out(acceptance: Acceptance) -> dict[str, Any]:
    return {
        "acceptance_id": str(acceptance.acceptance_id),
        "minutes_number": acceptance.minutes_number,
        "role": acceptance.role,
        "file_codes": list(acceptance.file_codes),
        "accepted_by": str(acceptance.actor),
        "accepted_at": acceptance.at.isoformat(),
    }


def verification_out(run: VerificationRun) -> dict[str, Any]:
    waived = {w.check for w in run.waivers}
    return {
        "verification_id": str(run.verification_id),
        "file_code": run.file_code,
        "passed": run.passed,
        "findings": [finding_out(f, waived=f.check in waived).model_dump() for f in run.findings],
        "waivers": [{"check": w.check, "reason": w.reason} for w in run.waivers],
        "by": str(run.actor),
        "at": run.at.isoformat(),
    }


def fonds_out(fonds: Fonds) -> dict[str, Any]:
    return {
        "code": fonds.code,
        "name": fonds.name,
        "status": fonds.status.value,
        "agencyCode": fonds.agency_code,
        "history": fonds.history,
        "timeRange": fonds.time_range,
        "totalDocs": fonds.total_docs,
        "classification": fonds.classification,
        "language": languages_text(fonds.languages),
        "backupRegime": fonds.backup_regime,
        "note": fonds.note,
    }
