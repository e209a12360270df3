"""Lay out one hồ sơ's TT 05/2025 ``AIP_hoso`` folder (E-ARK CSIP shape) around the page files
already fetched into ``representations/rep1/data/``, and check every METS against the XSDs
the package ships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from services.handover.adapters import csip
from services.handover.adapters.pades import AgencySigner
from services.handover.adapters.pdfa import (
    Bookmark,
    PdfaInvalid,
    PdfMetadata,
    PdfPage,
    build_pdfa,
    pdfa_problems,
)
from services.handover.domain import REPRESENTATION, RecordStatus, described, rep_data_paths
from shared import csip_schemas as schemas
from shared.eark import REPLACEMENT_EVENT
from shared.errors import PermanentError
from shared.events import AcceptedPage, FileAccepted
from shared.pades import signature_problems

MIMETYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".hocr": "text/html",
    ".xml": "text/xml",
}


def mimetype(path: Path) -> str:
    return MIMETYPES.get(path.suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class AipRequest:
    event: FileAccepted
    objid: str
    organization: str
    created: datetime
    replaces: str | None = None  # OBJID of the earlier package of the hồ sơ it replaces
    pdf_per: str = "document"  # "document": one PDF/A per văn bản; "file": one per hồ sơ;
    # "none": no PDF/A (the bench times packaging without it)
    signer: AgencySigner | None = None  # signs each PDF/A after its checks passed


class PackageInvalid(PermanentError):
    """A package this service built does not validate: never shipped, and announced
    (package-failed names what failed) rather than retried, since building it again gives
    the same package."""

    code = "handover.package-invalid"
    title = "Gói bàn giao không hợp lệ"


ORGANIZATION_AGENT = "organization"


def _agents(request: AipRequest) -> list[csip.PremisAgent]:
    event = request.event
    people = {event.accepted_by, event.verified_by or ""} - {""}
    software = [
        csip.PremisAgent("sohoa", "sohoa", "software", version("sohoa")),
        csip.PremisAgent("tesseract", "Tesseract OCR", "software"),
    ]
    if request.signer is not None:
        software.append(csip.PremisAgent("pyHanko", "pyHanko", "software", version("pyhanko")))
    return [
        *software,
        csip.PremisAgent(ORGANIZATION_AGENT, request.organization, "organization"),
        *(csip.PremisAgent(f"person:{p}", p, "person") for p in sorted(people)),
    ]


def build_aip(root: Path, request: AipRequest) -> None:
    """Write EAD, PREMIS, METS and schemas around ``root/representations/rep1/data``."""
    event, created = request.event, request.created
    description = described(event)
    arc_code = event.file_code
    rep = root / "representations" / REPRESENTATION
    csip.write_ead(description, arc_code, root / "metadata/descriptive/EAD.xml")
    doc_paths: dict[int, Path] = {}
    for document in event.documents:
        path = rep / f"metadata/descriptive/EAD_doc_{document.doc_id}.xml"
        csip.write_ead_doc(document, arc_code, path)
        doc_paths[document.ordinal] = path
    shipped = schemas.copy_schemas(root / "schemas")

    data: list[csip.Entry] = []
    links: dict[str, str] = {}
    for page in sorted(event.pages, key=lambda p: p.sequence):
        for part, rel in rep_data_paths(page).items():
            path = rep / "data" / rel
            item = csip.entry(rep, path, mimetype(path), created)
            data.append(item)
            if part == "original" and page.document in doc_paths:
                links[item.path] = doc_paths[page.document].relative_to(rep).as_posix()
            if part == "original" and item.sha256 != page.sha256:
                raise PackageInvalid(f"{item.path}: SHA-256 changed while packaging")
    if request.pdf_per != "none":
        data += _build_pdfs(rep, request, doc_paths, links)
    agents = _agents(request)
    originals = tuple(e.path for e in data if e.path.startswith("data/originals/"))
    rep_events = [
        csip.PremisEvent(
            "transfer",
            created,
            "số hóa: bản quét gốc nhận vào, SHA-256 khi thu",
            "sohoa",
            "executing program",
            originals,
        ),
        csip.PremisEvent(
            "message digest calculation",
            created,
            "SHA-256 của mọi tệp",
            "sohoa",
            "executing program",
            tuple(e.path for e in data),
        ),
        csip.PremisEvent(
            "validation",
            created,
            "SHA-256 bản gốc khớp giá trị khi thu",
            "sohoa",
            "validator",
            originals,
        ),
    ]
    if any(p.quality is not None for p in event.pages):
        rep_events.append(
            csip.PremisEvent(
                "clean-up",
                created,
                "làm sạch ảnh (nắn, xoay)",
                "sohoa",
                "executing program",
                originals,
            )
        )
    rep_events.append(
        csip.PremisEvent(
            "OCR",
            created,
            "nhận dạng ký tự (tesseract, vie)",
            "tesseract",
            "executing program",
            originals,
        )
    )
    pdfs = tuple(e.path for e in data if e.mimetype == "application/pdf")
    if pdfs:
        rep_events += [
            csip.PremisEvent(
                "creation",
                created,
                "PDF/A-2b hai lớp: ảnh màu và lớp chữ ẩn",
                "sohoa",
                "executing program",
                pdfs,
            ),
            csip.PremisEvent(
                "validation",
                created,
                "PDF/A-2b: XMP, phông nhúng, lớp chữ",
                "sohoa",
                "validator",
                pdfs,
            ),
        ]
        if request.signer is not None:
            rep_events.append(
                csip.PremisEvent(
                    "digital signature generation",
                    created,
                    f"chữ ký số PAdES của {request.organization} "
                    f"({request.signer.certificate_subject}), ký sau kiểm tra PDF/A",
                    ORGANIZATION_AGENT,
                    "implementer",
                    pdfs,
                )
            )
    premis_rep = rep / f"metadata/preservation/PREMIS_{REPRESENTATION}.xml"
    csip.write_premis(premis_rep, data, rep_events, agents)

    header = csip.MetsHeader(
        objid=request.objid,
        label=description.title,
        creator=request.organization,
        creator_code=description.fonds_code,
        software_version=version("sohoa"),
        record_status=RecordStatus.REPLACEMENT if request.replaces else RecordStatus.NEW,
        replaces=request.replaces,
    )
    rep_mets = rep / "METS.xml"
    csip.write_mets(
        rep_mets,
        header,
        csip.MetsContent(
            descriptive=[csip.entry(rep, p, "text/xml", created) for p in doc_paths.values()],
            preservation=[csip.entry(rep, premis_rep, "text/xml", created)],
            groups=[("Data", data)],
            links=links,
        ),
        created,
    )
    rep_mets_entry = csip.entry(root, rep_mets, "text/xml", created)
    person = f"person:{event.accepted_by}"
    root_events = []
    if event.verified_by:
        root_events.append(
            csip.PremisEvent(
                "kiểm tra",
                event.verified_at or created,
                "kiểm tra đạt",
                f"person:{event.verified_by}",
                "implementer",
            )
        )
    number = event.acceptance.minutes_number if event.acceptance else None
    root_events += [
        csip.PremisEvent(
            "nghiệm thu",
            event.accepted_at,
            f"biên bản nghiệm thu {number or ''}".strip(),
            person,
            "authorizer",
        ),
        csip.PremisEvent(
            "information package creation",
            created,
            "đóng gói AIP_hoso",
            "sohoa",
            "executing program",
            (rep_mets_entry.path,),
        ),
    ]
    if request.replaces:
        root_events.append(
            csip.PremisEvent(
                REPLACEMENT_EVENT,
                created,
                f"gói này thay thế toàn bộ gói {request.replaces} đã giao trước đó",
                "sohoa",
                "executing program",
                (rep_mets_entry.path,),
                replaced=(request.replaces,),
            )
        )
    documentation = _write_documentation(root, event)
    premis_root = root / "metadata/preservation/PREMIS.xml"
    csip.write_premis(premis_root, [rep_mets_entry], root_events, agents)
    csip.write_mets(
        root / "METS.xml",
        header,
        csip.MetsContent(
            descriptive=[
                csip.entry(root, root / "metadata/descriptive/EAD.xml", "text/xml", created)
            ],
            preservation=[csip.entry(root, premis_root, "text/xml", created)],
            groups=[
                ("Documentation", [csip.entry(root, documentation, "text/plain", created)]),
                ("Schemas", [csip.entry(root, p, "text/xml", created) for p in shipped]),
                ("Representations", [rep_mets_entry]),
            ],
            representations=[(REPRESENTATION, rep_mets_entry)],
        ),
        created,
    )
    errors = schemas.validate_package(root)
    if errors:
        raise PackageInvalid("; ".join(errors[:5]))


def _pdf_groups(request: AipRequest) -> list[tuple[str, list[AcceptedPage], list[Bookmark]]]:
    """Which pages go into which PDF/A, named by docId (or by mã hồ sơ), with bookmarks."""
    event = request.event
    pages = sorted(event.pages, key=lambda p: p.sequence)
    documents = {d.ordinal: d for d in event.documents}

    def title(ordinal: int | None) -> str:
        doc = documents.get(ordinal) if ordinal is not None else None
        if doc is None:
            return f"Trang không thuộc văn bản ({event.file_code})"
        number = "/".join(p for p in (doc.code_number, doc.code_notation) if p)
        return " — ".join(p for p in (number, doc.subject or doc.doc_id) if p)

    if request.pdf_per == "file" or not documents:
        marks, seen = [], set()
        for n, page in enumerate(pages):
            if page.document not in seen:
                seen.add(page.document)
                marks.append(Bookmark(title(page.document), n))
        return [(event.file_code, pages, marks)]
    groups = []
    for ordinal, doc in sorted(documents.items()):
        chosen = [p for p in pages if p.document == ordinal]
        if chosen:
            groups.append((doc.doc_id, chosen, [Bookmark(title(ordinal), 0)]))
    loose = [p for p in pages if p.document not in documents]
    if loose:
        groups.append((f"{event.file_code}.khac", loose, [Bookmark(title(None), 0)]))
    return groups


def _build_pdfs(
    rep: Path, request: AipRequest, doc_paths: dict[int, Path], links: dict[str, str]
) -> list[csip.Entry]:
    """Build and check each PDF/A into ``rep/data``; never package one that fails."""
    event, made = request.event, []
    described_file = described(event)
    by_id = {d.doc_id: d for d in event.documents}
    for name, pages, marks in _pdf_groups(request):
        target = rep / "data" / f"{name}.pdf"
        doc = by_id.get(name)
        meta = PdfMetadata(
            title=(doc.subject if doc and doc.subject else described_file.title),
            identifier=name,
            creator=doc.organ_name if doc else request.organization,
            description=described_file.title,
            keywords=described_file.keyword,
            bookmarks=marks,
        )
        sources = []
        for page in pages:
            paths = rep_data_paths(page)
            sources.append(PdfPage(rep / "data" / paths["original"], rep / "data" / paths["hocr"]))
        build_pdfa(sources, meta, target)
        problems = pdfa_problems(target, len(pages))
        if not problems and request.signer is not None:
            request.signer.sign(target, request.created)  # only a validated PDF/A is signed
            problems = signature_problems(target, (request.signer.certificate,), required=True)
        if problems:
            raise PdfaInvalid("; ".join(problems))
        item = csip.entry(rep, target, "application/pdf", request.created)
        if doc is not None and doc.ordinal in doc_paths:
            links[item.path] = doc_paths[doc.ordinal].relative_to(rep).as_posix()
        made.append(item)
    return made


def _write_documentation(root: Path, event: FileAccepted) -> Path:
    """``documentation/nghiem-thu.txt``: who verified and accepted the hồ sơ, and when."""
    lines = [f"Hồ sơ: {event.file_code} — {event.title}"]
    if event.verified_by:
        lines.append(f"Kiểm tra: {event.verified_by}, {event.verified_at}")
    if event.acceptance is not None:
        number = event.acceptance.minutes_number or "—"
        lines.append(f"Biên bản nghiệm thu số {number}")
    lines.append(f"Nghiệm thu: {event.accepted_by}, {event.accepted_at}")
    path = root / "documentation" / "nghiem-thu.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
