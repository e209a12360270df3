"""Builders of hồ sơ and the events and commands around them, so tests state only what they
are about: a complete description, pages as ingest and OCR announce them, a walk through the
programme's steps up to any state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from services.catalogue.domain.codes import (
    AccessMode,
    DocumentType,
    Language,
    Maintenance,
    PhysicalFormat,
    SelectionCriterion,
)
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.description import DocumentDescription, FileDescription
from services.catalogue.domain.model import (
    AcceptanceRef,
    Actor,
    ApprovalRef,
    ArchivalFile,
    Criterion,
    FileState,
    Page,
    Reading,
)
from shared.events import PageIngested, PageProcessed, PageQualityReport

FILE_CODE = "H49.64.33.2001.160"
ARCHIVIST = Actor("vpubnd", "Nguyễn Thị Hương")
REVIEWER = Actor("vpubnd", "Trần Văn Kiểm")
APPROVER = Actor("sonoivu", "Lê Văn Hân")
AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DECISION = ApprovalRef(
    uuid.UUID("0b8f4c1e-1111-4b7a-9c0d-2a3b4c5d6e7f"),
    "103/QĐ-UBND",
    PartialDate(2026, 3, 5),
    "Lê Văn Hân",
)


def description(pages: int = 3, **changes: object) -> FileDescription:
    """A hồ sơ description with every element biên mục of a digitized copy requires."""
    values: dict[str, object] = {
        "title": "Hồ sơ về công tác chỉnh lý tài liệu năm 2001",
        "number_of_page": pages,
        "maintenance": Maintenance.PERMANENT,
        "mode": AccessMode.PUBLIC,
        "languages": (Language.VIETNAMESE,),
        "start_date": PartialDate(2001, 1, 5),
        "end_date": PartialDate(2001, 12, 28),
        "total_doc": 1,
        "number_of_paper": pages,
        "format": PhysicalFormat.GOOD,
        "paper_file_code": "TTLT.K1.G2.H3.160",
        **changes,
    }
    return FileDescription(**values)  # type: ignore[arg-type]  # test data, checked in post-init


def document(first: int = 1, last: int = 3, **changes: object) -> DocumentDescription:
    """A văn bản with every required element, a kế hoạch of UBND tỉnh."""
    values: dict[str, object] = {
        "first_page": first,
        "last_page": last,
        "type_name": DocumentType.PLAN,
        "code_number": "115",
        "code_notation": "KH-UBND",
        "issued_date": PartialDate(2001, 12, 14),
        "organ_name": "Ủy ban nhân dân tỉnh Trà Vinh",
        "subject": "Triển khai công tác chỉnh lý tài liệu",
        **changes,
    }
    return DocumentDescription(**values)  # type: ignore[arg-type]  # test data


def quality(**changes: object) -> PageQualityReport:
    values: dict[str, object] = {
        "effective_dpi": 300.0,
        "rotation": 0,
        "skew": 0.4,
        "residual_skew": 0.05,
        "blur": 1500.0,
        "contrast": 180.0,
        "ink_coverage": 0.08,
        "colour": True,
        **changes,
    }
    return PageQualityReport.model_validate(values)


def reading(page_id: UUID, **changes: object) -> Reading:
    values: dict[str, object] = {
        "text_key": f"{FILE_CODE}/{page_id}/page.txt",
        "hocr_key": f"{FILE_CODE}/{page_id}/page.hocr",
        "alto_key": f"{FILE_CODE}/{page_id}/page.alto.xml",
        "pdf_key": f"{FILE_CODE}/{page_id}/page.pdf",
        "image_key": f"{FILE_CODE}/{page_id}/clean.png",
        "engine": "tesseract 5.3.0 vie",
        "read_at": AT,
        "confidence": 91.0,
        "quality": quality(),
        **changes,
    }
    return Reading(**values)  # type: ignore[arg-type]  # test data


def page(sequence: int, page_id: UUID | None = None) -> Page:
    page_id = page_id or uuid.uuid4()
    return Page(
        page_id=page_id,
        sequence=sequence,
        object_key=f"{FILE_CODE}/{sequence:04d}-{'a' * 16}.png",
        sha256=f"{sequence:064x}",
        media_type="image/png",
        width=2480,
        height=3508,
        dpi=300,
    )


def registered(pages: int = 3, file_code: str = FILE_CODE, **changes: object) -> ArchivalFile:
    return ArchivalFile.register(file_code, description(pages, **changes), by=ARCHIVIST, at=AT)


def approved(pages: int = 3, *, arranged: bool = True, file_code: str = FILE_CODE) -> ArchivalFile:
    file = registered(pages, file_code)
    file.select(
        [Criterion(SelectionCriterion.PERMANENT_RETENTION, "Thời hạn bảo quản vĩnh viễn")],
        by=ARCHIVIST,
        at=AT,
    )
    if arranged:
        file.confirm_arrangement("Phạm Thị Chỉnh", by=ARCHIVIST, at=AT)
    file.approve(DECISION, by=APPROVER, at=AT)
    return file


def digitized(pages: int = 3, file_code: str = FILE_CODE) -> ArchivalFile:
    file = approved(pages, file_code=file_code)
    for sequence in range(1, pages + 1):
        scan = page(sequence)
        file.receive_page(scan, at=AT)
        file.record_reading(scan.page_id, sequence, reading(scan.page_id), at=AT)
    return file


def described(pages: int = 3, file_code: str = FILE_CODE) -> ArchivalFile:
    file = digitized(pages, file_code)
    file.set_document(1, document(1, pages))
    file.confirm_description(by=ARCHIVIST, at=AT)
    return file


def verified(pages: int = 3, file_code: str = FILE_CODE) -> ArchivalFile:
    file = described(pages, file_code)
    file.sign_off_verification(uuid.uuid4(), [], [], by=REVIEWER, at=AT)
    return file


def acceptance(*codes: str) -> AcceptanceRef:
    return AcceptanceRef(uuid.uuid4(), "01/BB-NT", "Giám đốc", APPROVER, AT, codes or (FILE_CODE,))


def in_state(state: FileState, pages: int = 3) -> ArchivalFile:
    """A hồ sơ walked to ``state`` through the real steps."""
    builders = {
        FileState.INVENTORIED: lambda: registered(pages),
        FileState.SELECTED: lambda: _selected(pages),
        FileState.APPROVED: lambda: approved(pages),
        FileState.DIGITIZING: lambda: _digitizing(pages),
        FileState.DIGITIZED: lambda: digitized(pages),
        FileState.DESCRIBED: lambda: described(pages),
        FileState.VERIFIED: lambda: verified(pages),
        FileState.ACCEPTED: lambda: _accepted(pages),
        FileState.PACKAGED: lambda: _packaged(pages),
        FileState.HANDED_OVER: lambda: _handed_over(pages),
        FileState.RESCAN_REQUESTED: lambda: _rescan(pages),
    }
    file = builders[state]()
    assert file.state is state
    return file


def _selected(pages: int) -> ArchivalFile:
    file = registered(pages)
    file.select(
        [Criterion(SelectionCriterion.PERMANENT_RETENTION, "vĩnh viễn")], by=ARCHIVIST, at=AT
    )
    return file


def _digitizing(pages: int) -> ArchivalFile:
    file = approved(pages)
    file.receive_page(page(1), at=AT)
    return file


def _accepted(pages: int) -> ArchivalFile:
    file = verified(pages)
    file.accept(acceptance())
    return file


def _packaged(pages: int) -> ArchivalFile:
    from services.catalogue.domain.model import PackageRef

    file = _accepted(pages)
    file.mark_packaged(
        PackageRef(uuid.uuid4(), f"{FILE_CODE}/p.zip", "c" * 64), by=ARCHIVIST, at=AT
    )
    return file


def _handed_over(pages: int) -> ArchivalFile:
    file = _packaged(pages)
    file.mark_handed_over("BN-01", by=ARCHIVIST, at=AT)
    return file


def _rescan(pages: int) -> ArchivalFile:
    from services.catalogue.domain.model import RescanItem

    file = described(pages)
    file.request_rescan([RescanItem(1, "ảnh mờ")], by=REVIEWER, at=AT)
    return file


def ingested(file_code: str, sequence: int, page_id: UUID | None = None) -> PageIngested:
    return PageIngested(
        file_code=file_code,
        page_id=page_id or uuid.uuid4(),
        sequence=sequence,
        object_key=f"{file_code}/{sequence:04d}-{'b' * 16}.png",
        sha256=f"{sequence:064x}",
        size=1000,
        media_type="image/png",
        width=2480,
        height=3508,
        dpi=300,
    )


def processed(event: PageIngested, text: str | None = None) -> PageProcessed:
    """What OCR announces of a page: ``text`` as given, or a line naming the page."""
    base = f"{event.file_code}/{event.page_id}"
    return PageProcessed(
        file_code=event.file_code,
        page_id=event.page_id,
        sequence=event.sequence,
        text=text
        if text is not None
        else f"Kế hoạch chỉnh lý tài liệu lưu trữ trang {event.sequence}",
        text_key=f"{base}/page.txt",
        hocr_key=f"{base}/page.hocr",
        alto_key=f"{base}/page.alto.xml",
        pdf_key=f"{base}/page.pdf",
        image_key=f"{base}/clean.png",
        confidence=90.0,
        engine="tesseract 5.3.0 vie",
        seconds=1.0,
        quality=quality(
            phash=f"{(0x5A5A5A5A5A5A5A5A ^ (0xFFFF << (event.sequence * 4))) & (2**64 - 1):016x}"
        ),
    )
