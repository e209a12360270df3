"""Lay out one hồ sơ's TT 05/2025 ``AIP_hoso`` folder (E-ARK CSIP shape) around the page files
already fetched into ``representations/rep1/data/``, and check every METS against the XSDs
the package ships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from services.handover.adapters import csip, schemas
from services.handover.domain import REPRESENTATION, described, rep_data_paths
from shared.events import FileAccepted

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
    record_status: str = "NEW"


class PackageInvalid(RuntimeError):
    """A package this service built does not validate: a bug, never shipped."""


def _agents(event: FileAccepted) -> list[csip.PremisAgent]:
    people = {event.accepted_by, event.verified_by or ""} - {""}
    return [
        csip.PremisAgent("sohoa", "sohoa", "software", version("sohoa")),
        csip.PremisAgent("tesseract", "Tesseract OCR", "software"),
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
    agents = _agents(event)
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
    premis_rep = rep / f"metadata/preservation/PREMIS_{REPRESENTATION}.xml"
    csip.write_premis(premis_rep, data, rep_events, agents)

    header = csip.MetsHeader(
        objid=request.objid,
        label=description.title,
        creator=request.organization,
        creator_code=description.fonds_code,
        software_version=version("sohoa"),
        record_status=request.record_status,
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
    errors = validate_aip(root)
    if errors:
        raise PackageInvalid("; ".join(errors[:5]))


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


def validate_aip(root: Path) -> list[str]:
    """Every METS of the package against the package's own ``schemas/``."""
    schema = schemas.schema_from(root / "schemas")
    errors: list[str] = []
    for mets in (root / "METS.xml", *sorted((root / "representations").glob("*/METS.xml"))):
        errors += [f"{mets.relative_to(root)}: {e}" for e in schemas.validate_xml(mets, schema)]
    return errors
